import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { alibabaDate } from '@lintel/credentials';
import { AccessKeyService, CloudAccountService, KEY_DIALECTS, type Credential, type UserEntity } from '@lintel/domain';
import { AlibabaAuthService, type AlibabaCaller } from './alibaba-auth.service.js';
import { AlibabaExceptionFilter, invalidParameter, noPermission, sendAlibaba, setFormat } from './alibaba-exception.filter.js';
import { classify, formatFrom, operationInput, readParams, type AlibabaAction, type OperationInput } from './alibaba-request.js';

const ONALIYUN = '.onaliyun.com';

/** An access key as IMS lists it (no secret). */
function listed(c: Credential): Record<string, unknown> {
  return {
    AccessKeyId: c.accessKey,
    Status: c.state === 'active' ? 'Active' : 'Inactive',
    CreateDate: alibabaDate(c.createdAt),
    UpdateDate: alibabaDate(c.updatedAt),
  };
}

/**
 * Alibaba Cloud IMS 2019-08-15's AccessKey operations, RPC style at `/` (GET or POST, query and
 * form body merged; docs/alibaba.md). Keys are ec2 credentials of the shared store (issuer
 * `alibaba`), so Keystone, SODA, Edgio and Outscale see the same ones, and the other actions see
 * every ec2 key of the user, whichever API issued it. The access-key core decides and writes
 * (docs/access-keys.md); its errors become Alibaba's in AlibabaExceptionFilter.
 */
@Controller()
@UseFilters(AlibabaExceptionFilter)
export class AlibabaController {
  constructor(
    private readonly auth: AlibabaAuthService,
    private readonly accounts: CloudAccountService,
    private readonly keys: AccessKeyService,
  ) {}

  @Get()
  async rpcGet(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.rpc(req, reply);
  }

  @Post()
  async rpcPost(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.rpc(req, reply);
  }

  private async rpc(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { params, query } = readParams(req);
    const format = formatFrom(params);
    if (!format) throw invalidParameter('The parameter Format must be JSON or XML.', 'InvalidParameter.Format');
    setFormat(req, format);
    const call = classify(req, params, query, format);
    // Parameters are checked before authentication spends the nonce, and before any look-up.
    const input = operationInput(call);
    const who = await this.auth.authenticate(req, call);
    const body = await this.run(call.action, who, input);
    sendAlibaba(req, reply, 200, `${call.action}Response`, body);
  }

  private async run(action: AlibabaAction, who: AlibabaCaller, input: OperationInput): Promise<Record<string, unknown>> {
    const { caller } = who;
    const owner = await this.owner(who, input.userPrincipalName);
    const rule = `lintel:alibaba:${action.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase())}`;
    const ref = { access: input.userAccessKeyId ?? '', ownerId: owner.id };
    switch (action) {
      case 'CreateAccessKey': {
        const { credential, secret } = (await this.keys.issue(caller, KEY_DIALECTS.alibaba, { action: rule, ownerId: owner.id }))!;
        return { AccessKey: { Status: 'Active', AccessKeyId: credential.accessKey, AccessKeySecret: secret, CreateDate: alibabaDate(credential.createdAt) } };
      }
      case 'ListAccessKeys':
        return { AccessKeys: { AccessKey: (await this.keys.list(caller, rule, { ownerId: owner.id }, { ownerId: owner.id })).map(listed) } };
      case 'UpdateAccessKey':
        await this.keys.update(caller, rule, ref, { state: input.status === 'Active' ? 'active' : 'inactive' });
        return {};
      case 'DeleteAccessKey':
        await this.keys.delete(caller, rule, ref);
        return {};
      case 'GetAccessKeyLastUsed': {
        const now = await this.keys.lastUsed(caller, rule, ref);
        const used: Record<string, unknown> = {};
        if (now.lastUsedAt) used.LastUsedDate = alibabaDate(now.lastUsedAt);
        if (now.lastUsedAt && now.lastUsedService) used.ServiceName = now.lastUsedService;
        return { AccessKeyLastUsed: used };
      }
    }
  }

  /**
   * `UserPrincipalName` → a Lintel user (docs/alibaba.md, "Who is who"): `name@domain` is user `name`
   * of the domain called `domain` (Alibaba's `.onaliyun.com` suffix tolerated); a bare `name`
   * is a user of the caller's domain; absent, the caller. An unknown user is refused as one the
   * caller may not manage (no enumeration).
   */
  private async owner(who: AlibabaCaller, upn: string | undefined): Promise<UserEntity> {
    if (upn === undefined) return who.user;
    let user = await this.accounts.findUserByLogin(upn, who.user.domainId);
    if (!user && upn.toLowerCase().endsWith(ONALIYUN)) user = await this.accounts.findUserByLogin(upn.slice(0, -ONALIYUN.length), who.user.domainId);
    if (!user) throw noPermission();
    return user;
  }
}
