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
  };
}
