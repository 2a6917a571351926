import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * Every child process the benchmark starts, so that none outlives the run: normal end, a thrown
 * error, Ctrl-C or SIGTERM all go through `killAll`.
 */
const children = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

/** A running child process, its output in a log file. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True once the process has exited. */
  readonly hasExited: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log file, to explain a failure. */
  logTail(lines?: number): string;
}

export interface SpawnOptions {
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Extra flags for `node` itself (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
}

/** Starts `node <args>` with stdout and stderr appended to `logFile`. */
export function spawnNode(name: string, o: SpawnOptions): Child {
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...(o.nodeFlags ?? []), ...o.args], { env: o.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start node ${o.args.join(' ')}`);
  children.add(child);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      done = true;
      children.delete(child);
      resolve('spawn error');
    });
  });
  const pid = child.pid;
  return {
    name,
    pid,
    logFile: o.logFile,
    exited,
    hasExited: () => done,
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    logTail(lines = 20) {
      try {
        return readFileSync(o.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
  };
}

/** Pids of the children still running. */
export function livePids(): number[] {
  return [...children].map((c) => c.pid).filter((p): p is number => p !== undefined);
}

/** Kills every child still running, synchronously (safe inside an 'exit' handler). */
export function killAll(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

/** Registers a synchronous cleanup (e.g. removing the temp dir) run after the children are killed. */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

function runCleanups(): void {
  killAll();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}

/**
 * Kills the children and runs the cleanups on exit, on SIGINT/SIGTERM and on a crash. `onSignal`
 * lets the caller stop its load generators first.
 */
export function installCleanup(onSignal?: () => void): void {
  process.once('exit', runCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping the benchmark`);
      onSignal?.();
      runCleanups();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  process.once('uncaughtException', (e) => {
    console.error('benchmark crashed:', e);
    runCleanups();
    process.exit(1);
  });
}
