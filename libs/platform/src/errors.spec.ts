import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { DomainError, MalformedBodyError, NotFoundError, UnavailableError } from '@lintel/domain';
import { classifyError, DialectError } from './errors.js';

const kind = (err: unknown) => classifyError(err).kind;

test('core errors are domain errors, an unreachable dependency is unavailable, an internal one unexpected', () => {
  assert.equal(kind(new NotFoundError('user', 'x')), 'domain');
  assert.equal(kind(new MalformedBodyError()), 'domain');
  assert.deepEqual(classifyError(new UnavailableError('revocation list is stale')), { kind: 'unavailable', reason: 'revocation list is stale' });
  assert.equal(kind(new DomainError('Internal', 'oops')), 'unexpected');
});

test('framework statuses: Nest and Fastify 4xx; their 5xx are unexpected', () => {
  assert.deepEqual(classifyError(new NotFoundException('Cannot GET /x')), { kind: 'framework', status: 404, message: 'Cannot GET /x' });
  assert.equal((classifyError(new PayloadTooLargeException()) as { status: number }).status, 413);
  const fastify = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  assert.deepEqual(classifyError(fastify), { kind: 'framework', status: 413, message: 'Request body is too large' });
  assert.equal(kind(Object.assign(new Error('x'), { statusCode: 500 })), 'unexpected');
});

test('database connection errors are unavailable, with the driver\'s message as the reason; anything else is unexpected', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
  assert.deepEqual(classifyError(refused), { kind: 'unavailable', reason: 'connect ECONNREFUSED 127.0.0.1:3306' });
  assert.equal(kind({ driverError: { code: 'PROTOCOL_CONNECTION_LOST' } }), 'unavailable');
  assert.equal(kind(new TypeError('undefined is not a function')), 'unexpected');
  assert.equal(kind(undefined), 'unexpected');
});

test('an error already in a dialect\'s words is the dialect\'s, not unexpected', () => {
  class TeapotError extends DialectError {}
  assert.equal(kind(new TeapotError('short and stout')), 'dialect');
});
