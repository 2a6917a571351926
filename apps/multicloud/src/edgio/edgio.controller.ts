import { createHash } from 'node:crypto';
import { Controller, HttpCode, Logger, Post, Req, Res, UseFilters } from '@nestjs/common';
import { IsBoolean, IsNumber, IsString } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureReason, KeyCallers, PasswordLogin } from '@lintel/auth';
import {
  AccessKeyService, CloudAccountService, EdgioSessionService, ForbiddenError, KEY_DIALECTS, NoHomeProjectError, TooManyRequestsError,
} from '@lintel/domain';
import { classifyError, IfPresent, logFailure, Present } from '@lintel/platform';
import { EdgioExceptionFilter } from './edgio-exception.filter.js';
import { dispatch, JsonRpcError, INTERNAL_ERROR, SERVER_ERROR, type JsonRpcContext, type JsonRpcMethod } from './json-rpc.js';

/** Method-level results of Edgio (docs/edgio.md, "Methods"): failures are results, not JSON-RPC errors. */
const LOGIN_EMPTY_USERNAME = -40;
const LOGIN_EMPTY_PASSWORD = -41;
const LOGOUT_INVALID_TOKEN = -1;
const INVALID_TOKEN = -10001;
const KEY_GENERATION_FAILED = -10004;
const BAD_EXPIRY = -34;
const BAD_SUBDIR = -47;
/** Longest session `authenticate` and `/account/login` may ask for (docs/edgio.md, "Methods"). */
const MAX_EXPIRY = 86_400;

/** The parameters of Edgio's methods, in positional order (docs/edgio.md, "Methods"). */
class LoginParams {
  @Present() @IsString() username!: string;
  @Present() @IsString() password!: string;
  @IfPresent() @IsBoolean() detail?: boolean;
}

class AuthenticateParams {
  @Present() @IsString() username!: string;
  @Present() @IsString() password!: string;
  @IfPresent() @IsNumber() expiry?: number;
  @IfPresent() @IsString() subdir?: string;
}

class TokenParams {
  @Present() @IsString() token!: string;
}

const method = <P extends object>(params: new () => P, run: JsonRpcMethod<P>['run']): JsonRpcMethod<P> => ({ params, run });

/** A stable non-negative 28-bit number for an id: Edgio's uid / gid are integers. */
const numericId = (id: string) => parseInt(createHash('sha256').update(id).digest('hex').slice(0, 7), 16);

/**
 * Edgio (Limelight) Origin Storage's JSON-RPC interface (docs/edgio.md): `login`,
 * `logout` and `initKeyPair`, over `POST /jsonrpc2` (and `/jsonrpc`), JSON-RPC 1.0 or 2.0,
 * named or positional parameters, batches. Keys are ec2 credentials of the shared store.
 */
@Controller()
@UseFilters(EdgioExceptionFilter)
export class EdgioController {
  private readonly logger = new Logger('Edgio');
  private readonly methods: ReadonlyMap<string, JsonRpcMethod<any>>;

  constructor(
    private readonly accounts: CloudAccountService,
    private readonly sessions: EdgioSessionService,
    private readonly keys: AccessKeyService,
    private readonly callers: KeyCallers,
    private readonly logins: PasswordLogin,
  ) {
    this.methods = new Map<string, JsonRpcMethod<any>>([
      ['login', method(LoginParams, (p, ctx) => this.login(p.username, p.password, p.detail === true, ctx))],
      ['authenticate', method(AuthenticateParams, (p, ctx) => this.authenticate(p.username, p.password, p.expiry, p.subdir, ctx))],
      ['logout', method(TokenParams, (p) => this.logout(p.token))],
      ['initKeyPair', method(TokenParams, (p, ctx) => this.initKeyPair(p.token, ctx))],
    ]);
  }

  @Post(['jsonrpc', 'jsonrpc2'])
  @HttpCode(200)
  async call(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const answer = await dispatch(req.body, this.methods, (e, method) => this.unexpected(e, method, req), { requestId: String(req.id), remote: req.ip });
    if (answer === undefined) {
      reply.status(204).send();
      return;
    }
    reply.status(200).header('Content-Type', 'application/json').send(JSON.stringify(answer));
  }

  /** `login(username, password, detail=false)` → `[token, {uid, gid[, path]}]`, `[null, null]` or -40 / -41. */
  private async login(username: string, password: string, detail: boolean, ctx: JsonRpcContext): Promise<unknown> {
    if (username === '') return LOGIN_EMPTY_USERNAME;
    if (password === '') return LOGIN_EMPTY_PASSWORD;
    // Each call counts, a batch's twenty as much as twenty requests (docs/security.md, "M4").
    const attempt = await this.logins.cloud(ctx.remote, username, password);
    if (attempt.outcome !== 'ok') {
      this.logger.warn({ request_id: ctx.requestId, dialect: 'edgio', action: 'login', reason: failureReason(attempt), remote: ctx.remote }, 'authentication failed');
      return [null, null];
    }
    const s = await this.sessions.open(attempt.user!);
    const info: Record<string, unknown> = { uid: numericId(s.user.id), gid: numericId(s.project?.id ?? s.user.domainId) };
    if (detail) info.path = `/${s.project?.name ?? s.user.name}`;
    return [s.token, info];
  }

  /**
   * `authenticate(username, password, expiry=3600, subdir)` → `{code: 0, token, uid, gid, path}`,
   * or `{code}` with -34 (expiry not 1..86400 seconds), -47 (a sub-directory: Lintel has no
   * storage tree to confine a session to, so it refuses rather than hand out a wider session) or
   * -10001 (wrong user or password).
   */
  private async authenticate(username: string, password: string, expiry: number | undefined, subdir: string | undefined, ctx: JsonRpcContext): Promise<unknown> {
    const s = await this.session(username, password, expiry, subdir, ctx);
    if (typeof s === 'number') return { code: s };
    return { code: 0, token: s.token, uid: s.uid, gid: s.gid, path: s.path };
  }

