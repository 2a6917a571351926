import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { onPath, redact, skipUnless } from '../helpers/commands.js';
import { databaseKinds } from '../helpers/databases.js';
import { ADMIN_PASSWORD, useLintel, type Harness } from '../helpers/lintel.js';

/**
 * OpenStack's conformance suite against a fresh Lintel: Tempest's identity API tests (Debian's
 * python3-tempest), through scripts/tempest/run-tempest.sh, with Keystone's default feature flags
 * and the full identity profile: trusts, application credentials, access rules and OAuth1 on
 * (docs/testing.md, "Tempest"). Real Keystone 22 passes 133 of these on a fresh database (1
 * failing on a Debian-only patch).
 */
const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/tempest/run-tempest.sh');
const TEMPEST = onPath('tempest');
const skip = skipUnless(TEMPEST, 'tempest is not installed (apt-get install python3-tempest)');
/** What Keystone 22 passes with this profile; Lintel must pass at least as many, and fail none. */
const KEYSTONE_PASSED = 133;

function runTempest(url: string, work: string): Promise<{ status: number; output: string }> {
  return new Promise((done) => {
    execFile(SCRIPT, [`${url}/v3`, ADMIN_PASSWORD, work], {
      env: { ...process.env, TEMPEST_EXCLUDE: '', TEMPEST_TRUSTS: 'true', TEMPEST_APP_CREDS: 'true', TEMPEST_ACCESS_RULES: 'true', TEMPEST_TIMEOUT: '900' },
      timeout: 960_000, maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout) => done({ status: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout }));
  });
}

for (const kind of databaseKinds()) {
  describe(`Tempest identity suite against Lintel (${kind.kind})`, { skip }, () => {
    const ctx = useLintel(kind);
    let h: Harness;

    before(async () => {
      h = ctx.h;
    });

    it(`passes at least ${KEYSTONE_PASSED} tests and fails none`, { timeout: 1_000_000 }, async () => {
      const work = mkdtempSync(join(tmpdir(), 'lintel-tempest-'));
      const { status, output } = await runTempest(h.url, work);
      const full = readFileSync(join(work, 'tempest-output.txt'), 'utf8');
      const count = (label: string) => Number(new RegExp(`- ${label}: (\\d+)`).exec(full)?.[1] ?? NaN);
      const failed = full.split('\n').filter((l) => /\.\.\. FAILED/.test(l)).map((l) => l.replace(/^\{\d+\} /, ''));
      const summary = `passed ${count('Passed')}, failed ${count('Failed')}, skipped ${count('Skipped')}`;
      assert.deepEqual(failed, [], `${summary}\n${redact(output)}`);
      assert.equal(status, 0, redact(output));
      assert.ok(count('Passed') >= KEYSTONE_PASSED, summary);
      process.stdout.write(`# tempest (${kind.kind}): ${summary}\n`);
    });
  });
}
