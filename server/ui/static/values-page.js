// Feature values: per feature of a view, the distribution of the rows its last materialized window
// wrote to the online table (a histogram for numbers), null rate, min/max/mean and distinct count;
// and the online/offline consistency checks over time. Charts are uPlot's.
import uPlot from './uPlot.esm.js';
import { getJson } from './api.js';
import { el } from './dom.js';

export async function showValues(main) {
  const catalog = await getJson('api/catalog');
  const views = catalog.featureViews.filter((view) => view.type !== 'onDemand').map((view) => view.name);
  const named = /[?&]view=([^&]*)/.exec(location.hash);
  const asked = named === null ? null : decodeURIComponent(named[1]);
  const current = views.includes(asked) ? asked : views[0];
  const picker = el(
    'select',
    {
      id: 'values-view',
      'aria-label': 'Feature view',
      onchange: (event) => (location.hash = `values?view=${encodeURIComponent(event.target.value)}`),
    },
    views.map((name) => el('option', { value: name, ...(name === current ? { selected: true } : {}) }, name)),
  );
  if (current === undefined) {
    main.replaceChildren(el('section', {}, el('h2', {}, 'Feature values'), el('p', { class: 'empty' }, 'No feature views to show.')));
    return;
  }
  const report = await getJson(`api/feature-values/${encodeURIComponent(current)}`);
  const about =
    report.window === null
      ? el('p', { class: 'summary' }, report.note ?? '')
      : el(
          'p',
          { class: 'summary' },
          `${report.table}, snapshot ${report.snapshotId}: the window `,
          el('time', {}, report.window.start),
          ' – ',
          el('time', {}, report.window.end),
          ` (${report.features[0]?.rows ?? 0} rows)`,
        );
  const section = el(
    'section',
    { class: 'values-page', 'data-view': current },
    el('h2', {}, 'Feature values ', picker),
    about,
    el('div', { class: 'feature-cards' }, report.features.map(featureCard)),
    el('h3', {}, 'Online/offline consistency'),
    consistencyChart(report.consistency),
  );
  main.replaceChildren(section);
  // uPlot measures its container: draw once the cards are in the page.
  for (const draw of pendingCharts.splice(0)) draw();
}

const pendingCharts = [];

function featureCard(feature) {
  const stats = [
    ['type', feature.type],
    ['rows', String(feature.rows)],
    ['null rate', feature.nullRate === null ? '—' : `${(feature.nullRate * 100).toFixed(1)}% (${feature.nulls})`],
    ['distinct', String(feature.distinct)],
    ['min', feature.min ?? '—'],
    ['max', feature.max ?? '—'],
    ['mean', feature.mean === null ? '—' : String(Number(feature.mean.toPrecision(6)))],
  ];
  const chart = el('div', { class: 'histogram' });
  if (feature.histogram !== null) pendingCharts.push(() => histogram(chart, feature));
  return el(
    'article',
    { class: 'feature-card', 'data-feature': feature.feature },
    el('h4', {}, feature.feature),
    el(
      'table',
      { class: 'stats' },
      el(
        'tbody',
        {},
        stats.map(([name, value]) => el('tr', { 'data-stat': name }, el('th', {}, name), el('td', {}, value))),
      ),
    ),
    chart,
  );
}

function histogram(container, feature) {
  const { edges, counts } = feature.histogram;
  const centers = counts.map((_, index) => (edges[index] + edges[index + 1]) / 2);
  new uPlot(
    {
      width: 320,
      height: 160,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{}, { size: 40 }],
      series: [
        {},
        {
          label: 'rows',
          fill: 'rgba(31, 95, 160, 0.6)',
          stroke: 'rgb(31, 95, 160)',
          paths: uPlot.paths.bars({ size: [0.95] }),
          points: { show: false },
        },
      ],
    },
    [centers, counts],
    container,
  );
}

function consistencyChart(points) {
  if (points.length === 0) return el('p', { class: 'empty' }, 'No consistency checks of this view yet (floe consistency writes them).');
  const features = [...new Set(points.map((point) => point.feature))];
  const times = [...new Set(points.map((point) => Date.parse(point.checkedAt) / 1000))].sort((a, b) => a - b);
  const series = features.map((feature) =>
    times.map(
      (time) => points.find((point) => point.feature === feature && Date.parse(point.checkedAt) / 1000 === time)?.mismatchRate ?? null,
    ),
  );
  const colors = ['rgb(31, 95, 160)', 'rgb(179, 38, 30)', 'rgb(46, 125, 50)', 'rgb(123, 31, 162)', 'rgb(239, 108, 0)'];
  const container = el('div', { class: 'consistency-chart' });
  pendingCharts.push(
    () =>
      new uPlot(
        {
          width: 700,
          height: 220,
          scales: { y: { range: [0, 1] } },
          series: [{}, ...features.map((feature, index) => ({ label: feature, stroke: colors[index % colors.length], width: 2 }))],
          axes: [{}, { label: 'mismatch rate', size: 50 }],
        },
        [times, ...series],
        container,
      ),
  );
  return container;
}
