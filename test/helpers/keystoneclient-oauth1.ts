import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPath, redact, skipUnless } from './commands.js';
import { openstackEnv } from './openstack.js';

/**
 * The OS-OAUTH1 flow as python-keystoneclient and keystoneauth1 drive it
 * (test/keystone/oauth1_keystoneclient.py, from the source tree: it is not compiled).
 */
const DRIVER = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/keystone/oauth1_keystoneclient.py');
// Debian's own interpreter, where python3-keystoneclient and python3-oauthlib are (a pyenv python3 on PATH lacks them).
const PYTHON = ['/usr/bin/python3', onPath('python3')].find((p) => p && existsSync(p));
const HAS_CLIENT = !!PYTHON && spawnSync(PYTHON, ['-c', 'import oauthlib, keystoneclient.v3.contrib.oauth1, keystoneauth1.extras.oauth1'], { stdio: 'ignore' }).status === 0;

/** The `skip` option of a test that needs the driver (fails instead in CI, which installs it). */
export const skipWithoutKeystoneclient = skipUnless(HAS_CLIENT ? 'ok' : undefined, 'python3-keystoneclient and python3-oauthlib are not installed');

/**
 * Runs the driver with its JSON input and returns its JSON output (asynchronously: the server it
 * talks to may run in this process).
 */
export function runKeystoneclientOAuth1(input: object): Promise<any> {
  return new Promise((done, fail) => {
    const child = execFile(PYTHON!, [DRIVER], { env: openstackEnv(undefined), timeout: 120_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`keystoneclient driver: ${err.killed ? 'killed' : `exit status ${err.code}`}\n${redact(String(stderr)).slice(-3000)}`));
      else done(JSON.parse(String(stdout)));
    });
    child.stdin!.end(JSON.stringify(input));
  });
}
