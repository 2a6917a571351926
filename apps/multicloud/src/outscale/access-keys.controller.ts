import { Controller, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessKeyService, CloudAccountService, KEY_DIALECTS, type Credential, type KeyPatch, type UserEntity } from '@lintel/domain';
import { ACTIONS, parseExpiration, parseRequest, type AccessKeyRequest } from './access-key.request.js';
import { OutscaleAuthService, type OutscaleCaller } from './outscale-auth.service.js';
import { notAllowed, OutscaleError, OutscaleExceptionFilter, requestIdOf } from './outscale-exception.filter.js';
import { OutscaleSettings } from './outscale-settings.js';

/** Outscale's dates: UTC, milliseconds, offset written `+0000` (docs/outscale.md, "Requests and answers"). */
const oscDate = (d: Date) => `${d.toISOString().slice(0, 23)}+0000`;

/** An access key as Outscale shows it; the secret only in CreateAccessKey's answer (docs/outscale.md, "Requests and answers"). */
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

/** Actions that change something: their signed requests run once (docs/security.md, "L2"). */
const CHANGES = new Set(['CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey']);

/**
 * Outscale OAPI's AccessKey family at `POST /api/v1/{Action}` (docs/outscale.md): keys are
 * ec2 credentials of the shared store, so Keystone, SODA and the other dialects see the same ones.
 * The access-key core decides and writes (docs/access-keys.md); the core's errors become
 * Outscale's in OutscaleExceptionFilter.
 */
@Controller('api/v1')
@UseFilters(OutscaleExceptionFilter)
export class OutscaleAccessKeysController {
  constructor(
    private readonly auth: OutscaleAuthService,
    private readonly settings: OutscaleSettings,
    private readonly accounts: CloudAccountService,
    private readonly keys: AccessKeyService,
  ) {}

  @Post(':action')
  @HttpCode(200)
  async action(@Param('action') action: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!Object.hasOwn(ACTIONS, action) || (action === 'ReadSecretAccessKey' && !this.settings.readSecretAccessKey)) {
      throw new OutscaleError(400, '0', 'DefaultError', 'The action is not valid for this web service.');
    }
    const who = await this.auth.authenticate(req, CHANGES.has(action));
    const r = parseRequest(action, req.body);
    const out = await this.run(action, who, r);
    reply.status(200).header('Content-Type', 'application/json').send(JSON.stringify({ ...out, ResponseContext: { RequestId: requestIdOf(req) } }));
  }

  private async run(action: string, who: OutscaleCaller, r: AccessKeyRequest): Promise<Record<string, unknown>> {
    // Parse dates before anything is looked up or written: bad input never half-applies.
    const expiresAt = r.ExpirationDate !== undefined ? parseExpiration(r.ExpirationDate) : r.ClearExpirationDate === true ? null : undefined;
    const { caller } = who;
    const owner = await this.owner(who, r.UserName);
    const rule = `lintel:outscale:${action.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase())}`;
    const ref = { access: r.AccessKeyId ?? '', ownerId: owner.id };
    const dryRun = r.DryRun === true;
    switch (action) {
      case 'CreateAccessKey': {
        const issued = await this.keys.issue(caller, KEY_DIALECTS.outscale, {
          action: rule, ownerId: owner.id, expiresAt: expiresAt ?? null, extra: r.Tag === undefined ? {} : { outscale_tag: r.Tag }, dryRun,
        });
        return issued ? { AccessKey: renderKey(issued.credential, issued.secret) } : {};
      }
      case 'ReadAccessKeys': {
        const keys = await this.keys.list(caller, rule, { ownerId: owner.id }, { ownerId: owner.id });
        return dryRun ? {} : { AccessKeys: this.filter(keys, r).map((c) => renderKey(c)) };
      }
      case 'UpdateAccessKey': {
        const k = await this.keys.update(caller, rule, ref, this.patchOf(r, expiresAt), { dryRun });
        return dryRun ? {} : { AccessKey: renderKey(k) };
      }
      case 'DeleteAccessKey':
        await this.keys.delete(caller, rule, ref, { dryRun });
        return {};
      default: { // ReadSecretAccessKey
        const k = await this.keys.get(caller, rule, ref);
        return dryRun ? {} : { AccessKey: renderKey(k, (JSON.parse(k.blob) as { secret: string }).secret) };
      }
    }
  }

  /**
   * `UserName` names a user of the caller's domain, or `name@domain` (docs/outscale.md, "Who owns what"); absent,
   * the caller. An unknown user is refused as one the caller may not manage (no enumeration).
   */
  private async owner(who: OutscaleCaller, userName: string | undefined): Promise<UserEntity> {
    if (userName === undefined) return who.user;
    const user = await this.accounts.findUserByLogin(userName, who.user.domainId);
    if (!user) throw notAllowed();
    return user;
  }

  /** ReadAccessKeys' filters: ids, states, tag (AND together; values within one OR). */
  private filter(keys: Credential[], r: AccessKeyRequest): Credential[] {
    const ids = r.Filters?.AccessKeyIds;
    const states = r.Filters?.States?.map((s) => s.toLowerCase());
    return keys
      .filter((c) => !ids || ids.includes(c.accessKey ?? ''))
      .filter((c) => !states || states.includes(c.state))
      .filter((c) => r.Tag === undefined || c.extra.outscale_tag === r.Tag);
  }

  /**
   * UpdateAccessKey (docs/outscale.md, "Requests and answers"): `State` when given;
   * `ExpirationDate` sets the expiry, `ClearExpirationDate` removes it, neither leaves it as it is
   * (lifting an expiry is `lintel:extend_key_expiry`'s); `Tag` replaces, `ClearTag` removes.
   */
  private patchOf(r: AccessKeyRequest, expiresAt: Date | null | undefined): KeyPatch {
    return {
      state: r.State === undefined ? undefined : r.State === 'ACTIVE' ? 'active' : 'inactive',
      expiresAt,
      extra: r.Tag !== undefined ? { outscale_tag: r.Tag } : r.ClearTag === true ? { outscale_tag: null } : undefined,
    };
  }
}
