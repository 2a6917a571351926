import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '@lintel/config';
import { checkPolicy, listPolicy, samplePolicy } from './policy-commands.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

test('the sample files under docs/ are what the generator prints', () => {
  assert.equal(readFileSync(join(root, 'docs/policy-lintel.sample.yaml'), 'utf8'), samplePolicy('lintel'));
  assert.equal(readFileSync(join(root, 'docs/policy-keystone-defaults.yaml'), 'utf8'), samplePolicy('keystone'));
});

test('policy list shows the file\'s rules in place of the defaults, with the default beside them', () => {
  const config = loadConfig({ LINTEL_POLICY_FILE: join(root, 'deploy/policy/strict.yaml') });
  const yaml = listPolicy(config, { format: 'yaml' });
  assert.match(yaml, /# Set by the policy file; the default is "role:admin or is_admin:1"\n"admin_required": "role:admin and is_admin_project:True"/);
  assert.match(yaml, /# Defined by the policy file\n"confined_user": /);
  const json = JSON.parse(listPolicy(config, { format: 'json', namespace: 'lintel' })) as Record<string, string>;
  assert.ok(Object.keys(json).every((k) => k.startsWith('lintel:')));
  assert.match(json['lintel:key_writer']!, /confined_user/);
});

test('policy check answers per rule for a token body and a target, as oslopolicy-checker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-check-'));
  const access = join(dir, 'access.json');
  writeFileSync(access, JSON.stringify({ token: { user: { id: 'u1', domain: { id: 'd1' } }, domain: { id: 'd1' }, roles: [{ name: 'manager' }, { name: 'member' }] } }));
  const config = loadConfig({});
  const logger = pino({ level: 'silent' });
  const same = await checkPolicy(config, logger, { access, rule: 'identity:create_user', target: '{"target": {"user": {"domain_id": "d1"}}}' });
  assert.deepEqual(same, { lines: ['passed: identity:create_user'], anyPassed: true });
  const other = await checkPolicy(config, logger, { access, rule: 'identity:create_user', target: '{"target": {"user": {"domain_id": "d2"}}}' });
  assert.deepEqual(other.lines, ['failed: identity:create_user']);
  const all = await checkPolicy(config, logger, { access, target: '{}' });
  assert.ok(all.lines.length > 200 && all.lines.some((l) => l.startsWith('passed: ')) && all.lines.some((l) => l.startsWith('failed: ')));
  await assert.rejects(checkPolicy(config, logger, { access, rule: 'identity:nope' }), /no rule named identity:nope/);
});
