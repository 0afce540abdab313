// The web UI's shell: signs in when the server asks for a token, and shows the page the address names.
import { getJson, Refused, signedIn, signIn, signOut } from './api.js';
import { showCatalog } from './catalog-page.js';
import { el } from './dom.js';
import { showFreshness } from './freshness-page.js';
import { showRuns } from './runs-page.js';
import { showTables } from './tables-page.js';
import { showValues } from './values-page.js';

const PAGES = { catalog: showCatalog, freshness: showFreshness, runs: showRuns, tables: showTables, values: showValues };

async function show() {
  const page = location.hash.replace(/^#/, '').split('?')[0] || 'catalog';
  const main = document.getElementById('main');
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('current', link.dataset.page === page);
  try {
    const who = await getJson('api/whoami');
    document.getElementById('login').hidden = true;
    document.getElementById('project').textContent = who.project;
    document.getElementById('caller').textContent = who.caller === null ? '' : `signed in as ${who.caller}`;
    document.getElementById('sign-out').hidden = !signedIn();
    main.replaceChildren(el('p', { class: 'loading' }, 'Loading…'));
    await (PAGES[page] ?? showCatalog)(main, who);
  } catch (error) {
    if (!(error instanceof Refused)) {
      main.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message));
      return;
    }
    main.replaceChildren();
    document.getElementById('sign-out').hidden = !signedIn();
    askForToken(error.message);
  }
}

function askForToken(reason) {
  const form = document.getElementById('login');
  document.getElementById('login-reason').textContent = reason;
  form.hidden = false;
  document.getElementById('token').focus();
}

document.getElementById('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('token');
  signIn(input.value.trim());
  input.value = '';
  void show();
});
document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  void show();
});
window.addEventListener('hashchange', () => void show());
void show();
