import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TokenKeyRepository } from './token-key-repository.js';

const dir = mkdtempSync(join(tmpdir(), 'lintel-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('setup creates a staged and a primary key, private to the owner, and is idempotent', async () => {
  const repo = new TokenKeyRepository(join(dir, 'a'), 3);
  assert.equal(await repo.setup(), true);
  assert.equal(await repo.setup(), false);
  assert.deepEqual(readdirSync(join(dir, 'a')).sort(), ['0', '1']);
  for (const f of ['0', '1']) assert.equal(statSync(join(dir, 'a', f)).mode & 0o777, 0o600);
  const ring = await repo.load();
  assert.equal(ring.primary.index, 1);
  assert.equal(ring.byKid.size, 2);
});

test('rotation promotes the staged key (already trusted) and prunes beyond the maximum', async () => {
  const repo = new TokenKeyRepository(join(dir, 'b'), 3);
  await repo.setup();
  const before = await repo.load();
  const stagedKid = [...before.byKid.values()].find((k) => k.index === 0)!.kid;
  const r = await repo.rotate();
  assert.equal(r.primary, 2);
  const afterOne = await repo.load();
  assert.equal(afterOne.primary.kid, stagedKid, 'the new primary is the key every replica already had as staged');
  await repo.rotate();
  const r3 = await repo.rotate();
  assert.deepEqual(readdirSync(join(dir, 'b')).filter((f) => /^\d+$/.test(f)).sort(), ['0', '3', '4']);
  assert.deepEqual(r3.removed, [2]);
});

test('JWKS publishes public keys only', async () => {
  const repo = new TokenKeyRepository(join(dir, 'c'), 3);
  await repo.setup();
  const { keys } = await repo.jwks();
  assert.equal(keys.length, 2);
  for (const k of keys) {
    assert.equal(k.d, undefined);
    assert.equal(k.alg, 'ES256');
    assert.ok(k.kid);
  }
});
