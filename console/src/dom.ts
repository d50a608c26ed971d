/** Builds DOM elements: h('td', { class: 'x' }, 'text', child). Text is always set as text (never HTML). */
export function h(tag: string, attrs: Record<string, string | ((e: Event) => void) | undefined> = {}, ...children: (Node | string | undefined | null | false)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else el.setAttribute(name, value);
  }
  for (const child of children) if (child !== undefined && child !== null && child !== false) el.append(child);
  return el;
}

/** A table with a header row; `onRow` makes rows clickable. */
export function table(headers: string[], rows: (Node | string)[][], onRow?: (index: number) => void): HTMLElement {
  return h('table', {},
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((row, i) => h('tr', onRow ? { class: 'clickable', onclick: () => onRow(i) } : {}, ...row.map((cell) => h('td', {}, cell))))));
}

/** A time as `YYYY-MM-DD HH:MM:SS` UTC. */
export function time(iso: unknown): string {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** A line diff as the API gives it, coloured. */
export function diffView(lines: { op: string; text: string }[]): HTMLElement {
  return h('pre', { class: 'diff' }, ...lines.map((l) => h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'keep' }, `${l.op} ${l.text}`)));
}

/** Shows a modal with `content` and OK/Cancel; resolves the form's values on OK, null on Cancel. */
export function ask(title: string, content: HTMLElement[], okText: string): Promise<Record<string, string> | null> {
  const dialog = document.getElementById('dialog') as HTMLDialogElement;
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog' }, h('h3', {}, title), ...content,
      h('div', { class: 'actions' },
        h('button', { class: 'primary', value: 'ok', type: 'submit', 'data-testid': 'confirm' }, okText),
        h('button', { value: 'cancel', type: 'button', onclick: () => { dialog.close(); resolve(null); } }, 'Cancel')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const values: Record<string, string> = {};
      new FormData(form as HTMLFormElement).forEach((v, k) => { values[k] = String(v); });
      dialog.close();
      resolve(values);
    });
    dialog.replaceChildren(form);
    dialog.showModal();
  });
}
