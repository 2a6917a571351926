import assert from 'node:assert/strict';
import { before } from 'node:test';
import { ADMIN_PASSWORD } from './lintel.js';
import { eventually } from './wait.js';

/** A small Keystone client over fetch, for e2e tests. */
export interface Res {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function call(base: string, method: string, path: string, o: { token?: string; subject?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers['X-Auth-Token'] = o.token;
  if (o.subject) headers['X-Subject-Token'] = o.subject;
  // A Uint8Array body makes fetch send no Content-Type of its own (a string would be text/plain).
  let body: string | Uint8Array | undefined = o.raw === undefined ? undefined : headers['Content-Type'] ? o.raw : new TextEncoder().encode(o.raw);
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const r = await fetch(base + path, { method, headers, body });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, headers: r.headers, body: parsed, text };
}

export function passwordAuth(user: { name?: string; id?: string; domain?: object }, password: string, scope?: unknown) {
  const u: Record<string, unknown> = { password };
  if (user.id) u.id = user.id;
  if (user.name) {
    u.name = user.name;
    u.domain = user.domain ?? { name: 'Default' };
  }
  return { auth: { identity: { methods: ['password'], password: { user: u } }, ...(scope ? { scope } : {}) } };
}

/** Issues a token and returns its id (asserting 201). */
export async function issue(base: string, body: unknown): Promise<{ id: string; body: any }> {
  const r = await call(base, 'POST', '/v3/auth/tokens', { body });
  if (r.status !== 201) throw new Error(`token issue failed: ${r.status} ${r.text}`);
  return { id: r.headers.get('x-subject-token')!, body: r.body };
}

/**
 * Validates `subject` (with `token`) until it no longer validates, and returns that status (200
 * if it still validates after `timeoutMs`): a revocation reaches every cache within a refresh.
 */
export async function statusOnceRevoked(base: string, token: string, subject: string, timeoutMs = 5000): Promise<number> {
  return eventually(async () => (await call(base, 'GET', '/v3/auth/tokens', { token, subject })).status, (s) => s !== 200, { timeoutMs });
}

export const adminProjectAuth = () => passwordAuth({ name: 'admin' }, ADMIN_PASSWORD, { project: { name: 'admin', domain: { id: 'default' } } });
export const adminSystemAuth = () => passwordAuth({ name: 'admin' }, ADMIN_PASSWORD, { system: { all: true } });

/** The sentence Keystone ends its "Expecting to find ..." 400s with. */
export const CLIENT_ERROR = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
/** Keystone's 400 for something missing: `Expecting to find <what> in <where>. <CLIENT_ERROR>` */
export const expecting = (what: string, where: string) => `Expecting to find ${what} in ${where}. ${CLIENT_ERROR}`;
/** Keystone's 400 for a body that does not parse. */
export const INVALID_JSON = expecting('valid JSON', 'request body');
/** Keystone's 400 for a body sent with another content type. */
export const NOT_JSON = expecting('application/json', 'Content-Type header');

/** Asserts Keystone's error envelope and returns the error object. */
export function keystoneError(r: Res, status: number): { code: number; title: string; message: string } {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  const keys = Object.keys(r.body ?? {});
  if (keys.length !== 1 || keys[0] !== 'error') throw new Error(`not a Keystone error body: ${r.text}`);
  if (r.body.error.code !== status) throw new Error(`error.code ${r.body.error.code} != ${status}`);
  return r.body.error;
}

/**
 * Keystone calls as the cloud admin (admin on the admin project) of a suite's `useLintel`
 * instance: `api` (the admin's token unless another is given), `created` (POST, 201, the new
 * member), `names` (a 200 list's names, sorted). The token is issued in a `before` hook.
 */
export function adminCalls(ctx: { h: { url: string } }) {
  const state = { token: '' };
  before(async () => {
    state.token = (await issue(ctx.h.url, adminProjectAuth())).id;
  });
  const api = (method: string, path: string, body?: unknown, token = state.token) => call(ctx.h.url, method, path, { token, body });
  const created = async (path: string, body: unknown): Promise<any> => {
    const r = await api('POST', path, body);
    assert.equal(r.status, 201, r.text);
    return Object.values(r.body)[0];
  };
  const names = (r: Res, key: string): string[] => {
    assert.equal(r.status, 200, r.text);
    return (r.body[key] as Array<{ name: string }>).map((x) => x.name).sort();
  };
  return { api, created, names, adminToken: () => state.token };
}
