import { api, setToken, token } from './api.js';
import { auditView } from './audit-view.js';
import { h } from './dom.js';
import { groupsView } from './groups-view.js';
import { jobsView } from './jobs-view.js';
import { messageView } from './message-view.js';
import { messagesView } from './messages-view.js';

const main = document.getElementById('main') as HTMLElement;
let generation = 0;

function login(): void {
  const form = h('form', { 'data-testid': 'login' },
    h('h2', {}, 'Sign in'),
    h('p', {}, 'Paste an admin token or a bearer JWT from your identity provider (the demo prints a token: JUNCTION_TOKEN).'),
    h('input', { type: 'password', name: 'token', size: '48', 'data-testid': 'token', autocomplete: 'off' }), ' ',
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(String(new FormData(form as HTMLFormElement).get('token') ?? '').trim());
    void render();
  });
  main.replaceChildren(form);
}

async function render(): Promise<void> {
  const mine = ++generation;
  if (!token()) { login(); return; }
  const [path, search = ''] = (location.hash.replace(/^#/, '') || '/groups').split('?');
  const params = new URLSearchParams(search);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', (path ?? '').startsWith(`/${(a as HTMLElement).dataset.nav ?? ''}`));
  try {
    const who = await api<{ name: string; role: string; method: string }>('/whoami');
    (document.getElementById('who') as HTMLElement).replaceChildren(`${who.name} (${who.role}${who.method === 'admin-token' ? '' : `, ${who.method}`}) `, h('button', { onclick: () => { setToken(null); void render(); } }, 'Sign out'));
    if (path?.startsWith('/message/')) await messageView(main, path.slice('/message/'.length));
    else if (path === '/messages') await messagesView(main, params);
    else if (path === '/jobs') await jobsView(main, () => mine === generation);
    else if (path === '/audit') await auditView(main, params);
    else await groupsView(main);
  } catch (error) {
    if (!token()) { login(); return; }
    main.replaceChildren(h('p', { class: 'error', 'data-testid': 'error' }, (error as Error).message));
  }
}

window.addEventListener('hashchange', () => void render());
void render();
