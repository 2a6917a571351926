import { execFile } from 'node:child_process';
import { onPath, redact, skipUnless } from './commands.js';
import { ADMIN_PASSWORD } from './lintel.js';

export const OPENSTACK = onPath('openstack');
const MISSING = 'the openstack CLI is not installed (apt-get install python3-openstackclient)';
/** The `skip` option of a suite that drives the real CLI (fails instead in CI). */
export const skipWithoutOpenstack = skipUnless(OPENSTACK, MISSING);
const CLI_TIMEOUT_MS = 60_000;

/** The environment of the CLI: this process's minus OS_* and proxies, plus Keystone v3 variables. */
export function openstackEnv(authUrl: string | undefined, as: { user?: string; password?: string; project?: string; userDomain?: string; projectDomain?: string } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^OS_|_proxy$/i.test(k)) env[k] = v;
  if (authUrl) env.OS_AUTH_URL = authUrl;
  return Object.assign(env, {
    OS_USERNAME: as.user ?? 'admin',
    OS_PASSWORD: as.password ?? ADMIN_PASSWORD,
    OS_PROJECT_NAME: as.project ?? 'admin',
    OS_USER_DOMAIN_NAME: as.userDomain ?? 'Default',
    OS_PROJECT_DOMAIN_NAME: as.projectDomain ?? 'Default',
    OS_IDENTITY_API_VERSION: '3',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  });
}

/** Runs `openstack <args>`; resolves with stdout, rejects with exit status and (redacted) stderr. */
export function openstackText(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!OPENSTACK) return reject(new Error(`${MISSING}; it is required when CI=true`));
    execFile(OPENSTACK, args, { env, timeout: CLI_TIMEOUT_MS, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `killed after ${CLI_TIMEOUT_MS} ms` : `exit status ${err.code}`;
        return reject(new Error(`openstack ${redact(args.join(' '))}: ${why}\nstderr: ${redact(stderr.trim()).slice(-2000)}`));
      }
      resolve(stdout);
    });
  });
}

/** Runs `openstack <args> -f json` and parses the output. */
export async function openstackJson(args: string[], env: NodeJS.ProcessEnv): Promise<any> {
  const out = await openstackText([...args, '-f', 'json'], env);
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`openstack ${args.join(' ')}: output is not JSON: ${redact(out).slice(0, 500)}`);
  }
}
