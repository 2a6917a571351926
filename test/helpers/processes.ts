import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { waitUntil } from './wait.js';

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
  /**
   * Resolves with the output once it matches `pattern` (a string: contains it), as it is
   * written; rejects if the process exits first or `timeoutMs` passes.
   */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Whether the process has exited. */
  exited(): boolean;
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
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const waitForOutput = (pattern: RegExp | string, timeoutMs = 10_000) => new Promise<string>((resolve, reject) => {
    const matches = () => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
    const check = () => {
      if (!matches()) return;
      done();
      resolve(out);
    };
    const onExit = () => {
      check();
      done();
      reject(new Error(`the process exited before its output matched ${pattern}: ${out.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms: ${out.slice(-2000)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      child.off('exit', onExit);
    };
    // Listeners added after the output collectors above, so `out` already holds each chunk.
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', onExit);
    if (hasExited()) onExit();
    else check();
  });
  return {
    child,
    output: () => out,
    waitForOutput,
    exited: hasExited,
    stop: async (signal = 'SIGTERM') => {
      if (!hasExited()) child.kill(signal);
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

/**
 * Polls `url` until it answers (any status) or the time is up; with `proc`, fails at once (with
 * its output) if that process exits instead.
 */
export async function waitForHttp(url: string, timeoutMs = 20_000, proc?: Proc): Promise<void> {
  let gone = false;
  await waitUntil(`${url} answers`, async () => {
    if (proc?.exited()) return (gone = true);
    await (await fetch(url)).arrayBuffer();
    return true;
  }, { timeoutMs, intervalMs: 100 });
  if (gone) throw new Error(`the process serving ${url} exited: ${proc!.output().slice(-2000)}`);
}

export const DIST = new URL('../../', import.meta.url).pathname;
export const scripts = {
  lintel: `${DIST}apps/lintel/src/main.js`,
  identity: `${DIST}apps/identity/src/main.js`,
  manage: `${DIST}apps/manage/src/main.js`,
};

/**
 * The established TCP connections to loopback `port` as the kernel lists them (Linux
 * /proc/net/tcp), each with the bytes received but not yet read by the server. A connection
 * whose bytes are all read has had its request taken in by the server's HTTP parser.
 */
export function connectionsTo(port: number): Array<{ unread: number }> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === local && f[3] === '01')
    .map((f) => ({ unread: parseInt(f[4]!.split(':')[1]!, 16) }));
}
