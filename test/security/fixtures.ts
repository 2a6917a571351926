import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { call, type Res } from '../helpers/keystone.js';
import type { Harness } from '../helpers/lintel.js';

/** Shared set-up of the security regression suites (docs/security.md). */

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

export interface KeyOwner {
  userId: string;
  name: string;
  password: string;
  projectId: string;
  access: string;
  secret: string;
}

/**
 * A user of domain Default holding `role` on a new project (its default project), with an ec2
 * access key on it made through OS-EC2 by the cloud admin.
 */
export async function keyOwner(h: Harness, admin: string, name: string, o: { role?: string; password?: string; domainId?: string } = {}): Promise<KeyOwner> {
  const password = o.password ?? `${name}-password-1`;
  const domainId = o.domainId ?? DEFAULT_DOMAIN_ID;
  const projectId = (await h.get(ResourceService).createProject({ name: `${name}-project`, domainId })).id;
  const userId = (await h.get(IdentityService).createUser({ name, domainId, password, defaultProjectId: projectId })).id;
  const assignments = h.get(AssignmentService);
  await assignments.grant({ type: 'UserProject', actorId: userId, targetId: projectId, roleId: (await assignments.findGlobalRole(o.role ?? 'member'))!.id });
  const r = await call(h.url, 'POST', `/v3/users/${userId}/credentials/OS-EC2`, { token: admin, body: { tenant_id: projectId } });
  assert.equal(r.status, 201, r.text);
  return { userId, name, password, projectId, access: r.body.credential.access, secret: r.body.credential.secret };
}

/** What an EC2-API service relays to `/v3/ec2tokens` for a request it received. */
export interface Ec2Relay {
  access: string;
  signature: string;
  host: string;
  verb: string;
  path: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  body_hash: string;
}

/**
 * An EC2 API POST (form body) signed with the AWS SDK's own SigV4 signer at `at`, as the
 * service that received it relays it.
 */
export async function sigV4Post(key: { access: string; secret: string }, at: Date, params: Record<string, string> = { Action: 'DescribeRegions', Version: '2016-11-15' }): Promise<Ec2Relay> {
  const signer = new SignatureV4({ credentials: { accessKeyId: key.access, secretAccessKey: key.secret }, region: 'RegionOne', service: 'ec2', sha256: Hash.bind(null, 'sha256') });
  const body = new URLSearchParams(params).toString();
  const signed = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: 'ec2.example.com', port: 8788, path: '/', body,
    headers: { host: 'ec2.example.com:8788', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  }, { signingDate: at });
  const auth = String(signed.headers.authorization);
  return {
    access: key.access, signature: auth.split('Signature=')[1]!, host: 'ec2.example.com:8788', verb: 'POST', path: '/', params: { ...params },
    headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k === 'authorization' ? 'Authorization' : k, String(v)])),
    body_hash: sha256Hex(body),
  };
}

/** An EC2 query API GET signed with SignatureVersion 2 (boto 2's HmacSHA256 form), `extra` params included. */
export function sigV2Get(key: { access: string; secret: string }, extra: Record<string, string>): Ec2Relay {
  const params: Record<string, string> = { Action: 'DescribeRegions', Version: '2016-11-15', AWSAccessKeyId: key.access, SignatureMethod: 'HmacSHA256', SignatureVersion: '2', ...extra };
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const qs = Object.keys(params).sort().map((k) => `${enc(k)}=${enc(params[k]!)}`).join('&');
  const signature = createHmac('sha256', key.secret).update(`GET\nec2.example.com:8788\n/\n${qs}`).digest('base64');
  return { access: key.access, signature, host: 'ec2.example.com:8788', verb: 'GET', path: '/', params, headers: {}, body_hash: sha256Hex('') };
}

export const ec2tokens = (h: Harness, admin: string, credentials: unknown): Promise<Res> => call(h.url, 'POST', '/v3/ec2tokens', { token: admin, body: { credentials } });

/** `POST /v3/s3tokens` for a string to sign, signed as S3 SigV2 (HMAC-SHA1, base64). */
export function s3tokensV2(h: Harness, admin: string, key: { access: string; secret: string }, stringToSign: string): Promise<Res> {
  const signature = createHmac('sha1', key.secret).update(stringToSign, 'utf8').digest('base64');
  const token = Buffer.from(stringToSign, 'utf8').toString('base64url');
  return call(h.url, 'POST', '/v3/s3tokens', { token: admin, body: { credentials: { access: key.access, token, signature } } });
}

/** An RFC 1123 date as S3 SigV2 clients put in `Date`. */
export const httpDate = (d: Date) => d.toUTCString();

export const HOUR = 3600_000;
export const YEAR = 365 * 24 * HOUR;

/** `POST /v3/s3tokens` for an S3 SigV4 string to sign made for `at` (scope `<day>/RegionOne/s3/aws4_request`). */
export function s3tokensV4(h: Harness, admin: string, key: { access: string; secret: string }, at: Date): Promise<Res> {
  const amz = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amz.slice(0, 8);
  const stringToSign = `AWS4-HMAC-SHA256\n${amz}\n${day}/RegionOne/s3/aws4_request\n${sha256Hex('canonical request')}`;
  const hmac = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secret}`, day), 'RegionOne'), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  const token = Buffer.from(stringToSign, 'utf8').toString('base64url');
  return call(h.url, 'POST', '/v3/s3tokens', { token: admin, body: { credentials: { access: key.access, token, signature } } });
}

/** A JSON-RPC 2.0 body: one call or a batch. */
export const rpcCall = (method: string, params: unknown, id: number | string = 1) => ({ jsonrpc: '2.0', id, method, params });

/** Edgio's JSON-RPC endpoint. */
export const edgioRpc = (h: Harness, body: unknown): Promise<Res> => call(h.multicloudUrl, 'POST', '/jsonrpc2', { body });

/** Edgio's HTTP login (`POST /account/login`). */
export const edgioHttpLogin = (h: Harness, username: string, password: string): Promise<Res> =>
  call(h.multicloudUrl, 'POST', '/account/login', { headers: { 'X-Agile-Username': username, 'X-Agile-Password': password } });

/** An Outscale call with Basic login/password (osc-cli's `--authentication-method password`). */
export function outscaleBasic(h: Harness, action: string, login: string, password: string, body: unknown = {}): Promise<Res> {
  const at = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return call(h.multicloudUrl, 'POST', `/api/v1/${action}`, {
    body, headers: { 'X-Osc-Date': at, Authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` },
  });
}

/** `POST /v3/auth/tokens` with the password method, unscoped. */
export const keystoneLogin = (h: Harness, user: { id?: string; name?: string; domain?: object }, password: string): Promise<Res> =>
  call(h.url, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { ...user, password } } } } } });
