/**
 * The console's only way to the server: Lintel's Keystone API and its OS-LINTEL access-key
 * routes, on the origin that served the page. Tokens live in this module's memory only (never
 * localStorage, never a cookie), so a reload signs out and no other site can ride a session:
 * every call carries the token in the X-Auth-Token header, which a cross-site form cannot send.
 */

/** Keystone's answer to a missing, expired or revoked token. */
export const SESSION_ENDED = 'The request you have made requires authentication.';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
  /** The token itself was refused (expired, revoked, or the user disabled). */
  get sessionEnded(): boolean {
    return this.status === 401 && this.message === SESSION_ENDED;
  }
}

export interface Session {
  token: string;
  expiresAt: Date;
  user: { id: string; name: string; domain: { id: string; name: string } };
  project?: { id: string; name: string; domain: { id: string; name: string } };
  roles: string[];
}

export interface Project {
  id: string;
  name: string;
  domain_id: string;
}

export interface AccessKey {
  id: string;
  access: string;
  user_id: string;
  user_name: string | null;
  project_id: string;
  issuer: string;
  state: 'active' | 'inactive';
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_service: string | null;
}

export interface NewAccessKey extends AccessKey {
  secret: string;
}

export interface ProjectUser {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
}

/** `/console/` → `/v3/`; `/identity/console/` → `/identity/v3/`. */
const API_ROOT = new URL('../v3/', location.href);

async function call<T>(method: string, path: string, o: { token?: string; body?: unknown; subject?: string } = {}): Promise<{ body: T; headers: Headers }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (o.token) headers['X-Auth-Token'] = o.token;
  if (o.subject) headers['X-Subject-Token'] = o.subject;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(path, API_ROOT), {
      method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body),
      credentials: 'omit', cache: 'no-store', redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'Lintel cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const message = (parsed as { error?: { message?: unknown } } | undefined)?.error?.message;
    throw new ApiError(res.status, typeof message === 'string' ? message : `The server answered ${res.status} ${res.statusText}.`);
  }
  return { body: parsed as T, headers: res.headers };
}

interface TokenBody {
  token: {
    expires_at: string;
    user: Session['user'];
    project?: Session['project'];
    roles?: Array<{ name: string }>;
  };
}

async function issue(auth: unknown): Promise<Session> {
  const { body, headers } = await call<TokenBody>('POST', 'auth/tokens?nocatalog', { body: { auth } });
  const token = headers.get('X-Subject-Token');
  if (!token) throw new ApiError(0, 'The server did not return a token.');
  const t = body.token;
  return { token, expiresAt: new Date(t.expires_at), user: t.user, project: t.project, roles: (t.roles ?? []).map((r) => r.name) };
}

export function signIn(name: string, domain: string, password: string): Promise<Session> {
  return issue({ identity: { methods: ['password'], password: { user: { name, domain: { name: domain }, password } } } });
}

/** A project-scoped token from the unscoped one (Keystone's token method). */
export function scopeTo(unscoped: Session, projectId: string): Promise<Session> {
  return issue({ identity: { methods: ['token'], token: { id: unscoped.token } }, scope: { project: { id: projectId } } });
}

export async function signOut(...sessions: Array<Session | undefined>): Promise<void> {
  await Promise.all(sessions.filter((s): s is Session => !!s).map((s) =>
    call('DELETE', 'auth/tokens', { token: s.token, subject: s.token }).catch(() => undefined)));
}

export async function listProjects(s: Session): Promise<Project[]> {
  const { body } = await call<{ projects: Project[] }>('GET', 'auth/projects', { token: s.token });
  return body.projects.sort((a, b) => a.name.localeCompare(b.name));
}

const keysPath = (s: Session, rest = '') => `OS-LINTEL/projects/${encodeURIComponent(s.project!.id)}/${rest}`;

export async function listKeys(s: Session): Promise<AccessKey[]> {
  const { body } = await call<{ access_keys: AccessKey[] }>('GET', keysPath(s, 'access_keys'), { token: s.token });
  return body.access_keys;
}

export async function listUsers(s: Session): Promise<ProjectUser[]> {
  const { body } = await call<{ users: ProjectUser[] }>('GET', keysPath(s, 'users'), { token: s.token });
  return body.users;
}

export async function createKey(s: Session, o: { userId?: string; expiresAt?: Date; password: string }): Promise<NewAccessKey> {
  const accessKey: Record<string, string> = {};
  if (o.userId) accessKey.user_id = o.userId;
  if (o.expiresAt) accessKey.expires_at = o.expiresAt.toISOString();
  const { body } = await call<{ access_key: NewAccessKey }>('POST', keysPath(s, 'access_keys'), { token: s.token, body: { access_key: accessKey, password: o.password } });
  return body.access_key;
}

export async function setKeyState(s: Session, access: string, state: 'active' | 'inactive'): Promise<AccessKey> {
  const { body } = await call<{ access_key: AccessKey }>('PATCH', keysPath(s, `access_keys/${encodeURIComponent(access)}`), { token: s.token, body: { access_key: { state } } });
  return body.access_key;
}

export async function deleteKey(s: Session, access: string): Promise<void> {
  await call('DELETE', keysPath(s, `access_keys/${encodeURIComponent(access)}`), { token: s.token });
}
