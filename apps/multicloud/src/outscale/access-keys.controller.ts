import { Controller, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CloudAccountService, CredentialLimitError, CredentialService, isEc2, NoHomeProjectError, OutscaleKeyLimitError, OutscaleKeyService,
  type Credential, type CredentialPatch, type UserEntity,
} from '@lintel/domain';
import { keyOwnerTarget, PolicyFacts, PolicyService } from '@lintel/auth';
import { parseExpiration, parseRequest, SHAPES, type AccessKeyRequest } from './access-key.request.js';
import { OutscaleAuthService } from './outscale-auth.service.js';
import { invalidValue, OutscaleError, OutscaleExceptionFilter, requestIdOf } from './outscale-exception.filter.js';
import { OutscaleSettings } from './outscale-settings.js';

/** Outscale's dates: UTC, milliseconds, offset written `+0000` (B.3). */
const oscDate = (d: Date) => `${d.toISOString().slice(0, 23)}+0000`;

/** An access key as Outscale shows it; the secret only where the contract returns it. */
function renderKey(c: Credential, secret?: string): Record<string, unknown> {
  const blob = JSON.parse(c.blob) as { access: string };
  const out: Record<string, unknown> = {
    AccessKeyId: blob.access,
    State: c.state === 'active' ? 'ACTIVE' : 'INACTIVE',
    CreationDate: oscDate(c.createdAt),
    LastModificationDate: oscDate(c.updatedAt),
  };
  if (secret !== undefined) out.SecretKey = secret;
  if (c.expiresAt) out.ExpirationDate = oscDate(c.expiresAt);
  if (typeof c.extra.outscale_tag === 'string') out.Tag = c.extra.outscale_tag;
  return out;
}

const keyNotFound = (id: string) => new OutscaleError(400, '4000', 'InvalidParameterValue', `The AccessKeyId '${id.slice(0, 64)}' does not exist.`);
const tooMany = () => new OutscaleError(400, '10005', 'TooManyResources', 'You have reached the limit of access keys for this user (QuotaExceded).');
/** Actions that change something: their signed requests run once (docs/security.md, "L2"). */
const CHANGES = new Set(['CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey']);

const notAllowed = () => new OutscaleError(401, '4', 'AccessDenied', 'You are not allowed to manage the access keys of this user.');

/**
 * Outscale OAPI's AccessKey family at `POST /api/v1/{Action}` (cloud-key-apis.md B): keys are
 * ec2 credentials of the shared store, so Keystone, SODA and the other dialects see the same ones.
 */
@Controller('api/v1')
@UseFilters(OutscaleExceptionFilter)
export class AccessKeysController {
  constructor(
    private readonly auth: OutscaleAuthService,
    private readonly settings: OutscaleSettings,
    private readonly accounts: CloudAccountService,
    private readonly policy: PolicyService,
    private readonly facts: PolicyFacts,
    private readonly credentials: CredentialService,
    private readonly keys: OutscaleKeyService,
  ) {}

