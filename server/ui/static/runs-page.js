// Runs: Floe's recent workflows (materialize, backfill, compaction, consistency, training sets)
// from Temporal's visibility API, with the windows they covered, the rows they wrote and why they
// failed, each linked to its page in the Temporal Web UI.
import { getJson } from './api.js';
import { el } from './dom.js';

const FAILED = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED']);

export async function showRuns(main) {
  const answer = await getJson('api/runs');
  const title = el('h2', {}, 'Runs');
  if (!answer.available) {
    main.replaceChildren(
      el('section', {}, title, el('p', { class: 'empty' }, 'This feature server has no Temporal client to list runs with.')),
    );
    return;
  }
  const head = el(
    'tr',
    {},
    ['Type', 'Workflow', 'Feature views', 'Status', 'Started (UTC)', 'Closed (UTC)', 'Windows', 'Rows', 'Progress', 'Error'].map((name) =>
      el('th', {}, name),
    ),
  );
  const rows = answer.runs.map((run) =>
    el(
      'tr',
      { class: 'run', 'data-workflow-id': run.workflowId, 'data-status': run.status },
      el('td', {}, run.type),
      el(
        'td',
        {},
        run.temporalUiUrl === null
          ? run.workflowId
          : el('a', { href: run.temporalUiUrl, target: '_blank', rel: 'noopener noreferrer' }, run.workflowId),
      ),
      el('td', {}, run.featureViews.join(', ')),
      el(
        'td',
        {},
        el(
          'span',
          { class: `run-status ${FAILED.has(run.status) ? 'failed' : run.status.toLowerCase()}` },
          run.status.toLowerCase().replace(/_/g, ' '),
        ),
      ),
      el('td', {}, el('time', {}, run.startTime)),
      el('td', {}, el('time', {}, run.closeTime ?? '—')),
      el(
        'td',
        { class: 'run-windows' },
        run.windows.map((window) => el('div', {}, shownWindow(window))),
      ),
      el('td', { class: 'run-rows' }, run.rows === null ? '' : run.rows.toLocaleString('en-US')),
      el('td', {}, run.progress ?? ''),
      el('td', { class: 'run-error' }, run.error ?? ''),
    ),
  );
  main.replaceChildren(
    el(
      'section',
      { class: 'runs-page' },
      title,
      answer.runs.length === 0
        ? el('p', { class: 'empty' }, 'No runs yet.')
        : el('table', {}, el('thead', {}, head), el('tbody', {}, rows)),
    ),
  );
}

/** `[start, end)`, and a backfill's chunks: `[2024-05-01T00:00:00Z, 2024-05-03T00:00:00Z) in 4 chunks`; lines break between the instants only. */
function shownWindow(window) {
  const range = [el('span', { class: 'instant' }, `[${window.start},`), ' ', el('span', { class: 'instant' }, `${window.end})`)];
  return window.chunks === null ? range : [...range, ` in ${window.chunks} chunk${window.chunks === 1 ? '' : 's'}`];
}
