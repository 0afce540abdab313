import type { Registry } from '../../features/registry.js';
import type { VisibleNames } from './visible-definitions.js';

export type LineageKind = 'table' | 'iceberg' | 'push' | 'stream' | 'request' | 'view' | 'onDemand' | 'service';

export interface LineageNode {
  /** `<kind>:<name>`, except views of both sorts, which are `view:<name>` (their names never clash). */
  readonly id: string;
  readonly kind: LineageKind;
  readonly label: string;
  /** Its column left to right: one more than the furthest node feeding it (tables and sources without inputs at 0). */
  readonly column: number;
  /** Its place in its column, top to bottom, chosen so that edges cross little. */
  readonly row: number;
}

/** `from` feeds `to`. */
export interface LineageEdge {
  readonly from: string;
  readonly to: string;
}

export interface LineageGraph {
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
}

/**
 * From source tables to feature services, over what the caller may see: a table feeds its Iceberg
 * source; a stream source its push source; a push source its batch source (where pushed rows are
 * appended) and the views it feeds; a view its source; an on-demand view the views and request
 * sources it computes from; a feature service the views it projects. Nodes are in column, then
 * name order.
 */
export function lineageGraph(registry: Registry, visible: VisibleNames): LineageGraph {
  const nodes = new Map<string, { kind: LineageKind; label: string }>();
  const edges = new Map<string, LineageEdge>();
  const node = (kind: LineageKind, label: string): string => {
    const id = `${kind === 'onDemand' ? 'view' : kind}:${label}`;
    nodes.set(id, { kind, label });
    return id;
  };
  const edge = (from: string, to: string): void => {
    edges.set(`${from}\0${to}`, { from, to });
  };
  for (const name of visible.sources) {
    const source = registry.source(name);
    edge(node('table', source.table), node('iceberg', name));
  }
  for (const name of visible.pushSources) edge(node('push', name), node('iceberg', registry.pushSource(name).batchSource));
  for (const name of visible.streamSources) edge(node('stream', name), node('push', registry.streamSource(name).pushSource));
  for (const name of visible.requestSources) node('request', name);
  for (const name of visible.featureViews) {
    const view = registry.featureView(name);
    const id = node('view', name);
    edge(node('iceberg', registry.sourceOf(view).name), id);
    if (registry.pushSources.has(view.source)) edge(node('push', view.source), id);
  }
  for (const name of visible.onDemandViews) {
    const id = node('onDemand', name);
    const inputs = registry.onDemandSourcesOf(registry.onDemandViews.get(name)!);
    for (const projection of inputs.views) edge(node('view', projection.view.name), id);
    for (const request of inputs.requestSources) edge(node('request', request.name), id);
  }
  for (const name of visible.featureServices) {
    const id = node('service', name);
    for (const projection of registry.featureService(name).features) edge(`view:${projection.featureView}`, id);
  }
  const columns = columnsOf([...nodes.keys()], [...edges.values()]);
  const rows = rowsOf(columns, [...edges.values()], (id) => nodes.get(id)!.label);
  const placed = [...nodes].map(([id, { kind, label }]) => ({ id, kind, label, column: columns.get(id)!, row: rows.get(id)! }));
  placed.sort((a, b) => a.column - b.column || a.row - b.row);
  return { nodes: placed, edges: [...edges.values()].sort(compareEdges) };
}

/** Each node's longest distance from a node nothing feeds (the graph has no cycles: definitions cannot refer back). */
function columnsOf(ids: readonly string[], edges: readonly LineageEdge[]): Map<string, number> {
  const inputs = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const { from, to } of edges) inputs.get(to)!.push(from);
  const columns = new Map<string, number>();
  const columnOf = (id: string): number => {
    const known = columns.get(id);
    if (known !== undefined) return known;
    const column = Math.max(-1, ...inputs.get(id)!.map(columnOf)) + 1;
    columns.set(id, column);
    return column;
  };
  for (const id of ids) columnOf(id);
  return columns;
}

/**
 * Each node's row in its column: first by name, then sweeping right, left and right again, each
 * column ordered by the mean row of the nodes it is joined to on the side swept from (the barycenter heuristic).
 */
function rowsOf(columns: ReadonlyMap<string, number>, edges: readonly LineageEdge[], label: (id: string) => string): Map<string, number> {
  const byColumn: string[][] = [];
  for (const [id, column] of columns) (byColumn[column] ??= []).push(id);
  const rows = new Map<string, number>();
  const place = (ids: string[]): void => ids.forEach((id, row) => rows.set(id, row));
  for (const ids of byColumn) place(ids.sort((a, b) => compareText(label(a), label(b))));
  const inputs = new Map<string, string[]>();
  const outputs = new Map<string, string[]>();
  for (const { from, to } of edges) {
    (inputs.get(to) ?? inputs.set(to, []).get(to)!).push(from);
    (outputs.get(from) ?? outputs.set(from, []).get(from)!).push(to);
  }
  const neighbours = (id: string, rightward: boolean): string[] => (rightward ? inputs : outputs).get(id) ?? [];
  const sweep = (order: number[], rightward: boolean): void => {
    for (const column of order) {
      const mean = new Map(
        byColumn[column]!.map((id) => {
          const placed = neighbours(id, rightward).map((other) => rows.get(other)!);
          return [id, placed.length === 0 ? rows.get(id)! : placed.reduce((sum, row) => sum + row, 0) / placed.length];
        }),
      );
      place(byColumn[column]!.sort((a, b) => mean.get(a)! - mean.get(b)! || compareText(label(a), label(b))));
    }
  };
  const columnNumbers = byColumn.map((_ids, column) => column);
  sweep(columnNumbers.slice(1), true);
  sweep(columnNumbers.slice(0, -1).reverse(), false);
  sweep(columnNumbers.slice(1), true);
  return rows;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEdges(a: LineageEdge, b: LineageEdge): number {
  const first = a.from < b.from ? -1 : a.from > b.from ? 1 : 0;
  return first !== 0 ? first : a.to < b.to ? -1 : a.to > b.to ? 1 : 0;
}
