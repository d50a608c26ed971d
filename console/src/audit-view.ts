import { api, query } from './api.js';
import { h, table, time } from './dom.js';
import type { Audit } from './types.js';

/** The audit trail: who did what, when and why. */
export async function auditView(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const { items } = await api<{ items: Audit[] }>(`/audit${query(Object.fromEntries(params.entries()))}`);
  main.replaceChildren(h('h2', {}, 'Audit trail'), table(['At', 'Who', 'Action', 'Message', 'Replay / job', 'Reason', 'What changed'], items.map((a) => [
    time(a.at), `${a.actor} (${a.role}${a.method && a.method !== 'admin-token' ? `, ${a.method}` : ''})`, a.action,
    a.messageId ? h('a', { href: `#/message/${a.messageId}` }, a.messageId.slice(0, 8)) : '',
    a.replayId ? h('a', { href: `#/message/${a.replayId}` }, a.replayId.slice(0, 8)) : (a.jobId?.slice(0, 8) ?? ''),
    a.reason ?? '',
    h('pre', {}, a.detail ? JSON.stringify(a.detail, null, 1) : ''),
  ])));
}
