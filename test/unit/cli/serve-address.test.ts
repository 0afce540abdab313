// `floe serve` says the address it listens on (a wildcard host stays the wildcard, not the loopback
// address fastify names) and what --insecure turned off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insecureWarning, listeningUrl } from '../../../cli/commands/serve.js';

test('a wildcard host is printed as given, with the port bound', () => {
  assert.equal(listeningUrl('http://127.0.0.1:40123', '0.0.0.0'), 'http://0.0.0.0:40123');
  assert.equal(listeningUrl('https://[::1]:6566', '::'), 'https://[::]:6566');
  assert.equal(listeningUrl('http://[::1]:6566', '[::]'), 'http://[::]:6566');
});

test('a named host is printed as given', () => {
  assert.equal(listeningUrl('http://127.0.0.1:6566', '127.0.0.1'), 'http://127.0.0.1:6566');
  assert.equal(listeningUrl('http://[::1]:6566', 'localhost'), 'http://localhost:6566');
  assert.equal(listeningUrl('https://10.0.0.5:443', '10.0.0.5'), 'https://10.0.0.5');
});

test('--insecure says what it turned off, or that it turned nothing off', () => {
  assert.match(
    insecureWarning('0.0.0.0', false),
    /turns off the check .* server\.auth: the server on 0\.0\.0\.0 lets anyone .* read features and push rows/,
  );
  assert.match(insecureWarning('127.0.0.1', false), /changes nothing on loopback/);
  assert.match(insecureWarning('0.0.0.0', true), /changes nothing here: floe\.yaml has server\.auth/);
});
