// The lineage graph as plain SVG: a column per depth (source tables left, feature services right),
// nodes in name order within a column, an edge per "feeds". Matched nodes stand out while searching.
import { el, svg } from './dom.js';

const NODE = { width: 170, height: 26, columnGap: 50, rowGap: 10, margin: 10 };
const KIND_LABELS = {
  table: 'table',
  iceberg: 'Iceberg source',
  push: 'push source',
  stream: 'stream source',
  request: 'request source',
  view: 'feature view',
  onDemand: 'on-demand view',
  service: 'feature service',
};

/** The graph's key: one swatch per kind of node it holds. */
export function lineageLegend(graph) {
  const kinds = Object.keys(KIND_LABELS).filter((kind) => graph.nodes.some((node) => node.kind === kind));
  return el(
    'ul',
    { class: 'legend' },
    kinds.map((kind) => el('li', { class: kind }, el('span', { class: 'swatch' }), KIND_LABELS[kind])),
  );
}

export function lineageSvg(graph, matched, select) {
  const rows = new Map();
  const at = new Map();
  for (const node of graph.nodes) {
    rows.set(node.column, Math.max(rows.get(node.column) ?? 0, node.row + 1));
    at.set(node.id, {
      x: NODE.margin + node.column * (NODE.width + NODE.columnGap),
      y: NODE.margin + node.row * (NODE.height + NODE.rowGap),
    });
  }
  const width = NODE.margin * 2 + Math.max(1, rows.size) * (NODE.width + NODE.columnGap) - NODE.columnGap;
  const height = NODE.margin * 2 + Math.max(1, ...rows.values()) * (NODE.height + NODE.rowGap) - NODE.rowGap;
  const edges = graph.edges.map(({ from, to }) => {
    const a = at.get(from);
    const b = at.get(to);
    const x1 = a.x + NODE.width;
    const y1 = a.y + NODE.height / 2;
    const x2 = b.x;
    const y2 = b.y + NODE.height / 2;
    const bend = (x2 - x1) / 2;
    return svg('path', {
      class: 'edge',
      'data-from': from,
      'data-to': to,
      d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
    });
  });
  const nodes = graph.nodes.map((node) => {
    const { x, y } = at.get(node.id);
    const state = matched === null ? '' : matched.has(node.id) ? ' matched' : ' dimmed';
    return svg(
      'g',
      { class: `node ${node.kind}${state}`, 'data-node': node.id, transform: `translate(${x},${y})`, onclick: () => select(node.id) },
      svg('title', {}, `${KIND_LABELS[node.kind]} ${node.label}`),
      svg('rect', { width: NODE.width, height: NODE.height, rx: 4 }),
      svg('text', { x: 8, y: NODE.height / 2 + 4 }, shortened(node.label)),
    );
  });
  return svg(
    'svg',
    {
      class: 'lineage-graph',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': 'Lineage from source tables to feature services',
    },
    svg('g', { class: 'edges' }, edges),
    svg('g', { class: 'nodes' }, nodes),
  );
}

function shortened(label) {
  return label.length > 24 ? `${label.slice(0, 23)}…` : label;
}
