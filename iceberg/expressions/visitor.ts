/**
 * The shape bound and projected filters share (constants, and/or over arguments, and leaves: a
 * bound predicate or a partition predicate), and the one walk over it: `visit` folds a filter
 * bottom-up through a visitor, as iceberg-python's BooleanExpressionVisitor does; `combine`
 * builds and/or with constants folded and nested and/or flattened. A leaf's op is never one of
 * the connectives' (true, false, and, or).
 */
export type LogicalExpression<Leaf> =
  | { readonly op: 'true' }
  | { readonly op: 'false' }
  | { readonly op: 'and'; readonly args: readonly LogicalExpression<Leaf>[] }
  | { readonly op: 'or'; readonly args: readonly LogicalExpression<Leaf>[] }
  | Leaf;

export interface LogicalVisitor<Leaf, R> {
  alwaysTrue(): R;
  alwaysFalse(): R;
  and(args: readonly R[]): R;
  or(args: readonly R[]): R;
  leaf(leaf: Leaf): R;
}

type Connective = { readonly op: 'true' } | { readonly op: 'false' } | { readonly op: 'and' | 'or'; readonly args: readonly unknown[] };

export function visit<Leaf extends { readonly op: string }, R>(expression: LogicalExpression<Leaf>, visitor: LogicalVisitor<Leaf, R>): R {
  const node = expression as Connective;
  switch (node.op) {
    case 'true':
      return visitor.alwaysTrue();
    case 'false':
      return visitor.alwaysFalse();
    case 'and':
    case 'or': {
      const args = (node.args as readonly LogicalExpression<Leaf>[]).map((arg) => visit(arg, visitor));
      return node.op === 'and' ? visitor.and(args) : visitor.or(args);
    }
    default:
      return visitor.leaf(expression as Leaf);
  }
}

/** `and(…)` or `or(…)` with constants folded and nested and/or of the same kind flattened: `and()` is true, `or()` is false. */
export function combine<Leaf extends { readonly op: string }>(
  op: 'and' | 'or',
  args: readonly LogicalExpression<Leaf>[],
): LogicalExpression<Leaf> {
  const identity = op === 'and' ? 'true' : 'false';
  const absorbing = op === 'and' ? 'false' : 'true';
  const kept: LogicalExpression<Leaf>[] = [];
  for (const arg of args) {
    const node = arg as Connective;
    if (node.op === absorbing) return arg;
    if (node.op === identity) continue;
    if (node.op === op) kept.push(...(node.args as readonly LogicalExpression<Leaf>[]));
    else kept.push(arg);
  }
  if (kept.length === 0) return { op: identity };
  if (kept.length === 1) return kept[0]!;
  return { op, args: kept };
}

/**
 * The filter as a test of whatever its leaves judge (a manifest, a data file), built once and run
 * for each input; and/or stop at the first argument that decides them.
 */
export function evaluator<Leaf extends { readonly op: string }, Input>(
  expression: LogicalExpression<Leaf>,
  leaf: (leaf: Leaf) => (input: Input) => boolean,
): (input: Input) => boolean {
  return visit<Leaf, (input: Input) => boolean>(expression, {
    alwaysTrue: () => () => true,
    alwaysFalse: () => () => false,
    and: (args) => (input) => args.every((arg) => arg(input)),
    or: (args) => (input) => args.some((arg) => arg(input)),
    leaf,
  });
}
