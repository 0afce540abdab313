// The freshness page's lag asks the brokers with a short timeout (issue #57): a broker that accepts
// the connection but never answers, or none listening, rejects with the reason, in time.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { before, test } from 'node:test';
import { defineStreamSource } from '../../../../features/stream-source.js';
import { loadKafkaClient, TopicEndOffsetsReader } from '../../../../features/stream/topic-end-offsets.js';

const streamOn = (broker: string) =>
  defineStreamSource({ name: 'driver_stream', pushSource: 'driver_push', kafka: { brokers: [broker], topic: 'drivers' } });

/** The reader's answer for the one stream on `broker`, thrown when it is the reason its end is unknown. */
async function endsOn(broker: string, timeoutMs: number): Promise<unknown> {
  const reader = new TopicEndOffsetsReader();
  try {
    const answer = (await reader.read([streamOn(broker)], timeoutMs)).get('driver_stream');
    if (answer instanceof Error) throw answer;
    return answer;
  } finally {
    await reader.close();
  }
}

// The client is loaded on first use: loaded here, so the time measured is the broker's.
before(async () => {
  await loadKafkaClient();
});

test('a broker that never answers: rejected with the reason once the timeout passes', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const broker = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    const started = performance.now();
    await assert.rejects(endsOn(broker, 300), (error: Error) => {
      assert.match(error.message, /did not answer within 300 ms|timeout|timed out/i);
      return true;
    });
    const waited = performance.now() - started;
    assert.ok(waited >= 250 && waited < 1_500, `waited ${Math.round(waited)} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('no broker listening: rejected with the reason', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const broker = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(endsOn(broker, 2_000), /connect/i);
});