  /**
   * Edgio's HTTP login (docs/edgio.md, "HTTP login"): `X-Agile-Username` / `X-Agile-Password`
   * (optional `X-Agile-Expiry`, `X-Agile-Subdir`) → 200 with `X-Agile-Status: 0`, `X-Agile-Token`,
   * `-Uid`, `-Gid`, `-Path`; a failure is a 400 whose `X-Agile-Status` says why. The token works
   * with the JSON-RPC methods.
   */
  @Post('account/login')
  async httpLogin(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    const expiryText = header('x-agile-expiry');
    const expiry = expiryText === undefined ? undefined : /^\d{1,6}$/.test(expiryText) ? Number(expiryText) : Number.NaN;
    let s: Awaited<ReturnType<EdgioController['session']>>;
    try {
      s = await this.session(header('x-agile-username') ?? '', header('x-agile-password') ?? '', expiry, header('x-agile-subdir'), { requestId: String(req.id), remote: req.ip });
    } catch (e) {
      if (!(e instanceof TooManyRequestsError)) throw e;
      this.logger.warn({ request_id: req.id, dialect: 'edgio', action: 'account/login', reason: e.reason, remote: req.ip }, 'authentication rate limited');
      reply.status(429).headers({ 'X-Agile-Status': String(INVALID_TOKEN), 'Retry-After': String(e.retryAfter) }).send();
      return;
    }
    if (typeof s === 'number') {
      reply.status(400).header('X-Agile-Status', String(s)).send();
      return;
    }
    reply.status(200).headers({ 'X-Agile-Status': '0', 'X-Agile-Token': s.token, 'X-Agile-Uid': String(s.uid), 'X-Agile-Gid': String(s.gid), 'X-Agile-Path': s.path }).send();
  }

  /** A session for `authenticate` and the HTTP login, or the failure code. */
  private async session(username: string, password: string, expiry: number | undefined, subdir: string | undefined, ctx: JsonRpcContext) {
    if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1 || expiry > MAX_EXPIRY)) return BAD_EXPIRY;
    if (subdir !== undefined && subdir !== '' && subdir !== '/') return BAD_SUBDIR;
    if (!username || !password) return INVALID_TOKEN;
    const attempt = await this.logins.cloud(ctx.remote, username, password);
    if (attempt.outcome !== 'ok') {
      this.logger.warn({ request_id: ctx.requestId, dialect: 'edgio', action: 'authenticate', reason: failureReason(attempt), remote: ctx.remote }, 'authentication failed');
      return INVALID_TOKEN;
    }
    const s = await this.sessions.open(attempt.user!, expiry);
    return { token: s.token, uid: numericId(s.user.id), gid: numericId(s.project?.id ?? s.user.domainId), path: `/${s.project?.name ?? s.user.name}` };
  }

  /** `logout(token)` → 0, or -1 for a token that names no live session. */
  private async logout(token: string): Promise<number> {
    return (await this.sessions.close(token)) ? 0 : LOGOUT_INVALID_TOKEN;
  }

  /**
   * `initKeyPair(token)` → `{access_key, secret_key, code: 0}`, or the bare -10001 / -10004 (also
   * when the policy's `lintel:edgio:init_key_pair` refuses: Edgio has no code of its own for that).
   */
  private async initKeyPair(token: string, ctx: JsonRpcContext): Promise<unknown> {
    try {
      const s = await this.sessions.find(token);
      if (!s) return INVALID_TOKEN;
      const issued = (await this.keys.issue(this.callers.login(s.user, { address: ctx.remote, requestId: ctx.requestId }), KEY_DIALECTS.edgio, {
        action: 'lintel:edgio:init_key_pair', ownerId: s.user.id,
      }))!;
      return { access_key: issued.credential.accessKey, secret_key: issued.secret, code: 0 };
    } catch (e) {
      if (e instanceof NoHomeProjectError || e instanceof ForbiddenError) {
        this.logger.warn({ request_id: ctx.requestId, dialect: 'edgio', action: 'initKeyPair', reason: e.reason ?? e.message }, 'no key generated');
        return KEY_GENERATION_FAILED;
      }
      // A database that cannot be reached is the server's problem, reported as such (below).
      if (classifyError(e).kind === 'unavailable') throw e;
      this.logger.error({ request_id: ctx.requestId, dialect: 'edgio', action: 'initKeyPair', stack: (e as Error).stack }, 'key generation failed');
      return KEY_GENERATION_FAILED;
    }
  }

  /**
   * Any other failure inside a call: a generic JSON-RPC error; the detail goes to the log only
   * (docs/errors.md). A login over the authentication rate limits is a server error of its own
   * (-32000), per call.
   */
  private unexpected(e: unknown, method: string, req: FastifyRequest): JsonRpcError {
    if (e instanceof TooManyRequestsError) {
      this.logger.warn({ request_id: req.id, dialect: 'edgio', action: method, reason: e.reason, remote: req.ip }, 'authentication rate limited');
      return new JsonRpcError(SERVER_ERROR, `Server error: too many authentication attempts, try again in ${e.retryAfter} s`);
    }
    const c = classifyError(e);
    logFailure(this.logger, c.kind === 'unavailable' ? c : { kind: 'unexpected', error: e }, { requestId: String(req.id), dialect: 'edgio', action: method });
    return c.kind === 'unavailable' ? new JsonRpcError(SERVER_ERROR, 'Server error: service temporarily unavailable') : new JsonRpcError(INTERNAL_ERROR, 'Internal error');
  }
}
