/**
 * The one walk over and/or filters, against a brute-force reference: for random trees of
 * variables, `combine` keeps the meaning of and/or under every assignment while folding constants
 * and flattening, and `evaluator` answers as the tree's plain recursive meaning does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { combine, evaluator, visit } from '../../../../iceberg/expressions/visitor.js';
import type { LogicalExpression } from '../../../../iceberg/expressions/visitor.js';

interface Variable {
  readonly op: 'variable';
  readonly index: number;
}
type Tree = LogicalExpression<Variable>;

const VARIABLES = 4;

const { tree } = fc.letrec<{ tree: Tree }>((recurse) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Tree>({ op: 'true' }),
    fc.constant<Tree>({ op: 'false' }),
    fc.integer({ min: 0, max: VARIABLES - 1 }).map((index): Tree => ({ op: 'variable', index })),
    fc.array(recurse('tree'), { maxLength: 4 }).map((args): Tree => ({ op: 'and', args })),
    fc.array(recurse('tree'), { maxLength: 4 }).map((args): Tree => ({ op: 'or', args })),
  ),
}));

/** What the tree means under an assignment of the variables; `asked` hears each variable read, in order. */
function meaning(expression: Tree, assignment: readonly boolean[], asked: (index: number) => void = () => {}): boolean {
  switch (expression.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return expression.args.every((arg) => meaning(arg, assignment, asked));
    case 'or':
      return expression.args.some((arg) => meaning(arg, assignment, asked));
    default:
      asked(expression.index);
      return assignment[expression.index]!;
  }
}

const assignments = Array.from({ length: 2 ** VARIABLES }, (_, bits) =>
  Array.from({ length: VARIABLES }, (_, index) => ((bits >> index) & 1) === 1),
);

/** No constant below the root, and no and/or directly inside one of its own kind. */
function folded(expression: Tree, parent?: 'and' | 'or'): boolean {
  if (expression.op === 'true' || expression.op === 'false') return parent === undefined;
  if (expression.op === 'and' || expression.op === 'or')
    return (
      expression.op !== parent && expression.args.length > 1 && expression.args.every((arg) => folded(arg, expression.op as 'and' | 'or'))
    );
  return true;
}

/** The tree rebuilt through combine at every and/or: what the bound and projected filters hold. */
const rebuilt = (expression: Tree): Tree =>
  visit<Variable, Tree>(expression, {
    alwaysTrue: () => ({ op: 'true' }),
    alwaysFalse: () => ({ op: 'false' }),
    and: (args) => combine('and', args),
    or: (args) => combine('or', args),
    leaf: (variable) => variable,
  });

describe('the filter walk', () => {
  it('combine keeps the meaning of and/or under every assignment, folding constants and flattening', () => {
    fc.assert(
      fc.property(tree, (expression) => {
        const combined = rebuilt(expression);
        assert.ok(folded(combined), JSON.stringify(combined));
        for (const assignment of assignments) assert.equal(meaning(combined, assignment), meaning(expression, assignment));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('the evaluator answers as the plain recursive meaning, and stops at the argument that decides', () => {
    fc.assert(
      fc.property(tree, (expression) => {
        for (const assignment of assignments) {
          const asked: number[] = [];
          const matches = evaluator<Variable, readonly boolean[]>(expression, ({ index }) => (input) => {
            asked.push(index);
            return input[index]!;
          });
          assert.equal(matches(assignment), meaning(expression, assignment));
          const expectedAsks: number[] = [];
          meaning(expression, assignment, (index) => expectedAsks.push(index));
          assert.deepEqual(asked, expectedAsks);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('combine of nothing is the identity, and an absorbing argument decides at once', () => {
    assert.deepEqual(combine<Variable>('and', []), { op: 'true' });
    assert.deepEqual(combine<Variable>('or', []), { op: 'false' });
    const x: Tree = { op: 'variable', index: 0 };
    assert.deepEqual(combine('and', [x, { op: 'false' }, x]), { op: 'false' });
    assert.deepEqual(combine('or', [{ op: 'false' }, x]), x);
    assert.deepEqual(combine('and', [x, { op: 'and', args: [x, x] }]), { op: 'and', args: [x, x, x] });
  });
});
