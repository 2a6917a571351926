import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { keyOwnerTarget, PolicyFacts, PolicyService } from '@lintel/auth';
import { alibabaDate } from '@lintel/credentials';
import {
  AlibabaKeyLimitError, AlibabaKeyService, CloudAccountService, CredentialLimitError, CredentialService, isEc2, NoHomeProjectError,
  type Credential, type UserEntity,
} from '@lintel/domain';
import { AlibabaAuthService } from './alibaba-auth.service.js';
import { AlibabaError, AlibabaExceptionFilter, invalidParameter, sendAlibaba, setFormat } from './alibaba-exception.filter.js';
import { classify, formatFrom, operationInput, readParams, type AlibabaAction, type OperationInput } from './alibaba-request.js';

const ONALIYUN = '.onaliyun.com';

const userNotFound = (upn: string) => new AlibabaError(404, 'EntityNotExist.User', `The user "${upn.slice(0, 64)}" does not exist.`);
const keyNotFound = (id: string) => new AlibabaError(404, 'EntityNotExist.User.AccessKey', `The access key "${id.slice(0, 64)}" does not exist.`);
const noPermission = () => new AlibabaError(403, 'NoPermission', 'You are not authorized to manage the access keys of this user.');
const limitExceeded = () => new AlibabaError(409, 'LimitExceeded.User.AccessKey', 'The count of access keys of the user exceeds the limit.');

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
 * form body merged; cloud-key-apis.md C). Keys are ec2 credentials of the shared store (issuer
 * `alibaba`), so Keystone, SODA, Edgio and Outscale see the same ones, and the other actions see
 * every ec2 key of the user, whichever API issued it.
 */
@Controller()
@UseFilters(AlibabaExceptionFilter)
export class AlibabaController {
  constructor(
    private readonly auth: AlibabaAuthService,
    private readonly accounts: CloudAccountService,
    private readonly policy: PolicyService,
    private readonly facts: PolicyFacts,
    private readonly credentials: CredentialService,
    private readonly keys: AlibabaKeyService,
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
    const { user: caller } = await this.auth.authenticate(req, call);
    const body = await this.run(call.action, caller, input);
    sendAlibaba(req, reply, 200, `${call.action}Response`, body);
  }

  private async run(action: AlibabaAction, caller: UserEntity, input: OperationInput): Promise<Record<string, unknown>> {
    const target = await this.target(caller, input.userPrincipalName);
    const key = input.userAccessKeyId !== undefined ? await this.ownKey(target, input.userAccessKeyId) : undefined;
    const rule = `lintel:alibaba:${action.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase())}`;
    const scopes = await this.accounts.keyScopes(target, key?.projectId);
    if (!(await this.policy.allowsOnAnyScope(caller, scopes, rule, { target: { ...keyOwnerTarget(target, key?.projectId), ...(await this.facts.forAction(rule, { user: target })) } }))) throw noPermission();
    if (input.userAccessKeyId !== undefined && !key) throw keyNotFound(input.userAccessKeyId);
    switch (action) {
      case 'CreateAccessKey':
        return { AccessKey: await this.create(target) };
      case 'ListAccessKeys': {
        const all = (await this.credentials.list({ userId: target.id })).filter((c) => isEc2(c.type) && c.accessKey);
        return { AccessKeys: { AccessKey: all.map(listed) } };
      }
      case 'UpdateAccessKey':
        await this.credentials.update(key!.id, { state: input.status === 'Active' ? 'active' : 'inactive' });
        return {};
      case 'DeleteAccessKey':
        await this.credentials.delete(key!.id);
        return {};
      case 'GetAccessKeyLastUsed': {
        // Last uses are written in batches; flush so this process's own recent checks show.
        await this.credentials.flushUse();
        const now = (await this.credentials.get(key!.id)) ?? key!;
        const used: Record<string, unknown> = {};
        if (now.lastUsedAt) used.LastUsedDate = alibabaDate(now.lastUsedAt);
        if (now.lastUsedAt && now.lastUsedService) used.ServiceName = now.lastUsedService;
        return { AccessKeyLastUsed: used };
      }
    }
  }

  /**
   * `UserPrincipalName` → a Lintel user (README "Alibaba Cloud IMS"): `name@domain` is user `name`
   * of the domain called `domain` (Alibaba's `.onaliyun.com` suffix tolerated); a bare `name`
   * is a user of the caller's domain; absent, the caller.
   */
  private async target(caller: UserEntity, upn: string | undefined): Promise<UserEntity> {
    if (upn === undefined) return caller;
    let user = await this.accounts.findUserByLogin(upn, caller.domainId);
    if (!user && upn.toLowerCase().endsWith(ONALIYUN)) user = await this.accounts.findUserByLogin(upn.slice(0, -ONALIYUN.length), caller.domainId);
    if (!user) throw userNotFound(upn);
    return user;
  }

  /** The target's access key with that id (any dialect's), or undefined. */
  private async ownKey(target: UserEntity, accessKeyId: string): Promise<Credential | undefined> {
    const c = await this.credentials.findByAccessKey(accessKeyId);
    return c && isEc2(c.type) && c.userId === target.id ? c : undefined;
  }

  private async create(target: UserEntity): Promise<Record<string, unknown>> {
    try {
      const { credential, secret } = await this.keys.issue(target);
      return { Status: 'Active', AccessKeyId: credential.accessKey, AccessKeySecret: secret, CreateDate: alibabaDate(credential.createdAt) };
    } catch (e) {
      if (e instanceof AlibabaKeyLimitError || e instanceof CredentialLimitError) throw limitExceeded();
      if (e instanceof NoHomeProjectError) throw invalidParameter('The user holds no role on a project that could own access keys; set the user\'s default project.');
      throw e;
    }
  }
}
