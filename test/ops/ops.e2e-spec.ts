import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, useLintel, useLintelProcess } from '../helpers/lintel.js';
import { connectionsTo } from '../helpers/processes.js';
import { waitUntil } from '../helpers/wait.js';

/** Reads one sample of a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

// One line of Prometheus's text exposition format: a sample (name, optional
// labels with escaped values, a float or NaN/±Inf, an optional timestamp) or a HELP/TYPE comment.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? ${VALUE}(?: -?\\d+)?$`);
const COMMENT = new RegExp(`^# (?:HELP (${NAME}) .*|TYPE (${NAME}) (counter|gauge|histogram|summary|untyped))$`);

/** Checks every line of an exposition; returns the number of samples. */
function checkExposition(text: string): number {
  const types = new Map<string, string>();
  let samples = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = COMMENT.exec(line);
      assert.ok(m, `not a HELP or TYPE line: ${line}`);
      if (m[2]) types.set(m[2], m[3]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `${name}: no TYPE line before its samples`);
    if (family !== name) assert.match(types.get(family)!, /^(histogram|summary)$/, `${name}: a suffix only histograms and summaries have`);
    samples++;
  }
  return samples;
}

for (const kind of databaseKinds()) {
  describe(`health, readiness, metrics, rate limits (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_AUTH_RATE_LIMIT_PER_USER: '3', LINTEL_AUTH_RATE_LIMIT_PER_SOURCE: '1000' });

    test('/healthz and /readyz on both apps, without a token', async () => {
      for (const base of [ctx.h.url, ctx.h.multicloudUrl]) {
        const live = await call(base, 'GET', '/healthz');
        assert.equal(live.status, 200);
        assert.deepEqual(live.body, { status: 'ok' });
        const ready = await call(base, 'GET', '/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: 'ready', checks: { database: true, token_keys: true, credential_keys: true } });
      }
    });

    test('/metrics parses and its counters move with requests', async () => {
      const scrape = async () => {
        const r = await fetch(`${ctx.h.url}/metrics`);
        assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
        return r.text();
      };
      // The line checks themselves: they refuse what is not exposition format.
      for (const good of ['a_b:c 1', 'x{a="b",c="d\\"e\\\\"} -1.5e+3 1700000000000', 'x{le="+Inf"} +Inf', 'x NaN', 'x{} .5', 'x{a="b",} 3']) assert.match(good, SAMPLE);
      for (const bad of ['garbage NaN garbage', 'x 1 trailing', 'x{a="b"} 1e', '{a="b"} 1', '1x 2', 'x{a=b} 1', 'x{a="b"}1', 'x-Inf', 'x 1\t2', 'x{a="b"c="d"} 1', 'x Infinity']) assert.doesNotMatch(bad, SAMPLE);
      assert.doesNotMatch('# TYPE x gauges', COMMENT);
      const before_ = await scrape();
      assert.ok(checkExposition(before_) > 20, 'the exposition has samples');
      const admin = (await issue(ctx.h.url, adminProjectAuth())).id;
      await call(ctx.h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: admin });
      await call(ctx.h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: 'garbage' });
      const after_ = await scrape();
      checkExposition(after_);
      assert.equal(sample(after_, 'lintel_tokens_total', { event: 'issued' }) - sample(before_, 'lintel_tokens_total', { event: 'issued' }), 1);
      assert.ok(sample(after_, 'lintel_tokens_total', { event: 'validated' }) > sample(before_, 'lintel_tokens_total', { event: 'validated' }));
      assert.ok(sample(after_, 'lintel_tokens_total', { event: 'rejected' }) > sample(before_, 'lintel_tokens_total', { event: 'rejected' }));
      const posts = { app: 'keystone', method: 'POST', route: '/v3/auth/tokens', status: '201' };
      assert.equal(sample(after_, 'lintel_http_requests_total', posts) - sample(before_, 'lintel_http_requests_total', posts), 1);
      assert.ok(sample(after_, 'lintel_http_request_duration_seconds_count', posts) >= 1);
      assert.ok(after_.includes('lintel_db_connections{state="total"}'));
      assert.ok(after_.includes('lintel_process_resident_memory_bytes'));
    });

    test('authentication attempts per account are rate limited: 429 in Keystone\'s body with Retry-After', async () => {
      const body = passwordAuth({ name: 'nobody-here' }, 'wrong');
      for (let i = 0; i < 3; i++) keystoneError(await call(ctx.h.url, 'POST', '/v3/auth/tokens', { body }), 401);
      const r = await call(ctx.h.url, 'POST', '/v3/auth/tokens', { body });
      const e = keystoneError(r, 429);
      assert.equal(e.title, 'Too Many Requests');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      assert.equal((await call(ctx.h.url, 'POST', '/v3/auth/tokens', { body: adminProjectAuth() })).status, 201, 'other accounts are not affected');
    });
  });
}

/**
 * POSTs `body` to `url` over a connection of its own; `written` resolves once the whole request
 * is handed to the kernel, `status` with the answer's status (or the error's message).
 */
function post(url: string, body: unknown): { written: Promise<void>; status: Promise<number | string> } {
  const text = JSON.stringify(body);
  let written!: () => void;
  const req = request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } });
  const status = new Promise<number | string>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
  });
  const sent = new Promise<void>((r) => (written = r));
  req.on('finish', () => written());
  req.end(text);
  return { written: sent, status };
}

describe('SIGTERM under load', () => {
  // bcrypt at cost 11 on one thread: twenty logins take seconds, so most are in flight at SIGTERM.
  const lintel = useLintelProcess({ LINTEL_BCRYPT_ROUNDS: '11', LINTEL_HASH_THREADS: '1' });

  test('requests in flight when SIGTERM arrives all complete; the process then exits 0', async () => {
    const requests = Array.from({ length: 20 }, () => post(`${lintel.url}/v3/auth/tokens`, passwordAuth({ name: 'admin' }, ADMIN_PASSWORD)));
    await Promise.all(requests.map((r) => r.written));
    // Every request has reached the server once the kernel holds no unread byte for it.
    const port = Number(new URL(lintel.url).port);
    await waitUntil('the server has read the 20 requests', () => {
      const open = connectionsTo(port);
      return open.length >= 20 && open.every((c) => c.unread === 0);
    });
    const exited = lintel.proc.stop('SIGTERM');
    const statuses = await Promise.all(requests.map((r) => r.status));
    assert.deepEqual(statuses, Array(20).fill(201));
    assert.equal(await exited, 0);
  });
});
