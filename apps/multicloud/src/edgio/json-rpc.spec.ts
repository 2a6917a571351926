import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsBoolean, IsString } from 'class-validator';
import { IfPresent, Present } from '@lintel/platform';
import { dispatch, JsonRpcError, NoParams, type JsonRpcMethod } from './json-rpc.js';

class EchoParams {
  @Present() @IsString() a!: string;
  @IfPresent() @IsBoolean() b?: boolean;
}
const echo: JsonRpcMethod<EchoParams> = { params: EchoParams, run: async (p) => ({ a: p.a, b: p.b ?? null }) };
const boom: JsonRpcMethod = { params: NoParams, run: async () => { throw new Error('secret detail'); } };
const methods = new Map([['echo', echo], ['boom', boom]]);
const onError = () => new JsonRpcError(-32603, 'Internal error');
const run = (body: unknown) => dispatch(body, methods, onError) as Promise<any>;

test('named and positional params reach the method as the same named object', async () => {
  assert.deepEqual(await run({ jsonrpc: '2.0', method: 'echo', params: { a: 'x', b: true }, id: 1 }), { jsonrpc: '2.0', id: 1, result: { a: 'x', b: true } });
  assert.deepEqual(await run({ jsonrpc: '2.0', method: 'echo', params: ['x', true], id: 'k' }), { jsonrpc: '2.0', id: 'k', result: { a: 'x', b: true } });
});

test('JSON-RPC 1.0 requests get 1.0 envelopes; a 1.0 null id is a notification', async () => {
  assert.deepEqual(await run({ method: 'echo', params: ['x'], id: 3 }), { id: 3, result: { a: 'x', b: null }, error: null });
  assert.deepEqual(await run({ method: 'nope', params: [], id: 4 }), { id: 4, result: null, error: { code: -32601, message: 'Method not found: nope' } });
  assert.equal(await run({ method: 'echo', params: ['x'], id: null }), undefined);
});

test('errors: codes, ids, and no internal detail', async () => {
  assert.equal((await run({ jsonrpc: '2.0', method: 'echo', params: [], id: 1 })).error.code, -32603);
  assert.equal((await run({ jsonrpc: '2.0', method: 'echo', params: [1], id: 1 })).error.code, -32602);
  assert.equal((await run({ jsonrpc: '2.0', method: 'echo', params: { c: 1 }, id: 1 })).error.code, -32602);
  assert.equal((await run({ jsonrpc: '2.0', method: '_echo', id: 1 })).error.code, -32601);
  assert.equal((await run({ jsonrpc: 2, method: 'echo', id: 1 })).error.code, -32600);
  assert.equal((await run({ jsonrpc: '2.0', method: 'echo', id: [1] })).id, null);
  assert.equal((await run(undefined)).error.code, -32700);
  const failed = await run({ jsonrpc: '2.0', method: 'boom', id: 9 });
  assert.deepEqual(failed, { jsonrpc: '2.0', id: 9, error: { code: -32603, message: 'Internal error' } });
});

test('batches: order kept, notifications dropped, all-notification batches answer nothing', async () => {
  const out = await run([{ jsonrpc: '2.0', method: 'echo', params: ['1'], id: 1 }, { jsonrpc: '2.0', method: 'echo', params: ['2'] }, 7, { jsonrpc: '2.0', method: 'echo', params: ['3'], id: 3 }]);
  assert.deepEqual(out.map((r: any) => r.id), [1, null, 3]);
  assert.equal(out[1].error.code, -32600);
  assert.equal(await run([{ jsonrpc: '2.0', method: 'echo', params: ['1'] }]), undefined);
  assert.equal((await run([])).error.code, -32600);
});
