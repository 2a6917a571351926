import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mariadbBehindProxy, mariadbQuery, skipWithoutMariaDb } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { useIdentityProcesses } from '../helpers/lintel.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually, waitUntil } from '../helpers/wait.js';

/**
 * Two identity processes on one MariaDB reached through a proxy the test cuts in the middle of
 * a load of writes, until both processes answer 503: no answer is a 500, every acknowledged write is in
 * the database afterwards, and both processes serve again within 5 s of the database's return.
 */
describe('database outage under load, two processes (MariaDB)', { skip: skipWithoutMariaDb }, () => {
  const ctx = useIdentityProcesses(mariadbBehindProxy(), 2, { LINTEL_LOG_LEVEL: 'warn', LINTEL_REVOCATION_REFRESH_MS: '200' });
  let bases: string[];
  let proxy: TcpProxy;
  before(() => {
    bases = ctx.procs.map((p) => p.url);
    proxy = ctx.db.proxy;
  });

  test('no 500, no lost acknowledged write, recovery within 5 s', async () => {
    const admin = (await issue(bases[0]!, adminProjectAuth())).id;
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    /** Per process, the statuses it answered since the last look. */
    const seen = new Map(bases.map((b) => [b, new Set<number>()]));
    let n = 0;
    let stop = false;
    const writer = async (base: string) => {
      while (!stop) {
        const name = `load-${n++}`;
        const r = await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name } } }).catch(() => undefined);
        if (!r) continue;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        seen.get(base)!.add(r.status);
        if (r.status === 201) acknowledged.push(r.body.project.id);
        // A refused write is retried after a pause, as a client would (no busy loop on the 503s).
        else await new Promise((res) => setTimeout(res, 20));
      }
    };
    const bothAnswered = (status: number) => {
      for (const s of seen.values()) s.clear();
      return waitUntil(`both processes answer ${status}`, () => [...seen.values()].every((s) => s.has(status)), { timeoutMs: 10_000 });
    };
    const load = Promise.all([...bases, ...bases].map((b) => writer(b)));
    await bothAnswered(201);
    await proxy.cut();
    await bothAnswered(503);
    await proxy.start();
    const back = Date.now();
    const recovered = await Promise.all(bases.map(async (b) => {
      const r = await eventually(() => call(b, 'GET', `/v3/projects/${acknowledged[0]}`, { token: admin }).catch(() => undefined), (x) => x?.status === 200, { timeoutMs: 5000, intervalMs: 100 });
      return r?.status === 200 ? Date.now() - back : Infinity;
    }));
    // The load goes on until both processes acknowledge writes again.
    await bothAnswered(201);
    stop = true;
    await load;

    assert.equal(statuses.get(500) ?? 0, 0, `500s seen: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(503) ?? 0) > 0, `the outage was not observed: ${JSON.stringify([...statuses])}`);
    for (const ms of recovered) assert.ok(ms <= 5000, `a process took ${ms} ms to serve again`);
    const stored = new Set((await mariadbQuery<{ id: string }>(ctx.db.directUrl, 'SELECT id FROM projects')).map((r) => r.id));
    const lost = acknowledged.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${lost.length} acknowledged creates are missing`);
    assert.ok(acknowledged.length > 10, `only ${acknowledged.length} writes were acknowledged`);
  });
});
