import { api, query } from './api.js';
import { h, table, time } from './dom.js';
import type { Summary } from './types.js';

const FIELDS: [string, string][] = [
  ['status', 'Status'], ['route', 'Route'], ['endpoint', 'Endpoint'], ['errorCode', 'Error code'], ['businessKey', 'Business key'],
  ['correlationId', 'Correlation id'], ['from', 'From (ISO)'], ['to', 'To (ISO)'],
];

/** The message list with filters; pages with the API's cursor. */
export async function messagesView(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const filter = Object.fromEntries(params.entries());
  const page = await api<{ items: Summary[]; next: string | null }>(`/messages${query({ ...filter, limit: filter.limit ?? '50' })}`);
  const form = h('form', { class: 'filters', 'data-testid': 'filters' },
    ...FIELDS.map(([name, label]) => h('label', {}, label, h('input', { name, value: filter[name] ?? '', size: '14' }))),
    h('label', {}, 'Unresolved', h('input', { type: 'checkbox', name: 'unresolved', value: 'true', ...(filter.unresolved ? { checked: 'checked' } : {}) })),
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    new FormData(form as HTMLFormElement).forEach((v, k) => { if (String(v)) next.set(k, String(v)); });
    if (filter.errorGroup) next.set('errorGroup', filter.errorGroup);
    location.hash = `#/messages?${next.toString()}`;
  });
  const more = page.next ? h('a', { href: `#/messages?${new URLSearchParams({ ...filter, cursor: page.next }).toString()}`, 'data-testid': 'next-page' }, 'Next page →') : '';
  main.replaceChildren(h('h2', {}, 'Messages'), form,
    table(['Received', 'Route', 'Status', 'Tries', 'Business key', 'Last error'], page.items.map((m) => [
      time(m.receivedAt), m.routeId, h('span', { class: `status-${m.status}` }, m.resolution ? `${m.status} (${m.resolution})` : m.status),
      String(m.attempts), m.businessKey ?? '', m.lastError ? `${m.lastError.code}: ${m.lastError.message}` : '',
    ]), (i) => { location.hash = `#/message/${page.items[i]?.id ?? ''}`; }),
    h('p', { class: 'muted', 'data-testid': 'message-count' }, `${page.items.length} message(s)`), more);
}
