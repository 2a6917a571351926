import assert from 'node:assert/strict';
import { test } from 'node:test';
import run from './hash.worker.js';

// Published crypt_blowfish test vectors; Keystone (passlib) writes the same format with $2b$.
const VECTORS: Array<[string, string]> = [
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['U*U', '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['U*U', '$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['U*U*', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK'],
];

test('bcrypt hashes written by other implementations verify as they are', () => {
  for (const [password, hash] of VECTORS) {
    assert.equal(run({ op: 'verify', password, hash }), true, hash.slice(0, 4));
    assert.equal(run({ op: 'verify', password: `${password}x`, hash }), false);
  }
});

test('new hashes use the configured cost; garbage hashes never verify', () => {
  const h = run({ op: 'hash', password: 'pw', rounds: 4 }) as string;
  assert.match(h, /^\$2b\$04\$/);
  assert.equal(run({ op: 'verify', password: 'pw', hash: h }), true);
  assert.equal(run({ op: 'verify', password: 'pw', hash: 'not-a-hash' }), false);
});

test('the hash threads run niced, the event loop does not', { skip: process.platform !== 'linux' && 'thread priorities are read from /proc (Linux)' }, async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { BcryptPasswordHasher } = await import('./bcrypt-hasher.js');
  const { loadConfig } = await import('@lintel/config');
  const cfg = loadConfig({ LINTEL_HASH_THREADS: '2', LINTEL_HASH_NICE: '7' });
  const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  const niced = () => readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === 7).length;
  const before = niced();
  const hasher = new BcryptPasswordHasher(cfg);
  try {
    const hash = await hasher.hash('pw');
    assert.equal(await hasher.verify('pw', hash), true);
    assert.equal(niced() - before, 2, 'both hash threads at niceness 7');
    assert.equal(niceOf(String(process.pid)), 0, 'the main thread keeps its priority');
  } finally {
    await hasher.onApplicationShutdown();
  }
});
