import type { AccessKey, NewAccessKey, Session } from './api.ts';

const dateTime = new Intl.DateTimeFormat(navigator.languages as string[], { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp in the reader's locale and time zone. */
export function formatDate(iso: string | null, none = '—'): string {
  return iso ? dateTime.format(new Date(iso)) : none;
}

/** What the key list calls each issuing dialect. */
export const DIALECTS: Record<string, string> = {
  console: 'Console',
  keystone: 'Keystone credentials',
  'os-ec2': 'Keystone OS-EC2',
  soda: 'SODA multicloud',
  edgio: 'Edgio',
  outscale: 'Outscale',
  alibaba: 'Alibaba Cloud',
};

export const isExpired = (k: AccessKey, now = Date.now()): boolean => k.expires_at !== null && new Date(k.expires_at).getTime() <= now;

export function stateLabel(k: AccessKey): string {
  if (k.state === 'inactive') return 'Inactive';
  return isExpired(k) ? 'Expired' : 'Active';
}

/** The end of a day picked in a date input (`yyyy-mm-dd`), in the reader's time zone. */
export function endOfLocalDay(value: string): Date {
  const [y, m, d] = value.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d, 23, 59, 59);
}

/** `yyyy-mm-dd` of a local date, for the `min` of a date input. */
export function localDateValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** An AWS-style shared credentials file: what SDKs and CLIs read as a profile. */
export function credentialsFile(k: NewAccessKey, s: Session): string {
  const profile = `lintel-${(s.project?.name ?? 'project').replace(/[^A-Za-z0-9_-]+/g, '-')}`;
  return [
    `# Lintel access key of ${k.user_name ?? k.user_id} in project ${s.project?.name ?? ''} (${k.project_id})`,
    `# Created ${k.created_at}; ${k.expires_at ? `expires ${k.expires_at}` : 'does not expire'}. Keep this file private.`,
    `[${profile}]`,
    `aws_access_key_id = ${k.access}`,
    `aws_secret_access_key = ${k.secret}`,
    '',
  ].join('\n');
}
