import { api } from './api.js';
import { ask, h, table, time } from './dom.js';
import type { Group, Job } from './types.js';

/** Failures grouped by cause: the 3 a.m. starting point. Each group: its messages, a dry-run of a sample, replay it all. */
export async function groupsView(main: HTMLElement): Promise<void> {
  const { items } = await api<{ items: Group[] }>('/failure-groups');
  main.replaceChildren(h('h2', {}, 'Failures by cause'),
    items.length === 0 ? h('p', { 'data-testid': 'no-failures' }, 'No unresolved failures.') : table(
      ['Count', 'Route', 'Endpoint', 'Error', 'Message', 'Latest', ''],
      items.map((g) => [
        h('strong', { 'data-testid': 'group-count' }, String(g.count)), g.routeId, g.endpoint ?? '', g.errorCode, g.message, time(g.lastReceivedAt),
        h('div', { class: 'actions' },
          h('a', { href: `#/messages?errorGroup=${g.errorGroup}&route=${encodeURIComponent(g.routeId)}&unresolved=true` }, 'Messages'),
          h('button', { 'data-testid': 'group-dry-run', onclick: () => void dryRunGroup(main, g) }, 'Dry-run sample'),
          h('button', { class: 'primary', 'data-testid': 'group-replay', onclick: () => void replayGroup(g) }, 'Replay group')),
      ])),
    h('div', { id: 'group-result' }));
}

async function dryRunGroup(main: HTMLElement, g: Group): Promise<void> {
  const out = main.querySelector('#group-result') as HTMLElement;
  out.replaceChildren(h('p', {}, 'Running a sample through the current route…'));
  const r = await api<{ matched: number; tried: number; wouldDeliver: number; wouldFail: number; failures: { stage: string; code: string; message: string; count: number }[] }>(
    '/dry-runs', { filter: { errorGroup: g.errorGroup, route: g.routeId }, limit: 20 });
  out.replaceChildren(h('h3', {}, 'Dry-run of a sample'),
    h('p', { 'data-testid': 'group-dry-run-result' }, `${r.tried} of ${r.matched} tried: ${r.wouldDeliver} would deliver, ${r.wouldFail} would fail. Nothing was sent.`),
    r.failures.length > 0 ? table(['Count', 'Stage', 'Error', 'Message'], r.failures.map((f) => [String(f.count), f.stage, f.code, f.message])) : '');
}

async function replayGroup(g: Group): Promise<void> {
  const values = await ask(`Replay ${g.count} message(s) of this group?`, [
    h('p', {}, `${g.routeId} · ${g.endpoint ?? ''} · ${g.errorCode}: ${g.message}`),
    h('label', {}, 'Reason (audit trail) ', h('input', { type: 'text', name: 'reason', required: 'required', 'data-testid': 'reason' })),
    h('label', {}, 'Messages per second ', h('input', { type: 'number', name: 'rate', value: '20', min: '1' })),
    h('label', {}, h('input', { type: 'checkbox', name: 'fromStep', value: 'yes' }), ' start at the failed step'),
  ], 'Start replay');
  if (!values) return;
  const job = await api<Job>('/replay-jobs', {
    filter: { errorGroup: g.errorGroup, route: g.routeId }, reason: values.reason, ratePerSecond: Number(values.rate || 20),
    from: values.fromStep ? 'failed-step' : 'original',
  });
  location.hash = `#/jobs?highlight=${job.id}`;
}
