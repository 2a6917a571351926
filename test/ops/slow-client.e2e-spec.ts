import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { sqliteKind } from '../helpers/databases.js';
import { useLintel } from '../helpers/lintel.js';

/** Opens a raw connection to `url`, writes `data`, and collects what comes back until the server closes it. */
function slowClient(url: string, data: string): { socket: Socket; closed: Promise<{ text: string; afterMs: number }> } {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  const socket = connect(Number(port), hostname, () => socket.write(data));
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<{ text: string; afterMs: number }>((resolve) => socket.on('close', () => resolve({ text, afterMs: Date.now() - started })));
  socket.on('error', () => undefined);
  return { socket, closed };
}

/** Slow and silent clients (slowloris) are cut off after LINTEL_REQUEST_TIMEOUT; everyone else is served meanwhile. */
describe('slow clients', () => {
  const ctx = useLintel(sqliteKind(), { LINTEL_REQUEST_TIMEOUT: '1' });

  test('a client that stops in the middle of its headers or its body loses the connection (408 when it keeps trickling); others are served', async () => {
    const host = new URL(ctx.h.url).host;
    const stalled = [
      ...Array.from({ length: 10 }, () => slowClient(ctx.h.url, `GET /v3 HTTP/1.1\r\nHost: ${host}\r\nX-Partial: `)),
      ...Array.from({ length: 10 }, () => slowClient(ctx.h.url, `POST /v3/auth/tokens HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"auth":`)),
      slowClient(ctx.h.url, ''),
    ];
    // Trickling a byte now and then does not keep a request alive past its deadline.
    const trickle = slowClient(ctx.h.url, `GET /v3 HTTP/1.1\r\nHost: ${host}\r\n`);
    const drip = setInterval(() => trickle.socket.write('X-A: b\r\n'), 200);
    try {
      const started = Date.now();
      const r = await fetch(`${ctx.h.url}/v3`);
      assert.equal(r.status, 200);
      assert.ok(Date.now() - started < 1000, 'served while 22 sockets stall');
      for (const { closed } of [...stalled, trickle]) {
        const { text, afterMs } = await closed;
        assert.ok(afterMs < 5000, `closed after ${afterMs} ms`);
        assert.ok(text === '' || /^HTTP\/1\.1 408 /.test(text), text.slice(0, 80));
      }
      // A silent socket is dropped by the idle timeout; one that keeps talking is told 408.
      assert.match((await trickle.closed).text, /^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
      for (const { socket } of [...stalled, trickle]) socket.destroy();
    }
  });
});
