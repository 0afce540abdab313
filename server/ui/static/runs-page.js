// Runs: Floe's recent workflows (materialize, backfill, compaction, consistency, training sets)
// from Temporal's visibility API, each linked to its page in the Temporal Web UI.
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
    ['Type', 'Workflow', 'Feature views', 'Status', 'Started (UTC)', 'Closed (UTC)', 'Progress'].map((name) => el('th', {}, name)),
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
      el('td', {}, run.progress ?? ''),
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
