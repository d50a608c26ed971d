import { api, setToken, token } from './api.js';
import { auditView } from './audit-view.js';
import { h } from './dom.js';
import { groupsView } from './groups-view.js';
import { jobsView } from './jobs-view.js';
import { messageView } from './message-view.js';
import { messagesView } from './messages-view.js';
import { finishSignIn, signInOffer, startSignIn } from './sign-in.js';

const main = document.getElementById('main') as HTMLElement;
let generation = 0;

/** The sign-in page: the identity provider's button when single sign-on is configured, and the token box; `message` says why the last attempt failed. */
async function login(message?: string): Promise<void> {
  const offer = await signInOffer();
  const oidc = 'oidc' in offer ? offer.oidc : null;
  const form = h('form', { 'data-testid': 'login' },
    h('p', {}, oidc ? 'Or paste an admin token or a bearer JWT:' : 'Paste an admin token or a bearer JWT from your identity provider (the demo prints a token: JUNCTION_TOKEN).'),
    h('input', { type: 'password', name: 'token', size: '48', 'data-testid': 'token', autocomplete: 'off' }), ' ',
    h('button', { type: 'submit', class: oidc ? undefined : 'primary' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(String(new FormData(form as HTMLFormElement).get('token') ?? '').trim());
    void render();
  });
  main.replaceChildren(h('section', {},
    h('h2', {}, 'Sign in'),
    message ? h('p', { class: 'error', 'data-testid': 'sign-in-error' }, message) : undefined,
    oidc ? h('p', {}, h('button', { class: 'primary', 'data-testid': 'sso', onclick: () => void startSignIn(oidc).catch((error: unknown) => login((error as Error).message)) }, 'Sign in with your identity provider')) : undefined,
    'unavailable' in offer ? h('p', { class: 'error', 'data-testid': 'sso-unavailable' }, offer.unavailable) : undefined,
    form));
}

async function render(message?: string): Promise<void> {
  const mine = ++generation;
  if (!token()) { await login(message); return; }
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
    if (!token()) { await login((error as Error).message); return; }
    main.replaceChildren(h('p', { class: 'error', 'data-testid': 'error' }, (error as Error).message));
  }
}

/** First render; after a return from the identity provider, with its token or the reason there is none. */
async function boot(): Promise<void> {
  const outcome = await finishSignIn();
  if (outcome && 'token' in outcome) setToken(outcome.token);
  await render(outcome && 'error' in outcome ? outcome.error : undefined);
}

window.addEventListener('hashchange', () => void render());
void boot();
