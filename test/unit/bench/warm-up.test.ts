import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadFigures, LoadRequest } from '../../../bench/_online/load-generator.js';
import { warmUntilSteady } from '../../../bench/_online/warm-up.js';

/** A load generator answering the given req/s, one window after another (each `delayMs` long). */
function loadAnswering(rps: readonly number[], delayMs = 0) {
  const asked: LoadRequest[] = [];
  return {
    asked,
    async run(request: LoadRequest): Promise<LoadFigures> {
      asked.push(request);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const window = rps[Math.min(asked.length - 1, rps.length - 1)]!;
      return { requests: window, p50_ms: 1, p95_ms: 2, p99_ms: asked.length === 1 ? 18 : 1, rps: window, errors: 0, connections: 8 };
    },
  };
}

const request = { url: 'http://127.0.0.1:1', entities: 20_000, maxRequests: 1_000, features: ['driver_hourly_stats'] };

test('a warm-up lasts until three windows lie within 5% of each other, not just two', async () => {
  // A fresh floe serve on one core, second by second: a plateau (5010, 4942) before V8's last tier.
  const load = loadAnswering([2975, 5010, 4942, 6706, 7618, 8130, 8070, 8134, 8094]);
  const warmUp = await warmUntilSteady(load, request, { minSeconds: 0, maxSeconds: 60 });
  assert.equal(load.asked.length, 8);
  assert.deepEqual(warmUp.rps, [2975, 5010, 4942, 6706, 7618, 8130, 8070, 8134]);
  assert.equal(warmUp.settled, true);
  assert.deepEqual({ p99: warmUp.cold.p99_ms, rps: warmUp.cold.rps }, { p99: 18, rps: 2975 });
  // Each window asks new keys, one key at 8 connections.
  assert.equal(new Set(load.asked.map((asked) => asked.seed)).size, 8);
  assert.ok(load.asked.every((asked) => asked.keys === 1 && asked.connections === 8 && asked.seconds === 1));
});

test('a server that never settles is warmed up to the limit and said to be unsettled', async () => {
  const load = loadAnswering([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000], 20);
  const warmUp = await warmUntilSteady(load, request, { minSeconds: 0, maxSeconds: 0.07 });
  assert.equal(warmUp.settled, false);
  assert.ok(warmUp.seconds >= 0.07, `${warmUp.seconds} s`);
});

test('a server settled at once is still warmed up for the least time asked', async () => {
  const load = loadAnswering([1100, 1120, 1110, 1105, 1115, 1112, 1108, 1111, 1109, 1110], 20);
  const warmUp = await warmUntilSteady(load, request, { minSeconds: 0.12, maxSeconds: 60 });
  assert.equal(warmUp.settled, true);
  assert.ok(warmUp.seconds >= 0.12 && load.asked.length >= 3, `${load.asked.length} windows in ${warmUp.seconds} s`);
});