  @Post(':action')
  @HttpCode(200)
  async action(@Param('action') action: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!Object.hasOwn(SHAPES, action) || (action === 'ReadSecretAccessKey' && !this.settings.readSecretAccessKey)) {
      throw new OutscaleError(400, '0', 'DefaultError', 'The action is not valid for this web service.');
    }
    const caller = await this.auth.authenticate(req, CHANGES.has(action));
    const r = parseRequest(action, req.body);
    const out = await this.run(action, caller, r);
    reply.status(200).header('Content-Type', 'application/json').send(JSON.stringify({ ...out, ResponseContext: { RequestId: requestIdOf(req) } }));
  }

  private async run(action: string, caller: UserEntity, r: AccessKeyRequest): Promise<Record<string, unknown>> {
    // Parse dates before anything is looked up or written: bad input never half-applies.
    const expiresAt = r.ExpirationDate !== undefined ? parseExpiration(r.ExpirationDate) : null;
    const target = await this.target(caller, r.UserName);
    const key = r.AccessKeyId !== undefined ? await this.ownKey(target, r.AccessKeyId) : undefined;
    const rule = `lintel:outscale:${action.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase())}`;
    const scopes = await this.accounts.keyScopes(target, key?.projectId);
    if (!(await this.policy.allowsOnAnyScope(caller, scopes, rule, { target: { ...keyOwnerTarget(target, key?.projectId), ...(await this.facts.forAction(rule, { user: target })) } }))) throw notAllowed();
    if (r.AccessKeyId !== undefined && !key) throw keyNotFound(r.AccessKeyId);
    if (r.DryRun === true) return {};
    switch (action) {
      case 'CreateAccessKey':
        return { AccessKey: await this.create(target, expiresAt, r.Tag) };
      case 'ReadAccessKeys':
        return { AccessKeys: await this.read(target, r) };
      case 'UpdateAccessKey':
        return { AccessKey: renderKey(await this.credentials.update(key!.id, this.patchOf(key!, r, expiresAt))) };
      case 'DeleteAccessKey':
        await this.credentials.delete(key!.id);
        return {};
      default: // ReadSecretAccessKey
        return { AccessKey: renderKey(key!, (JSON.parse(key!.blob) as { secret: string }).secret) };
    }
  }

  /** `UserName` names a user of the caller's domain, or `name@domain` (README "Outscale"). */
  private async target(caller: UserEntity, userName: string | undefined): Promise<UserEntity> {
    if (userName === undefined) return caller;
    const user = await this.accounts.findUserByLogin(userName, caller.domainId);
    if (!user) throw new OutscaleError(400, '5075', 'InvalidResource', `The user '${userName.slice(0, 64)}' does not exist.`);
    return user;
  }

  /** The target's access key with that id (any dialect's), or undefined. */
  private async ownKey(target: UserEntity, accessKeyId: string): Promise<Credential | undefined> {
    const c = await this.credentials.findByAccessKey(accessKeyId);
    return c && isEc2(c.type) && c.userId === target.id ? c : undefined;
  }

  private async create(target: UserEntity, expiresAt: Date | null, tag: string | undefined): Promise<Record<string, unknown>> {
    try {
      const { credential, secret } = await this.keys.issue(target, { expiresAt, tag });
      return renderKey(credential, secret);
    } catch (e) {
      if (e instanceof OutscaleKeyLimitError || e instanceof CredentialLimitError) throw tooMany();
      if (e instanceof NoHomeProjectError) throw invalidValue(`The user holds no role on a project that could own access keys; set the user's default project.`);
      throw e;
    }
  }

  private async read(target: UserEntity, r: AccessKeyRequest): Promise<Record<string, unknown>[]> {
    const ids = r.Filters?.AccessKeyIds;
    const states = r.Filters?.States?.map((s) => s.toLowerCase());
    return (await this.credentials.list({ userId: target.id }))
      .filter((c) => isEc2(c.type))
      .filter((c) => !ids || ids.includes(c.accessKey ?? ''))
      .filter((c) => !states || states.includes(c.state))
      .filter((c) => r.Tag === undefined || c.extra.outscale_tag === r.Tag)
      .map((c) => renderKey(c));
  }

  /**
   * UpdateAccessKey (B.6): `State` when given; the expiry becomes `ExpirationDate`, and is cleared
   * when it is omitted (the current contract's wording); `Tag` replaces, `ClearTag` removes.
   */
  private patchOf(key: Credential, r: AccessKeyRequest, expiresAt: Date | null): CredentialPatch {
    const patch: CredentialPatch = { expiresAt };
    if (r.State !== undefined) patch.state = r.State === 'ACTIVE' ? 'active' : 'inactive';
    if (r.Tag !== undefined) patch.extra = { ...key.extra, outscale_tag: r.Tag };
    else if (r.ClearTag === true) patch.extra = { ...key.extra, outscale_tag: null };
    return patch;
  }
}
