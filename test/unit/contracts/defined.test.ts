// `defined`: the one helper for optional fields under exactOptionalPropertyTypes (issue #45).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defined } from '../../../contracts/defined.js';

test('leaves out the fields that are undefined and keeps every other value, falsy ones and null included', () => {
  const result = defined({ a: undefined, b: 0, c: '', d: null, e: false, f: 'x' });
  assert.deepEqual(result, { b: 0, c: '', d: null, e: false, f: 'x' });
  assert.equal('a' in result, false);
});

test('a default survives a merge with an option left undefined', () => {
  const defaults = { requestMs: 30_000, idleMs: 60_000 };
  const options: { requestMs?: number; idleMs?: number } = { ...defined({ requestMs: undefined as number | undefined, idleMs: 5 }) };
  assert.deepEqual({ ...defaults, ...options }, { requestMs: 30_000, idleMs: 5 });
});

test('its result fits optional properties that may not hold undefined', () => {
  const signal: AbortSignal | undefined = undefined;
  const request: { readonly signal?: AbortSignal; readonly snapshotId?: bigint } = { ...defined({ signal, snapshotId: 3n }) };
  assert.deepEqual(request, { snapshotId: 3n });
});
