// Freshness: each view's watermark and last commit against its schedule; stale views first, marked.
import { getJson } from './api.js';
import { el, shownDuration } from './dom.js';

const STATUS_LABELS = {
  fresh: 'fresh',
  stale: 'stale',
  unscheduled: 'no schedule',
  offline: 'no online table',
  unknown: 'unreadable now',
};

export async function showFreshness(main) {
  const report = await getJson('api/freshness');
  const stale = report.views.filter((view) => view.status === 'stale').length;
  const head = el(
    'tr',
    {},
    ['Feature view', 'Status', 'Schedule', 'Watermark (UTC)', 'Last commit (UTC)', 'Age', 'Stale after'].map((title) =>
      el('th', {}, title),
    ),
  );
  const rows = report.views.map((view) =>
    el(
      'tr',
      { class: `freshness ${view.status}`, 'data-view': view.featureView, 'data-status': view.status },
      el('td', {}, view.featureView),
      el('td', {}, el('span', { class: `status ${view.status}` }, STATUS_LABELS[view.status])),
      el('td', {}, view.schedule ?? '—'),
      el('td', {}, el('time', {}, view.watermark ?? 'never materialized')),
      el('td', {}, el('time', {}, view.lastCommit ?? '—')),
      el('td', {}, shownDuration(view.ageSeconds)),
      el('td', {}, shownDuration(view.staleAfterSeconds)),
    ),
  );
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
    ),
  );
}
