import { api, ApiError } from './api.js';
import { ask, diffView, h, table, time } from './dom.js';
import type { Detail, DiffLine, DryReport, Stage } from './types.js';

/** One message: summary, timeline, payloads (pretty), diffs between steps and runs, and the operator's actions. */
export async function messageView(main: HTMLElement, id: string): Promise<void> {
  const m = await api<Detail>(`/messages/${id}?pretty=true`);
  const panel = h('div', { id: 'panel' });
  const show = (node: Node): void => { panel.replaceChildren(node); };
  const withPayload = m.stages.filter((s) => s.payload !== undefined);
  const previousOf = (s: Stage): Stage | undefined => withPayload[withPayload.indexOf(s) - 1];

  const stagePanel = (s: Stage): void => {
    const prev = previousOf(s);
    show(h('div', {},
      h('h3', {}, `${s.stage} (#${s.seq})`),
      s.error ? h('p', { class: 'error' }, `${s.error.code}: ${s.error.message}`, ...(s.error.violations ?? []).map((v) => h('div', {}, `${v.path || '/'}: ${v.message}`))) : '',
      s.payload !== undefined ? h('pre', { 'data-testid': 'stage-payload' }, s.prettyPayload ?? s.payload) : h('p', { class: 'muted' }, 'No payload kept for this stage.'),
      h('div', { class: 'actions' },
        s.payload !== undefined ? h('button', { 'data-testid': 'diff-previous', onclick: () => void diff(`${m.id}:${prev?.seq ?? ''}`.replace(/:$/, ''), `${m.id}:${s.seq}`, prev ? `${prev.stage} → ${s.stage}` : `as received → ${s.stage}`) }, prev ? `Diff with ${prev.stage}` : 'Diff with the payload as received') : '',
        ...m.replays.map((r) => h('button', { 'data-testid': 'diff-replay', onclick: () => void diffRuns(s, r.id) }, `Compare with replay ${r.id.slice(0, 8)}`)))));
  };
  const diff = async (a: string, b: string, title: string): Promise<void> => {
    const d = await api<{ changed: boolean; lines: DiffLine[] }>(`/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    show(h('div', {}, h('h3', {}, `Diff: ${title}`), d.changed ? diffView(d.lines) : h('p', {}, 'No difference.')));
  };
  const diffRuns = async (s: Stage, replayId: string): Promise<void> => {
    const other = await api<Detail>(`/messages/${replayId}`);
    const same = [...other.stages].reverse().find((x) => x.stage === s.stage && x.payload !== undefined);
    if (!same) { show(h('p', {}, `The replay has no ${s.stage} payload to compare.`)); return; }
    await diff(`${m.id}:${s.seq}`, `${replayId}:${same.seq}`, `${s.stage}, original → replay`);
  };

  const run = async (action: () => Promise<void>): Promise<void> => {
    try { await action(); } catch (error) { show(h('p', { class: 'error', 'data-testid': 'action-error' }, (error as Error).message)); }
  };
  const dryRun = (from: string): Promise<void> => run(async () => {
    const r = await api<DryReport>(`/messages/${m.id}/dry-run`, { from });
    show(h('div', { 'data-testid': 'dry-run' },
      h('h3', {}, `Dry-run from ${r.from}${r.resumeAt ? ` (at ${r.resumeAt})` : ''} — nothing sent`),
      h('p', { class: r.verdict === 'would-deliver' ? 'status-DELIVERED' : 'status-FAILED', 'data-testid': 'verdict' },
        r.verdict === 'would-deliver' ? 'Would deliver' : `Would fail at ${r.failure?.stage}: ${r.failure?.error.code}: ${r.failure?.error.message}`),
      h('p', { class: 'muted' }, 'A dry-run runs the steps and builds each request; it does not call the backends, so one that refused the original may refuse the replay too (its deliveries show as untried).'),
      table(['Stage', 'Compared with the original run', ''], r.stages.map((s) => [
        s.stage, h('span', { class: `change-${s.change}` }, s.change),
        h('div', {}, (s.dryRun?.error ?? s.original?.error) ? `${(s.dryRun?.error ?? s.original?.error)?.code}` : '', s.diff?.lines.some((l) => l.op !== ' ') ? diffView(s.diff.lines.filter((l) => l.op !== ' ')) : ''),
      ])),
      ...r.deliveries.map((d) => h('p', {}, `→ ${d.endpoint}: ${d.skipped ? 'skipped (the original reached it)' : d.request ? `would send ${d.request.method} ${d.request.url}` : 'request could not be built'}`))));
  });
  const replay = (): Promise<void> => run(async () => {
    const values = await ask('Replay this message?', [
      h('p', {}, `A new message, linked to ${m.id}, goes through the route now. Recipients already reached are skipped.`),
      h('label', {}, h('input', { type: 'radio', name: 'from', value: 'original', checked: 'checked' }), ' from the original payload'),
      h('label', {}, h('input', { type: 'radio', name: 'from', value: 'failed-step' }), ` from the failed step${m.failedStage ? ` (${m.failedStage})` : ''}`),
      h('label', {}, h('input', { type: 'checkbox', name: 'edit', value: 'yes', 'data-testid': 'edit' }), ' with this edited payload:'),
      h('p', { class: 'muted' }, 'Sensitive fields are shown masked. An unedited replay sends the real payload; an edited one is refused while it still holds the mask where a value belongs — type the real value there.'),
      h('textarea', { name: 'payload', rows: '8', 'data-testid': 'payload' }, m.prettyPayload ?? m.payload),
      h('label', {}, h('input', { type: 'checkbox', name: 'force', value: 'yes' }), ' force (admin; replays a DELIVERED message again)'),
      h('label', {}, 'Reason (audit trail) ', h('input', { type: 'text', name: 'reason', 'data-testid': 'reason' })),
    ], 'Replay');
    if (!values) return;
    const result = await api<{ replayId: string }>(`/messages/${m.id}/replay`, {
      from: values.from, ...(values.edit ? { payload: values.payload } : {}), ...(values.force ? { force: true } : {}), ...(values.reason ? { reason: values.reason } : {}),
    });
    location.hash = `#/message/${result.replayId}`;
  });
  const resolve = (): Promise<void> => run(async () => {
    const values = await ask('Mark this failure resolved without replaying it?', [
      h('label', {}, 'Reason (audit trail) ', h('input', { type: 'text', name: 'reason', required: 'required' }))], 'Resolve');
    if (!values) return;
    await api(`/messages/${m.id}/resolve`, { reason: values.reason });
    await messageView(main, m.id);
  });

  main.replaceChildren(
    h('h2', {}, 'Message ', h('code', {}, m.id)),
    h('p', {}, h('span', { class: `status-${m.status}`, 'data-testid': 'status' }, m.status), m.resolution ? ` (${m.resolution})` : '',
      ` · route ${m.routeId} · business key ${m.businessKey ?? '-'} · ${m.attempts} attempt(s) · received ${time(m.receivedAt)}`),
    m.replayOf ? h('p', {}, 'Replay of ', h('a', { href: `#/message/${m.replayOf}` }, m.replayOf)) : '',
    m.replays.length > 0 ? h('p', { 'data-testid': 'replays' }, 'Replayed as ', ...m.replays.map((r) => h('a', { href: `#/message/${r.id}` }, `${r.id} (${r.status}) `))) : '',
    m.lastError ? h('p', { class: 'error', 'data-testid': 'last-error' }, `${m.lastError.code}: ${m.lastError.message}`) : '',
    h('div', { class: 'actions' },
      h('button', { 'data-testid': 'dry-run-original', onclick: () => void dryRun('original') }, 'Dry-run'),
      m.failedStage ? h('button', { 'data-testid': 'dry-run-step', onclick: () => void dryRun('failed-step') }, 'Dry-run from failed step') : '',
      h('button', { class: 'primary', 'data-testid': 'replay', onclick: () => void replay() }, 'Replay…'),
      m.status === 'FAILED' && !m.resolution ? h('button', { 'data-testid': 'resolve', onclick: () => void resolve() }, 'Resolve…') : '',
      h('a', { href: `#/audit?messageId=${m.id}` }, 'Audit trail')),
    h('h3', {}, 'Timeline'),
    table(['#', 'At', 'Stage', 'Status', 'Try', 'ms', 'Detail / error'], m.stages.map((s) => [
      String(s.seq), time(s.at), s.stage, h('span', { class: `status-${s.status}` }, s.status), String(s.attempt), s.durationMs === undefined ? '' : String(s.durationMs),
      s.error ? h('span', { class: 'error' }, `${s.error.code}: ${s.error.message}`) : (s.detail ?? ''),
    ]), (i) => { const s = m.stages[i]; if (s) stagePanel(s); }),
    h('h3', {}, `Payload as received (${m.contentType})`),
    h('pre', { 'data-testid': 'payload-original' }, m.prettyPayload ?? m.payload),
    panel);
}

export { ApiError };
