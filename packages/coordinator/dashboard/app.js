// The dashboard's shell: the login form, the pages by URL hash (#/, #/jobs/ID, #/queue).
import { ApiError, get, post } from './api.js';
import { h } from './html.js';
import { jobPage } from './job-page.js';
import { jobsPage } from './jobs-page.js';
import { queuePage } from './queue-page.js';

const main = document.getElementById('app');
let leave = () => {};

function route() {
  leave();
  leave = () => {};
  document.body.dataset.ready = 'false';
  const hash = location.hash.replace(/^#/, '') || '/';
  const job = /^\/jobs\/([^/]+)$/.exec(hash);
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('on', a.dataset.nav === (hash === '/queue' ? 'queue' : 'jobs'));
  const page = job ? jobPage(decodeURIComponent(job[1])) : hash === '/queue' ? queuePage() : jobsPage();
  main.replaceChildren(page.el);
  leave = page.leave ?? leave;
  page.load().catch(failed);
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) return showLogin(e);
  main.replaceChildren(h('div', { class: 'error', role: 'alert' }, h('strong', {}, e.code ?? 'error'), ': ', e.message, e.hint ? h('div', { class: 'hint' }, e.hint) : null));
  document.body.dataset.ready = 'true';
}

function showLogin(why) {
  leave();
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'off', placeholder: 'djc_…', required: true });
  const msg = h('p', { class: 'error', role: 'alert', hidden: why.code === 'AUTH_REQUIRED' }, why.message);
  const form = h('form', { class: 'login', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const me = await post('/login', { token: input.value });
      signedIn(me);
      route();
    } catch (e) {
      msg.hidden = false;
      msg.textContent = e.message;
    }
  } },
  h('h1', {}, 'Log in'),
  h('label', { for: 'token' }, 'API token'), input,
  h('p', { class: 'hint' }, 'A token from `djc token create --scope read` (submit to cancel jobs). It is kept in an HttpOnly cookie.'),
  msg, h('button', { type: 'submit' }, 'Log in'));
  main.replaceChildren(form);
  document.body.dataset.page = 'login';
  document.body.dataset.ready = 'true';
}

function signedIn(me) {
  document.getElementById('who').textContent = me ? `${me.name} (${me.scope})` : '';
  document.getElementById('logout').hidden = !me || me.transport !== 'tcp';
}

document.getElementById('logout').addEventListener('click', async () => {
  await post('/logout').catch(() => {});
  signedIn(null);
  route();
});
window.addEventListener('hashchange', route);
get('/session').then(signedIn, () => {});
route();
