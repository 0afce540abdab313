// The catalog: every entity, source, feature view and feature service the caller may see, the
// lineage graph between them, and a search by name, tag and owner (done by the server).
import { getJson } from './api.js';
import { el } from './dom.js';
import { lineageLegend, lineageSvg } from './lineage-graph.js';

const SECTIONS = [
  ['featureViews', 'Feature views'],
  ['featureServices', 'Feature services'],
  ['sources', 'Sources'],
  ['entities', 'Entities'],
];

export async function showCatalog(main) {
  const results = el('div', { id: 'catalog-results' });
  const detail = el('aside', { id: 'definition', hidden: true });
  let pending;
  const search = el('input', {
    id: 'search',
    type: 'search',
    placeholder: 'Search: a name, tag:team=risk, owner:alice',
    'aria-label': 'Search the catalog',
    oninput: () => {
      clearTimeout(pending);
      pending = setTimeout(() => void render(search.value), 150);
    },
  });
  const render = async (query) => {
    const catalog = await getJson(`api/catalog${query.trim() === '' ? '' : `?q=${encodeURIComponent(query)}`}`);
    // A slower answer to an older query does not replace a newer one.
    if (query !== search.value) return;
    results.replaceChildren(...catalogSections(catalog, (item) => showDefinition(detail, item)));
  };
  main.replaceChildren(el('section', { class: 'catalog' }, el('h2', {}, 'Catalog and lineage'), search, results), detail);
  await render('');
}

function catalogSections(catalog, select) {
  const matched = catalog.matches === null ? null : new Set(catalog.matches);
  const byNode = new Map(SECTIONS.flatMap(([key]) => catalog[key].map((item) => [item.node, item])));
  const graph = lineageSvg(catalog.lineage, matched, (node) => {
    const item = byNode.get(node);
    if (item !== undefined) select(item);
  });
  const count = SECTIONS.reduce((total, [key]) => total + catalog[key].length, 0);
  return [
    el('p', { class: 'count' }, matched === null ? `${count} definitions` : `${count} definitions match`),
    el('div', { class: 'lineage' }, graph),
    lineageLegend(catalog.lineage),
    ...SECTIONS.map(([key, title]) => itemTable(key, title, catalog[key], select)),
  ];
}

function itemTable(key, title, items, select) {
  const hasType = key === 'sources' || key === 'featureViews';
  const head = el(
    'tr',
    {},
    el('th', {}, 'Name'),
    hasType && el('th', {}, 'Type'),
    el('th', {}, 'Owner'),
    el('th', {}, 'Tags'),
    el('th', {}, 'Description'),
  );
  const rows = items.map((item) =>
    el(
      'tr',
      { 'data-name': item.name, 'data-node': item.node, onclick: () => select(item) },
      el('td', {}, el('button', { type: 'button', class: 'link' }, item.name)),
      hasType && el('td', {}, typeLabel(item)),
      el('td', {}, item.owner ?? ''),
      el(
        'td',
        {},
        ...Object.entries(item.tags).map(([tag, value]) => el('span', { class: 'tag' }, value === '' ? tag : `${tag}=${value}`)),
      ),
      el('td', {}, item.description ?? ''),
    ),
  );
  return el(
    'section',
    { class: 'items', 'data-kind': key },
    el('h3', {}, `${title} (${items.length})`),
    items.length === 0 ? el('p', { class: 'empty' }, 'None.') : el('table', {}, el('thead', {}, head), el('tbody', {}, rows)),
  );
}

function typeLabel(item) {
  const label = { onDemand: 'on-demand', iceberg: 'Iceberg' }[item.type] ?? item.type;
  return item.schedule ? `${label}, ${item.schedule}` : label;
}

function showDefinition(detail, item) {
  detail.hidden = false;
  detail.replaceChildren(
    el('button', { type: 'button', class: 'close', 'aria-label': 'Close', onclick: () => (detail.hidden = true) }, '×'),
    el('h3', {}, item.name),
    el('pre', { class: 'definition' }, JSON.stringify(item.definition, null, 2)),
  );
}
