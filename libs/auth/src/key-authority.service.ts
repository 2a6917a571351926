import { Inject, Injectable } from '@nestjs/common';
import { isAdminProjectName, LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { ApplicationCredentialNotFoundError, DomainError, isUsable, NotFoundError, UnauthenticatedError, type Credential } from '@lintel/domain';
import type { Credentials } from '@lintel/policy';
import { policyCredentials } from './credentials.js';
import { TokenService, type TokenView } from './token.service.js';

/**
 * What a request signed with an access key may do: its owner's current roles on the key's own
 * project, nothing else (docs/access-keys.md, "A key's authority").
 */
export interface KeyAuthority {
  readonly key: Credential;
  /** The owner, its domain, the key's project and its domain, and the owner's roles there now. */
  readonly view: Omit<TokenView, 'claims'>;
  readonly projectId: string;
  /** The application credential the key was made through: the key has its roles at most. */
  readonly appCredId?: string;
}

/**
 * The one check of a key's authority, for every place a key signs a request (ec2tokens, s3tokens,
 * Outscale, Alibaba; and so for the keys Edgio, SODA and the console issue): the key is active and
 * unexpired and has a project; its owner and the owner's domain are enabled; the project and its
 * domain exist and are enabled; the owner holds a role there now. It reads the token service's
 * validation cache, which a revocation event (role removed, user or project disabled) empties at
 * once in this process and within the revocation refresh elsewhere.
 */
@Injectable()
export class KeyAuthorityService {
  private readonly creds = new WeakMap<object, Credentials>();

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly tokens: TokenService,
  ) {}

  /**
   * @throws UnauthenticatedError (reason for the log: which check failed), or NotFoundError
   *   (`project None`) for a key without a project, as Keystone's ec2tokens answers; with
   *   `keystone`, also Keystone's 404 for a key whose application credential is gone.
   */
  async check(key: Credential, now = Date.now(), keystone = false): Promise<KeyAuthority> {
    const projectId = this.checkState(key, now);
    try {
      const appCredId = appCredOf(key);
      return { key, projectId, appCredId, view: await this.tokens.scopeView(key.userId, { project: projectId }, appCredId) };
    } catch (e) {
      if (keystone && e instanceof ApplicationCredentialNotFoundError) throw e;
      if (e instanceof DomainError && e.code === 'NotFound') {
        throw new UnauthenticatedError(`access key ${key.id.slice(0, 8)}…: its owner cannot act on project ${projectId} (${e.message})`);
      }
      throw e;
    }
  }

  /** The key's own state: active, unexpired, with a project (returned). */
  checkState(key: Credential, now = Date.now()): string {
    if (!isUsable(key, now)) throw new UnauthenticatedError(`access key ${key.id.slice(0, 8)}… is ${key.state === 'active' ? 'expired' : 'inactive'}`);
    if (!key.projectId) throw new NotFoundError('project', 'None');
    return key.projectId;
  }

  /** The policy credentials of a key's authority: a token of the owner scoped to the key's project, with the roles held there now. */
  credentialsOf(a: KeyAuthority): Credentials {
    let c = this.creds.get(a.view);
    if (!c) {
      const { user, userDomain, project, projectDomain, roles } = a.view;
      c = policyCredentials({
        user, userDomain, project, projectDomain, roles, scope: { project: a.projectId },
        isAdminProject: !!project && isAdminProjectName(this.cfg, project.name, projectDomain?.name),
      });
      this.creds.set(a.view, c);
    }
    return c;
  }
}

const appCreds = new WeakMap<Credential, string | undefined>();

/** The `app_cred_id` a key's blob records (docs/keystone-application-credentials.md, "EC2 credentials"), read once per key object. */
function appCredOf(key: Credential): string | undefined {
  if (appCreds.has(key)) return appCreds.get(key);
  let id: string | undefined;
  try {
    const v = (JSON.parse(key.blob) as { app_cred_id?: unknown }).app_cred_id;
    if (typeof v === 'string' && v) id = v;
  } catch {
    id = undefined;
  }
  appCreds.set(key, id);
  return id;
}
