import autocannon, { type Instance } from 'autocannon';

/** One autocannon run against one URL. */
export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  method?: 'GET' | 'POST' | 'HEAD' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Seconds before a request is given up as a timeout (autocannon's default is 10). */
  timeout?: number;
  /** A sequence each connection cycles through (autocannon's `requests`), e.g. create then delete. */
  requests?: Array<{ method: 'GET' | 'POST' | 'DELETE'; path: string; headers?: Record<string, string>; body?: string }>;
}

/** What a load run measured. Rates count 2xx responses only; latencies are of 2xx responses. */
export interface LoadResult {
  /** 2xx responses per second. */
  rate: number;
  ok: number;
  /** non-2xx responses + connection errors + timeouts. */
  failures: number;
  /** e.g. "401×3, timeouts×2", empty when there were no failures. */
  failureDetail: string;
  p50: number | undefined;
  p99: number | undefined;
  /**
   * Longest wait seen, ms: the slowest completed response, or a request still unanswered when the
   * run stopped (a starved connection never shows up in the percentiles, only here).
   */
  maxWait: number;
  /** Connections that got no response at all during the run. */
  starved: number;
  /** Seconds actually measured. */
  duration: number;
  /** Latencies of the 2xx responses, ms, sorted (for merging runs). */
  sorted: Float64Array;
}

const running = new Set<Instance>();

/** Stops every load generator still running (used on SIGINT). */
export function stopAllLoad(): void {
  for (const i of running) i.stop();
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array | number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Runs autocannon in this process. Latencies are collected from autocannon's per-response
 * events (high-resolution, where autocannon's own histogram rounds to whole milliseconds).
 */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  let lat = new Float64Array(1 << 16);
  let n = 0;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.duration,
    timeout: spec.timeout ?? 10,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    requests: spec.requests,
  });
  running.add(instance);
  const start = performance.now();
  /** Per connection, when its last response arrived. */
  const lastResponse = new Map<unknown, number>();
  instance.on('response', (client, status, _bytes, ms) => {
    lastResponse.set(client, performance.now());
    if (status < 200 || status >= 300) return;
    if (n === lat.length) {
      const bigger = new Float64Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[n++] = ms;
  });
  let result;
  try {
    result = await instance;
  } finally {
    running.delete(instance);
  }
  const end = performance.now();
  const sorted = lat.subarray(0, n).sort();
  const starved = Math.max(0, spec.connections - lastResponse.size);
  let maxWait = n ? sorted[n - 1]! : 0;
  if (starved) maxWait = Math.max(maxWait, end - start);
  for (const at of lastResponse.values()) maxWait = Math.max(maxWait, end - at);
  const bad = Object.entries(result.statusCodeStats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, s]) => `${code}×${s.count}`);
  // autocannon counts a timeout in `errors` too.
  const connErrors = result.errors - result.timeouts;
  if (connErrors) bad.push(`conn errors×${connErrors}`);
  if (result.timeouts) bad.push(`timeouts×${result.timeouts}`);
  return {
    rate: result.duration > 0 ? n / result.duration : 0,
    ok: n,
    failures: result.non2xx + result.errors,
    failureDetail: bad.join(', '),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    maxWait,
    starved,
    duration: result.duration,
    sorted,
  };
}

/** Several runs of one spec as if they were one: counts add up, percentiles over every response. */
export function mergeLoads(rs: LoadResult[]): LoadResult {
  const ok = rs.reduce((n, r) => n + r.ok, 0);
  const duration = rs.reduce((n, r) => n + r.duration, 0);
  const sorted = new Float64Array(ok);
  let at = 0;
  for (const r of rs) {
    sorted.set(r.sorted, at);
    at += r.sorted.length;
  }
  sorted.sort();
  return {
    rate: duration > 0 ? ok / duration : 0,
    ok,
    failures: rs.reduce((n, r) => n + r.failures, 0),
    failureDetail: rs.map((r) => r.failureDetail).filter(Boolean).join('; '),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    maxWait: Math.max(0, ...rs.map((r) => r.maxWait)),
    starved: Math.max(0, ...rs.map((r) => r.starved)),
    duration,
    sorted,
  };
}

/** A load measured in slices that alternate with slices of a reference load (see {@link pairedLoad}). */
export interface PairedResult {
  load: LoadResult;
  reference: LoadResult;
  /** Rate of each load slice over the reference slice just before it. */
  sliceRatios: number[];
}

/**
 * Runs `spec` for its duration cut into `slices` slices, each right after a slice of the same
 * length of `reference`: both see the machine in the same state. On a shared 2-CPU machine the
 * bare baseline's rate moves by a third from one 5-second window to the next, so a ratio to a
 * baseline measured a minute earlier says as much about the neighbours as about the server.
 */
export async function pairedLoad(spec: LoadSpec, reference: Omit<LoadSpec, 'duration'>, slices: number): Promise<PairedResult> {
  const slice = spec.duration / slices;
  const loads: LoadResult[] = [];
  const refs: LoadResult[] = [];
  for (let i = 0; i < slices; i++) {
    refs.push(await load({ ...reference, duration: slice }));
    loads.push(await load({ ...spec, duration: slice }));
  }
  return {
    load: mergeLoads(loads),
    reference: mergeLoads(refs),
    sliceRatios: loads.map((l, i) => (refs[i]!.rate > 0 ? l.rate / refs[i]!.rate : 0)),
  };
}
