// Freshness: each view's watermark and last commit against its schedule; stale views first, marked;
// a click on a view plots its freshness at each materialization commit (uPlot). Below, the stream
// sources' lag per partition and rows/s.
import uPlot from './uPlot.esm.js';
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
      el(
        'td',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'link history',
            title: 'Plot its freshness over time',
            onclick: () => void showHistory(view.featureView),
          },
          view.featureView,
        ),
      ),
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
        'A scheduled view is stale when its watermark is older than two intervals of its schedule plus its delay (one run missed), or when it was never materialized. Click a view to plot its freshness over time.',
      ),
      el('section', { id: 'freshness-history' }),
      report.streams.length > 0 && streamsTable(report.streams),
    ),
  );
}

/** The view's freshness (commit time − watermark) at each materialization commit of its online table, drawn under the table. */
async function showHistory(featureView) {
  const section = document.getElementById('freshness-history');
  const history = await getJson(`api/freshness/${encodeURIComponent(featureView)}/history`);
  const title = el('h3', {}, `Freshness of ${featureView} at each materialization`);
  if (history.points.length === 0) {
    section.replaceChildren(title, el('p', { class: 'empty' }, 'Not materialized yet: no commits to plot.'));
    return;
  }
  const chart = el('div', { class: 'history-chart', 'data-view': featureView });
  section.replaceChildren(title, chart);
  const times = history.points.map((point) => Date.parse(point.commit) / 1000);
  const greatest = Math.max(...history.points.map((point) => point.freshnessSeconds));
  const [unit, size] = greatest < 7_200 ? ['min', 60] : greatest < 172_800 ? ['h', 3_600] : ['d', 86_400];
  const freshness = history.points.map((point) => point.freshnessSeconds / size);
  new uPlot(
    {
      width: 700,
      height: 220,
      // Commit times in UTC, as every instant on the page.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      scales: {
        // One commit alone: an hour either side of it (uPlot would stretch it over years).
        x: { range: (_chart, min, max) => (times[0] === times.at(-1) ? [times[0] - 3_600, times[0] + 3_600] : [min, max]) },
        y: { range: (_chart, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      },
      series: [{}, { label: `freshness (${unit})`, stroke: 'rgb(31, 95, 160)', width: 2, points: { show: true } }],
      axes: [{}, { label: `commit − watermark (${unit})`, size: 60 }],
    },
    [times, freshness],
    chart,
  );
}

/** Each stream source's position in its table and lag behind the topic's end per partition, its rate, last batch and dead letters. */
function streamsTable(streams) {
  const head = el(
    'tr',
    {},
    ['Stream source', 'Topic', 'Table', 'Partitions: next offset / end (lag)', 'Rows/s', 'Last batch (UTC)', 'Dead letters'].map((title) =>
      el('th', {}, title),
    ),
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
        stream.partitions.length === 0 ? 'none taken yet' : stream.partitions.map(partitionText).join(', '),
        stream.lagUnknown !== null && el('div', { class: 'lag-unknown' }, `lag unknown: ${stream.lagUnknown}`),
      ),
      el('td', {}, stream.rowsPerSecond === null ? '—' : String(Number(stream.rowsPerSecond.toPrecision(3)))),
      el('td', {}, el('time', {}, stream.lastCommit ?? '—')),
      el('td', { class: stream.deadLetters > 0 ? 'dead-letters' : '' }, `${stream.deadLetters} in ${stream.deadLetterTable}`),
    ),
  );
  return el('section', { class: 'streams' }, el('h3', {}, 'Stream sources'), el('table', {}, el('thead', {}, head), el('tbody', {}, rows)));
}

function partitionText(p) {
  const next = p.nextOffset ?? 'none';
  return p.endOffset === null ? `${p.partition}: ${next}` : `${p.partition}: ${next} / ${p.endOffset} (lag ${p.lag})`;
}
