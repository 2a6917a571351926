import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@lintel/config';
import { UnavailableError, type RevocationEventEntity, type RevocationService } from '@lintel/domain';
import { RevocationCache, type RevocationSubject } from './revocation-cache.js';

let nextId = 1;
function event(fields: Partial<RevocationEventEntity>): RevocationEventEntity {
  return {
    id: nextId++, auditId: null, auditChainId: null, userId: null, projectId: null, domainId: null, roleId: null, appCredId: null, trustId: null, accessTokenId: null,
    issuedBefore: new Date(), revokedAt: new Date(), expiresAt: null, ...fields,
  };
}

async function cacheWith(events: RevocationEventEntity[], fail = false): Promise<RevocationCache> {
  const store = {
    eventsSince: async () => {
      if (fail) throw new Error('connect ECONNREFUSED');
      return events;
    },
    prune: async () => 0,
  } as unknown as RevocationService;
  const cache = new RevocationCache(loadConfig({ LINTEL_REVOCATION_REFRESH_MS: '100' }), store);
  await cache.refresh();
  return cache;
}

const subject = (over: Partial<RevocationSubject['claims']> = {}, extra: Partial<RevocationSubject> = {}): RevocationSubject => ({
  claims: { userId: 'u1', methods: ['password'], auditIds: ['aud1', 'root'], issuedAt: Date.now() - 1000, expiresAt: Date.now() + 3600_000, scope: { project: 'p1' }, ...over },
  userDomainId: 'default',
  projectDomainId: 'default',
  roleIds: ['r-member'],
  ...extra,
});

test('an event matches only when every non-null field matches and the token is not newer', async () => {
  const cache = await cacheWith([event({ userId: 'u1', projectId: 'p1' })]);
  assert.equal(cache.isRevoked(subject()), true);
  assert.equal(cache.isRevoked(subject({ scope: { project: 'p2' } })), false, 'other project');
  assert.equal(cache.isRevoked(subject({ userId: 'u2' })), false, 'other user');
  assert.equal(cache.isRevoked(subject({ issuedAt: Date.now() + 5000 })), false, 'issued after the event');
});

test('audit id matches the token\'s own; chain id only the root; domain the user\'s or the scope\'s', async () => {
  const cache = await cacheWith([event({ auditId: 'aud1' }), event({ domainId: 'd9' }), event({ auditChainId: 'chainX' })]);
  assert.equal(cache.isRevoked(subject()), true, 'audit id matched the token\'s own');
  assert.equal(cache.isRevoked(subject({ auditIds: ['x', 'aud1'] })), false, 'a rescoped child of a revoked token stays valid');
  assert.equal(cache.isRevoked(subject({ auditIds: ['x'] })), false);
  assert.equal(cache.isRevoked(subject({ auditIds: ['x'], scope: { domain: 'd9' } })), true);
  assert.equal(cache.isRevoked(subject({ auditIds: ['x'] }, { userDomainId: 'd9' })), true);
  assert.equal(cache.isRevoked(subject({ auditIds: ['x', 'chainX'] })), true);
  assert.equal(cache.isRevoked(subject({ auditIds: ['chainX', 'y'] })), false, 'chain id is the last element');
});

test('role events revoke tokens carrying that role', async () => {
  const cache = await cacheWith([event({ roleId: 'r-admin' })]);
  assert.equal(cache.isRevoked(subject({ auditIds: ['z'] }, { roleIds: ['r-admin'] })), true);
  assert.equal(cache.isRevoked(subject({ auditIds: ['z'] })), false);
});

test('application credential events revoke only the tokens issued from that credential', async () => {
  const cache = await cacheWith([event({ appCredId: 'ac1' })]);
  assert.equal(cache.isRevoked(subject({ appCredId: 'ac1' })), true);
  assert.equal(cache.isRevoked(subject({ appCredId: 'ac2' })), false, 'another credential');
  assert.equal(cache.isRevoked(subject()), false, 'the same user\'s other tokens');
  assert.equal(cache.isRevoked(subject({ appCredId: 'ac1', issuedAt: Date.now() + 5000 })), false, 'issued after the event');
});

test('trust events revoke the trust\'s tokens; user events reach a trust-scoped token through its trustor and trustee', async () => {
  const trustScoped = (trustId: string, trustorId = 'tor', trusteeId = 'u1') => subject({ auditIds: ['t'], trustId }, { trust: { trustorId, trusteeId } });
  const byTrust = await cacheWith([event({ trustId: 'trust-1' })]);
  assert.equal(byTrust.isRevoked(trustScoped('trust-1')), true);
  assert.equal(byTrust.isRevoked(trustScoped('trust-2')), false, 'another trust');
  assert.equal(byTrust.isRevoked(subject({ auditIds: ['t'] })), false, 'not trust-scoped');
  const byUser = await cacheWith([event({ userId: 'tor' })]);
  assert.equal(byUser.isRevoked(trustScoped('trust-1')), true, 'the trustor');
  assert.equal(byUser.isRevoked(trustScoped('trust-1', 'other')), false);
  assert.equal(byUser.isRevoked(subject({ auditIds: ['t'] })), false, 'the trustor\'s event does not touch other users\' tokens');
  const byProject = await cacheWith([event({ userId: 'tor', projectId: 'p1' })]);
  assert.equal(byProject.isRevoked(trustScoped('trust-1')), true, 'the trustor lost a role on the trust\'s project');
  assert.equal(byProject.isRevoked(subject({ auditIds: ['t'], trustId: 'trust-1', scope: { project: 'p2' } }, { trust: { trustorId: 'tor', trusteeId: 'u1' } })), false);
});

test('access token events revoke the tokens issued from that OAuth1 access token only', async () => {
  const cache = await cacheWith([event({ accessTokenId: 'at1' })]);
  assert.equal(cache.isRevoked(subject({ auditIds: ['z'], oauthAccessTokenId: 'at1' })), true);
  assert.equal(cache.isRevoked(subject({ auditIds: ['z'], oauthAccessTokenId: 'at2' })), false);
  assert.equal(cache.isRevoked(subject({ auditIds: ['z'] })), false, 'a token not issued from an access token');
});

test('a stale copy fails closed', async () => {
  const cache = await cacheWith([]);
  (cache as unknown as { freshAt: number }).freshAt = Date.now() - 60_000;
  assert.throws(() => cache.isRevoked(subject()), (e: unknown) => e instanceof UnavailableError && /stale/.test(e.reason ?? ''));
});

test('a refresh held up for longer than the interval is followed at once by another', async () => {
  let calls = 0;
  let hold: Promise<void> | undefined;
  const store = {
    eventsSince: async () => {
      calls++;
      await hold;
      return [];
    },
    prune: async () => 0,
  } as unknown as RevocationService;
  const cache = new RevocationCache(loadConfig({ LINTEL_REVOCATION_REFRESH_MS: '100' }), store);
  await cache.refresh();
  assert.equal(calls, 1, 'a quick refresh is not repeated');
  hold = new Promise((r) => setTimeout(r, 150));
  await cache.refresh();
  hold = undefined;
  // No interval timer runs here (onModuleInit was not called): only the follow-up can call again.
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 3, 'the slow refresh was followed by another, started at once');
});
