import { api } from './api.js';
import { h, table, time } from './dom.js';
import type { Job } from './types.js';

/** Bulk replay jobs with progress; pause, resume, cancel. Refreshes while one runs. */
export async function jobsView(main: HTMLElement, isCurrent: () => boolean): Promise<void> {
  const { items } = await api<{ items: Job[] }>('/replay-jobs');
  const control = (job: Job, action: string) => async (): Promise<void> => {
    await api(`/replay-jobs/${job.id}/${action}`, {});
    await jobsView(main, isCurrent);
  };
  main.replaceChildren(h('h2', {}, 'Replay jobs'), table(['Created', 'By', 'Reason', 'Status', 'Progress', 'Replayed', 'Skipped', 'Failed', ''], items.map((j) => {
    const done = j.replayed + j.skipped + j.failed;
    const pct = j.total > 0 ? Math.round((done / j.total) * 100) : 100;
    // Set through the CSSOM: the console's Content-Security-Policy refuses style attributes.
    const bar = h('span');
    bar.style.width = `${pct}%`;
    return [time(j.createdAt), j.createdBy, j.reason, h('span', { 'data-testid': 'job-status' }, j.status),
      h('span', {}, h('span', { class: 'progress' }, bar), ` ${done}/${j.total}`),
      h('span', { 'data-testid': 'job-replayed' }, String(j.replayed)), String(j.skipped), String(j.failed),
      h('div', { class: 'actions' },
        j.status === 'running' ? h('button', { onclick: () => void control(j, 'pause')() }, 'Pause') : '',
        j.status === 'paused' ? h('button', { onclick: () => void control(j, 'resume')() }, 'Resume') : '',
        j.status === 'running' || j.status === 'paused' ? h('button', { onclick: () => void control(j, 'cancel')() }, 'Cancel') : '',
        j.lastError ? h('span', { class: 'error' }, j.lastError.code) : '')];
  })));
  if (items.some((j) => j.status === 'running')) setTimeout(() => { if (isCurrent()) void jobsView(main, isCurrent); }, 1000);
}
