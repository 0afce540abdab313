import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SHOWN_IDENTITY_LENGTH, shownIdentity } from '../../../../server/auth/shown-identity.js';

test('an identity is shown without control, format or separator characters', () => {
  assert.equal(shownIdentity('svc\r\nX: 1\u0000\u001b[0m\u007f\u0085\u202e\u200b\u2028\u2029-end', 'oidc'), 'svcX: 1[0m-end');
  assert.equal(shownIdentity('svc-ranking', 'oidc'), 'svc-ranking');
});

test('a long identity is cut to 128 characters, the last an ellipsis; one of exactly 128 is kept whole', () => {
  assert.equal(SHOWN_IDENTITY_LENGTH, 128);
  const cut = shownIdentity('x'.repeat(6_000), 'oidc');
  assert.equal(cut, `${'x'.repeat(127)}…`);
  assert.equal(shownIdentity('y'.repeat(128), 'oidc'), 'y'.repeat(128));
  // Counted in characters, so a surrogate pair is never split.
  const emoji = shownIdentity('😀'.repeat(200), 'oidc');
  assert.equal([...emoji].length, 128);
  assert.ok(emoji.endsWith('😀…'));
});

test('an identity of nothing but hidden characters is shown as the fallback', () => {
  assert.equal(shownIdentity('\n\t\u202e', 'oidc'), 'oidc');
  assert.equal(shownIdentity('', 'oidc'), 'oidc');
});
