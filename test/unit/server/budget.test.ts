// The feature server's weighted budget: holders never exceed the capacity, a small waiter passes a
// large one that does not fit, and everyone is admitted once others give back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Budget } from '../../../server/budget.js';

test('admits while the capacity holds, lets a small request pass a large one, and admits the rest on release', async () => {
  const budget = new Budget(10);
  const order: string[] = [];
  const first = await budget.take(6);
  const large = budget.take(6).then((release) => (order.push('large'), release));
  const small = budget.take(3).then((release) => (order.push('small'), release));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['small'], 'the 3 fits beside the 6 held; the second 6 waits');
  first();
  first(); // a second release gives nothing back twice
  const releaseLarge = await large;
  assert.deepEqual(order, ['small', 'large']);
  (await small)();
  releaseLarge();
  const whole = await budget.take(100);
  assert.ok(whole, 'a weight over the capacity is taken as the whole capacity once it is free');
  whole();
});

test('a brute-force run never holds more than the capacity', async () => {
  const budget = new Budget(50);
  let held = 0;
  let peak = 0;
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      const weight = 1 + Math.floor(random() * 40);
      const release = await budget.take(weight);
      held += weight;
      peak = Math.max(peak, held);
      assert.ok(held <= 50, `held ${held}`);
      await new Promise((resolve) => setTimeout(resolve, random() * 3));
      held -= weight;
      release();
    }),
  );
  assert.equal(held, 0);
  assert.ok(peak > 25, 'requests did overlap');
});
