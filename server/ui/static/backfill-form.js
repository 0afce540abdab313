// The backfill form of a view, for a caller allowed to materialize it: a range [start, end) and a
// chunk, sent to POST /ui/api/backfill, which starts the workflow `floe backfill` starts after the
// same checks (an end in the future is refused, with the server's reason shown here).
import { postJson } from './api.js';
import { el } from './dom.js';

/** A row spanning `columns` cells holding the form, shown under the view's row. */
export function backfillFormRow(featureView, columns) {
  const start = el('input', {
    name: 'start',
    type: 'text',
    required: true,
    placeholder: '2024-05-01T00:00:00Z',
    'aria-label': 'Start (UTC, inclusive)',
  });
  const end = el('input', {
    name: 'end',
    type: 'text',
    required: true,
    placeholder: '2024-05-02T00:00:00Z',
    'aria-label': 'End (UTC, exclusive)',
  });
  const chunk = el('input', { name: 'chunk', type: 'text', required: true, value: '1d', size: 6, 'aria-label': 'Chunk' });
  const outcome = el('span', { class: 'outcome', role: 'status' });
  const form = el(
    'form',
    {
      class: 'backfill-form',
      onsubmit: (event) => {
        event.preventDefault();
        void startBackfill(featureView, { start: start.value.trim(), end: end.value.trim(), chunk: chunk.value.trim() }, outcome);
      },
    },
    el('label', {}, 'Start ', start),
    el('label', {}, 'End ', end),
    el('label', {}, 'Chunk ', chunk),
    el('button', { type: 'submit' }, 'Start backfill'),
    outcome,
  );
  return el('tr', { class: 'backfill', 'data-view': featureView }, el('td', { colspan: columns }, form));
}

async function startBackfill(featureView, range, outcome) {
  outcome.className = 'outcome';
  outcome.replaceChildren('starting…');
  try {
    const started = await postJson('api/backfill', { featureView, ...range });
    outcome.replaceChildren(`${started.alreadyRunning ? 'already running' : 'started'}: `, el('a', { href: '#runs' }, started.workflowId));
  } catch (error) {
    outcome.className = 'outcome error';
    outcome.replaceChildren(error.message);
  }
}
