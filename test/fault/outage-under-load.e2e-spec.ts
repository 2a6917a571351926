import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { createMariaDb, type TestDatabase } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { testEnv } from '../helpers/lintel.js';
import { freePort, runNode, scripts, startNode, waitForHttp, type Proc } from '../helpers/processes.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const mysqlUrl = process.env.LINTEL_TEST_MYSQL_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two identity processes on one MariaDB reached through a proxy the test cuts for two seconds
 * in the middle of a bounded load of writes: no answer is a 500, every acknowledged write is in
 * the database afterwards, and both processes serve again within 5 s of the database's return.
 */
describe('database outage under load, two processes (MariaDB)', { skip: mysqlUrl ? false : 'LINTEL_TEST_MYSQL_URL not set' }, () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  const procs: Proc[] = [];
  const bases: string[] = [];

  before(async () => {
    db = await createMariaDb(mysqlUrl!);
    const direct = testEnv(db, { LINTEL_LOG_LEVEL: 'warn', LINTEL_REVOCATION_REFRESH_MS: '200' });
    for (const args of [['db', 'migrate'], ['token-keys', 'setup'], ['credential-keys', 'setup'], ['bootstrap']]) {
      const r = await runNode(scripts.manage, args, direct);
      assert.equal(r.code, 0, r.output);
    }
    const target = new URL(db.url);
    proxy = new TcpProxy(await freePort(), target.hostname, Number(target.port || 3306));
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      procs.push(startNode(scripts.identity, [], { ...direct, LINTEL_DATABASE_URL: viaProxy.toString(), LINTEL_IDENTITY_PORT: String(port) }));
      bases.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(bases.map((b) => waitForHttp(`${b}/v3`)));
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await proxy?.cut();
    await db?.drop();
  });

  test('no 500, no lost acknowledged write, recovery within 5 s', async () => {
    const admin = (await issue(bases[0]!, adminProjectAuth())).id;
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let n = 0;
    let stop = false;
    const writer = async (base: string) => {
      while (!stop) {
        const name = `load-${n++}`;
        const r = await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name } } }).catch(() => undefined);
        if (!r) continue;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201) acknowledged.push(r.body.project.id);
        if (r.status !== 201) await sleep(20);
      }
    };
    const load = Promise.all([...bases, ...bases].map((b) => writer(b)));
    await sleep(1500);
    await proxy.cut();
    await sleep(2000);
    await proxy.start();
    const back = Date.now();
    const recovered = await Promise.all(bases.map(async (b) => {
      for (;;) {
        const r = await call(b, 'GET', `/v3/projects/${acknowledged[0]}`, { token: admin }).catch(() => undefined);
        if (r?.status === 200) return Date.now() - back;
        if (Date.now() - back > 5000) return Infinity;
        await sleep(100);
      }
    }));
    await sleep(1000);
    stop = true;
    await load;

    assert.equal(statuses.get(500) ?? 0, 0, `500s seen: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(503) ?? 0) > 0, `the outage was not observed: ${JSON.stringify([...statuses])}`);
    for (const ms of recovered) assert.ok(ms <= 5000, `a process took ${ms} ms to serve again`);
    const conn = await createConnection(db.url);
    try {
      const [rows] = await conn.query('SELECT id FROM projects');
      const stored = new Set((rows as Array<{ id: string }>).map((r) => r.id));
      const lost = acknowledged.filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], `${lost.length} acknowledged creates are missing`);
      assert.ok(acknowledged.length > 10, `only ${acknowledged.length} writes were acknowledged`);
    } finally {
      await conn.end();
    }
  });
});
