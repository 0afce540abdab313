// Freshness: each view's watermark and last commit against its schedule; stale views first, marked.
import { getJson, mayMaterialize } from './api.js';
import { backfillFormRow } from './backfill-form.js';
import { el, shownDuration } from './dom.js';

const STATUS_LABELS = {
  fresh: 'fresh',
  stale: 'stale',
  unscheduled: 'no schedule',
  offline: 'no online table',
  unknown: 'unreadable now',
};

export async function showFreshness(main, who) {
  const report = await getJson('api/freshness');
  const stale = report.views.filter((view) => view.status === 'stale').length;
  const head = el(
    'tr',
    {},
    ['Feature view', 'Status', 'Schedule', 'Watermark (UTC)', 'Last commit (UTC)', 'Age', 'Stale after', ''].map((title) =>
      el('th', {}, title),
    ),
  );
  const rows = report.views.map((view) => {
    const action = el('td', { class: 'action' });
    if (mayMaterialize(who, view.featureView))
      action.append(
        el(
          'button',
          {
            type: 'button',
            class: 'backfill',
            onclick: (event) => {
              const row = event.target.closest('tr');
              if (row.nextElementSibling?.classList.contains('backfill')) row.nextElementSibling.remove();
              else row.after(backfillFormRow(view.featureView, 8));
            },
          },
          'Backfill…',
        ),
      );
    return el(
      'tr',
      { class: `freshness ${view.status}`, 'data-view': view.featureView, 'data-status': view.status },
      el('td', {}, view.featureView),
      el('td', {}, el('span', { class: `status ${view.status}` }, STATUS_LABELS[view.status])),
      el('td', {}, view.schedule ?? '—'),
      el('td', {}, el('time', {}, view.watermark ?? 'never materialized')),
      el('td', {}, el('time', {}, view.lastCommit ?? '—')),
      el('td', {}, shownDuration(view.ageSeconds)),
      el('td', {}, shownDuration(view.staleAfterSeconds)),
      action,
    );
  });
  main.replaceChildren(
    el(
      'section',
      { class: 'freshness-page' },
      el('h2', {}, 'Freshness'),
      el('p', { class: 'summary' }, `${stale} of ${report.views.length} views stale at `, el('time', { id: 'measured-at' }, report.now)),
      el('table', {}, el('thead', {}, head), el('tbody', {}, rows)),
      el(
        'p',
        { class: 'hint' },
        'A scheduled view is stale when its watermark is older than two intervals of its schedule plus its delay (one run missed), or when it was never materialized.',
      ),
      report.streams.length > 0 && streamsTable(report.streams),
    ),
  );
}

/** Each stream source's position in its table (per partition, the next offset not yet taken), its last batch and its dead letters. */
function streamsTable(streams) {
  const head = el(
    'tr',
    {},
    ['Stream source', 'Topic', 'Table', 'Next offsets', 'Last batch (UTC)', 'Dead letters'].map((title) => el('th', {}, title)),
  );
  const rows = streams.map((stream) =>
    el(
      'tr',
      { class: 'stream', 'data-stream': stream.stream },
      el('td', {}, stream.stream),
      el('td', {}, stream.topic),
      el('td', {}, stream.table),
      el(
        'td',
        {},
        stream.partitions.length === 0 ? 'none taken yet' : stream.partitions.map((p) => `${p.partition}: ${p.nextOffset}`).join(', '),
      ),
      el('td', {}, el('time', {}, stream.lastCommit ?? '—')),
      el('td', { class: stream.deadLetters > 0 ? 'dead-letters' : '' }, `${stream.deadLetters} in ${stream.deadLetterTable}`),
    ),
  );
  return el('section', { class: 'streams' }, el('h3', {}, 'Stream sources'), el('table', {}, el('thead', {}, head), el('tbody', {}, rows)));
}
