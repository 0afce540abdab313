// The entity rows Feast's older client uploads (do_put) before get_flight_info and do_get read them:
// bound to their uploader, redeemed once, bounded in number and in time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arrow from 'apache-arrow';
import { PendingUploads } from '../../../../server/flight/pending-uploads.js';

const table = new arrow.Table({ driver_id: arrow.vectorFromArray([1n], new arrow.Int64()) });

test('only the uploader finds an upload and redeems its ticket, once', () => {
  const uploads = new PendingUploads({ maxUploads: 4, ttlMs: 1000 }, () => 0);
  uploads.add('{"api":"get_historical_features"}', 'notebook', table);
  assert.equal(uploads.find('{"api":"get_historical_features"}', 'someone-else'), undefined);
  const upload = uploads.find('{"api":"get_historical_features"}', 'notebook')!;
  assert.equal(uploads.redeem(upload.ticket, 'someone-else'), undefined);
  assert.equal(uploads.redeem(upload.ticket, 'notebook')!.table, table);
  assert.equal(uploads.redeem(upload.ticket, 'notebook'), undefined, 'a ticket is redeemed once');
});

test('uploads expire, and the oldest goes when full', () => {
  let now = 0;
  const uploads = new PendingUploads({ maxUploads: 2, ttlMs: 1000 }, () => now);
  uploads.add('a', undefined, table);
  uploads.add('b', undefined, table);
  uploads.add('c', undefined, table);
  assert.equal(uploads.find('a', undefined), undefined, 'the oldest went');
  assert.ok(uploads.find('b', undefined) && uploads.find('c', undefined));
  now = 1000;
  assert.equal(uploads.find('c', undefined), undefined, 'expired');
});
