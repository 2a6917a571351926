import type { Credential } from '@lintel/domain';

/** The `{"credential": ...}` member (docs/keystone.md, "Credentials"): blob as JSON text, extras echoed, links. */
export function renderCredential(c: Credential, base: string) {
  return {
    ...c.extra,
    id: c.id,
    user_id: c.userId,
    project_id: c.projectId,
    type: c.type,
    blob: c.blob,
    links: { self: `${base}/v3/credentials/${c.id}` },
  };
}

/** The OS-EC2 view of an ec2 credential (docs/keystone.md, "OS-EC2"); the path uses the owner and the access key. */
export function renderEc2(c: Credential, base: string) {
  const blob = JSON.parse(c.blob) as { access: string; secret?: string; trust_id?: string | null };
  return {
    user_id: c.userId,
    tenant_id: c.projectId,
    access: blob.access,
    secret: blob.secret ?? null,
    trust_id: blob.trust_id ?? null,
    links: { self: `${base}/v3/users/${c.userId}/credentials/OS-EC2/${blob.access}` },
  };
}
