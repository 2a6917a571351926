import { randomUUID } from 'node:crypto';
import { alibabaDate, alibabaRpcSignature, amzDate, signOsc4 } from '@lintel/credentials';
import { call, type Res } from './keystone.js';

/** An access key as the cloud clients hold it. */
export interface CloudKey {
  ak: string;
  sk: string;
}

/** A Basic login, as osc-cli's password method sends it. */
export interface BasicLogin {
  login: string;
  password: string;
}

/** Outscale `POST /api/v1/{action}`, signed with OSC4 as osc-cli does, or with a Basic login. */
export async function outscale(base: string, action: string, body: unknown, auth: CloudKey | BasicLogin): Promise<Res> {
  const text = JSON.stringify(body ?? {});
  const path = `/api/v1/${action}`;
  const host = new URL(base).host;
  const headers: Record<string, string> = 'ak' in auth
    ? { 'Content-Type': 'application/json', ...signOsc4({ host, path, body: text, accessKey: auth.ak, secret: auth.sk, region: 'eu-west-2' }) }
    : { 'Content-Type': 'application/json', 'X-Osc-Date': amzDate(new Date()), Authorization: `Basic ${Buffer.from(`${auth.login}:${auth.password}`).toString('base64')}` };
  return call(base, 'POST', path, { raw: text, headers });
}

/** Alibaba IMS, a V1 (HMAC-SHA1) GET as pop-core signs it. */
export async function alibaba(base: string, key: CloudKey, params: Record<string, string>): Promise<Res> {
  const all: Record<string, string> = {
    Format: 'JSON', Version: '2019-08-15', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: randomUUID(),
    Timestamp: alibabaDate(new Date()), AccessKeyId: key.ak, ...params,
  };
  all.Signature = alibabaRpcSignature('GET', all, key.sk);
  return call(base, 'GET', `/?${new URLSearchParams(all).toString()}`);
}
