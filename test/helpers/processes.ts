import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node <script> ...args` with `env` added to a clean copy of this process's environment. */
export function startNode(script: string, args: string[], env: Record<string, string>): Proc {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LINTEL_')));
  const child = spawn(process.execPath, [script, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a node script to completion; resolves with its exit code and output. */
export async function runNode(script: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const p = startNode(script, args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, output: p.output() };
}

/** Polls `url` until it answers (any status) or the time is up. */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export const DIST = new URL('../../', import.meta.url).pathname;
export const scripts = {
  lintel: `${DIST}apps/lintel/src/main.js`,
  identity: `${DIST}apps/identity/src/main.js`,
  manage: `${DIST}apps/manage/src/main.js`,
};
