import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { call, type Res } from './keystone.js';

/** Signs an EC2 API call with the AWS SDK's own SigV4 signer and asks Keystone's ec2tokens about it. */
export async function ec2tokens(base: string, adminToken: string, access: string, secret: string): Promise<Res> {
  const signer = new SignatureV4({ credentials: { accessKeyId: access, secretAccessKey: secret }, region: 'RegionOne', service: 'ec2', sha256: Hash.bind(null, 'sha256') });
  const query = { Action: 'DescribeInstances', Version: '2016-11-15' };
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: 'ec2.example.com', port: 8788, path: '/', query, headers: { host: 'ec2.example.com:8788' } });
  const auth = String(signed.headers.authorization);
  const credentials = {
    access, signature: auth.split('Signature=')[1], host: 'ec2.example.com:8788', verb: 'GET', path: '/', params: query,
    headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k === 'authorization' ? 'Authorization' : k, String(v)])),
    body_hash: createHash('sha256').update('').digest('hex'),
  };
  return call(base, 'POST', '/v3/ec2tokens', { token: adminToken, body: { credentials } });
}
