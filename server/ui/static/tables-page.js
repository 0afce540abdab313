// Tables: each Iceberg table Floe reads or writes, from its head snapshot's totals; per table, its
// delete files and orphan litter on request (read-only), and "compact now" for a caller allowed to.
import { getJson, mayMaterialize, postJson } from './api.js';
import { el } from './dom.js';

const ROLE_LABELS = {
  source: 'source',
  online: 'online table',
  tiles: 'tiles',
  'dead-letters': 'dead letters',
  consistency: 'consistency reports',
};

export async function showTables(main, who) {
  const answer = await getJson('api/tables');
  const head = el(
    'tr',
    {},
    ['Table', 'Role', 'Snapshots', 'Last commit (UTC)', 'Data files', 'Records', 'Size', 'Delete files', 'Litter', ''].map((title) =>
      el('th', {}, title),
    ),
  );
  const rows = answer.tables.map((table) => tableRow(table, mayMaterialize(who, table.compactTarget.featureView)));
  main.replaceChildren(
    el(
      'section',
      { class: 'tables-page' },
      el('h2', {}, 'Tables'),
      el('p', { class: 'summary' }, `${answer.tables.length} tables Floe reads or writes`),
      el('table', {}, el('thead', {}, head), el('tbody', {}, rows)),
      el(
        'p',
        { class: 'hint' },
        'Litter reads the table’s manifests and lists its folder: files no metadata refers to, older than 3 days, are what orphan removal (and floe compact) would delete. Nothing is deleted from this page.',
      ),
    ),
  );
}

function tableRow(table, compactable) {
  const deletes =
    table.deleteFiles === null
      ? '—'
      : `${table.deleteFiles} (${table.positionDeletes ?? 0} position, ${table.equalityDeletes ?? 0} equality rows)`;
  const litter = el('td', { class: 'litter' });
  if (table.exists)
    litter.append(el('button', { type: 'button', class: 'look', onclick: () => void showLitter(table.table, litter) }, 'Look'));
  const action = el('td', { class: 'action' });
  if (compactable && table.exists)
    action.append(el('button', { type: 'button', class: 'compact', onclick: () => void compactNow(table, action) }, 'Compact now'));
  return el(
    'tr',
    { class: 'table', 'data-table': table.table, 'data-exists': String(table.exists) },
    el('td', {}, table.table),
    el(
      'td',
      {},
      table.roles.map((role) => `${ROLE_LABELS[role.kind]}${role.definition === null ? '' : ` of ${role.definition}`}`).join(', '),
    ),
    el('td', {}, table.exists ? String(table.snapshots) : 'not created yet'),
    el('td', {}, el('time', {}, table.lastCommit ?? '—')),
    el('td', {}, shownCount(table.dataFiles)),
    el('td', {}, shownCount(table.records)),
    el('td', {}, shownBytes(table.bytes)),
    el('td', {}, deletes),
    litter,
    action,
  );
}

async function showLitter(table, cell) {
  cell.replaceChildren('…');
  try {
    const litter = await getJson(`api/tables/${encodeURIComponent(table)}/litter`);
    cell.replaceChildren(
      el(
        'span',
        { class: litter.orphans.files > 0 ? 'status stale' : 'status' },
        `${litter.orphans.files} orphan files (${shownBytes(litter.orphans.bytes)}), ${litter.tooYoung} younger; ${litter.deleteFiles} live delete files, ${litter.deletionVectorFiles} of deletion vectors`,
      ),
    );
  } catch (error) {
    cell.replaceChildren(el('span', { class: 'error', role: 'alert' }, error.message));
  }
}

async function compactNow(table, cell) {
  cell.replaceChildren('starting…');
  try {
    const started = await postJson('api/compact', table.compactTarget);
    cell.replaceChildren(
      el(
        'span',
        { class: 'started' },
        `${started.alreadyRunning ? 'already running' : 'started'}: `,
        el('a', { href: '#runs' }, started.workflowId),
      ),
    );
  } catch (error) {
    cell.replaceChildren(el('span', { class: 'error', role: 'alert' }, error.message));
  }
}

function shownCount(count) {
  return count === null ? '—' : count.toLocaleString('en');
}

function shownBytes(bytes) {
  if (bytes === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
