import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVerifiableHash, maxVerifiedPasswordBytes } from '@lintel/domain';
import run from './hash.worker.js';
import { sha512Crypt, verifyPasslib } from './passlib.js';

// Hashes written by passlib 1.7.4 (Debian 12's python3-passlib, what Keystone 22 hashes with),
// with low costs so the test is quick.
const WRITTEN_BY_PASSLIB: Array<[string, string]> = [
  ['correct horse', '$bcrypt-sha256$v=2,t=2b,r=4$1WGXeNrgeQTId7xL4tP0.u$dggXQUzVJsB.kUZS2txG2R5PnXw0A5S'],
  ['correct horse', '$bcrypt-sha256$2b,4$s5y8Gy3MUQ50y3E0EoD6IO$D34lBtgleJgX26nxNYgzDLP/mzVzXwK'],
  ['correct horse', '$scrypt$ln=4,r=8,p=1$ZKzVGsPYe+8dA4DQWguh9A$b9rvEsD8/53O/bHRExX+Bk7WYuyiTmD2xzO4mBwtGF8'],
  ['correct horse', '$pbkdf2-sha512$1000$7n0P4XyP0fp/j5ESgnBOyQ$FW0gxkIYgg5FNEjXAwC9qk21WpTdz.3M.ztVkxy6jfEYl1mRqR2AXARzDNbFEDWuDnlVdZIz2dSC9G7D5vMAdw'],
  ['correct horse', '$6$rounds=1000$bd5jNcM3LAhbl9N4$5ug2EIdm8XpJBW6NAM//NuiVivHHjTf.dHX/Mhuko9vUO.oQgpL5my4l7STlWzy372rGAeo6jGmodITQ1Q3Cg.'],
  ['correct horse', '$2b$04$KYhSiUbT6qRGSSgBX3Qzy.BSB50POqLg9C/Gj9BH0jxwv0UVNCWFO'],
  ['pässwörd ✓', '$bcrypt-sha256$v=2,t=2b,r=4$FJKUcTubkoIEOCY1/JKuXe$naTUoA9Pw/8ABKrrT/mwzpI2vol7h5W'],
  ['pässwörd ✓', '$scrypt$ln=4,r=4,p=2$lxLCmBOC0FqLkVJqjXHOeS+FEIJwDiHE$GnhwvRChtTsHLe8l9L5RKqIeDH1BNv2oeASvuK45CUw'],
  ['pässwörd ✓', '$pbkdf2-sha512$1200$R.gdw7j3Xouxdm7NOec8B.Dcuxc$Vdh0c15rZm2tTpnzXefM2Ut7yo7jkYR19tbK3GTWuLspE2XXKwg7Rc2GggqWttk4WPM8mN6HTp1FOlUZg91yrg'],
  ['pässwörd ✓', '$6$LlLG.xomG3ViD2Mt$8sz4XgHaW4v5dnt8rsbJgNzVcqXpSftUG1klghvmx9qbNbHNJwHTZl60jhABL6tEgpCFqsM5CCaprCzXZVp6g.'],
  ['x'.repeat(100), '$6$4pk5zlwzB9gsII/c$Uw5A71VS/BCz2JIgYrkNQDZqoLL6FNVgX7aOq0a1zm88ImZachG9G8rirxBiWMWnBDUB8NzlMQaWPgvO89llf.'],
  ['x'.repeat(200), '$scrypt$ln=5,r=8,p=1$d64VIsSY8x4jZKwVIgRAiA$LBaGRtAcj69LB+PCm7ric3ZAbf9UqZosYaKRxF7ttEw'],
];

test('every hash format Keystone writes verifies, and only with the right password', () => {
  for (const [password, hash] of WRITTEN_BY_PASSLIB) {
    const label = hash.slice(0, 16);
    assert.equal(verifyPasslib(password, hash), true, label);
    assert.equal(verifyPasslib(`${password}!`, hash), false, label);
    assert.equal(verifyPasslib(password.slice(1), hash), false, label);
    // Through the hash worker, as a login checks it.
    assert.equal(run({ op: 'verify', password, hash }), true, label);
    assert.equal(isVerifiableHash(hash), true, label);
  }
});

test('SHA-512 crypt matches the specification\'s own examples', () => {
  assert.equal(sha512Crypt(Buffer.from('Hello world!'), Buffer.from('saltstring'), 5000),
    'svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
  // A salt longer than 16 characters is cut to 16.
  assert.equal(verifyPasslib('Hello world!', '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.'), true);
});

test('malformed or unknown hashes never verify', () => {
  const bad = [
    '$bcrypt-sha256$v=3,t=2b,r=4$1WGXeNrgeQTId7xL4tP0.u$dggXQUzVJsB.kUZS2txG2R5PnXw0A5S',
    '$bcrypt-sha256$v=2,t=2b,r=4$short$dggXQUzVJsB.kUZS2txG2R5PnXw0A5S',
    '$scrypt$ln=40,r=8,p=1$ZKzVGsPYe+8dA4DQWguh9A$b9rvEsD8/53O/bHRExX+Bk7WYuyiTmD2xzO4mBwtGF8',
    '$scrypt$ln=4,r=8$ZKzVGsPYe+8dA4DQWguh9A$b9rvEsD8/53O/bHRExX+Bk7WYuyiTmD2xzO4mBwtGF8',
    '$pbkdf2-sha512$0$7n0P4XyP0fp/j5ESgnBOyQ$FW0gxkIYgg5FNEjXAwC9qk21WpTdz',
    '$pbkdf2-sha512$1000$7n0P4XyP0fp/j5ESgnBOyQ$***',
    '$6$salt$tooShort',
  ];
  for (const hash of bad) assert.equal(verifyPasslib('correct horse', hash), false, hash);
  for (const hash of ['$1$md5crypt$abc', '$5$rounds=1000$salt$abc', 'plain', '']) {
    assert.equal(verifyPasslib('correct horse', hash), undefined, hash);
    assert.equal(run({ op: 'verify', password: 'correct horse', hash }), false, hash);
    assert.equal(isVerifiableHash(hash), false, hash);
  }
});

test('passwords longer than bcrypt\'s 72 bytes are checked only against formats that hash them whole', () => {
  assert.equal(maxVerifiedPasswordBytes('$2b$04$KYhSiUbT6qRGSSgBX3Qzy.BSB50POqLg9C/Gj9BH0jxwv0UVNCWFO'), 72);
  assert.equal(maxVerifiedPasswordBytes(undefined), 72);
  assert.equal(maxVerifiedPasswordBytes('$scrypt$ln=4,r=8,p=1$a$b'), 4096);
  assert.equal(maxVerifiedPasswordBytes('$bcrypt-sha256$v=2,t=2b,r=4$a$b'), 4096);
});
