// floe.yaml's temporal.uiUrl, which Floe's web UI turns into links: an http(s) address or refused
// naming the setting (a javascript: address would run script from a link).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectConfigSchema } from '../../../features/config.js';

const parse = (uiUrl: unknown) =>
  projectConfigSchema.safeParse({ project: 'p', catalog: { type: 'sql', uri: 'x.db' }, temporal: { uiUrl } });

test('temporal.uiUrl takes an http or https address, and refuses others naming the setting', () => {
  assert.equal(parse('https://cloud.temporal.io').data?.temporal.uiUrl, 'https://cloud.temporal.io');
  assert.equal(parse('http://temporal-ui:8080').data?.temporal.uiUrl, 'http://temporal-ui:8080');
  for (const [value, message] of [
    ['javascript:alert(1)', 'must be an http:// or https:// address'],
    ['temporal-ui:8080/x y', 'must be an http:// or https:// address'],
    ['not a url', 'Invalid URL'],
  ] as const) {
    const issue = parse(value).error?.issues[0];
    assert.deepEqual({ path: issue?.path, message: issue?.message }, { path: ['temporal', 'uiUrl'], message }, value);
  }
});
