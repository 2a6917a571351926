import { createHash } from 'node:crypto';
import { Controller, HttpCode, Logger, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CloudAccountService, DomainError, EdgioSessionService, isDatabaseUnavailable, NoHomeProjectError } from '@lintel/domain';
import { EdgioExceptionFilter } from './edgio-exception.filter.js';
import { dispatch, JsonRpcError, INTERNAL_ERROR, SERVER_ERROR, type JsonRpcMethod } from './json-rpc.js';

/** Method-level results of Edgio (A.3-A.5): failures are results, not JSON-RPC errors. */
const LOGIN_EMPTY_USERNAME = -40;
const LOGIN_EMPTY_PASSWORD = -41;
const LOGOUT_INVALID_TOKEN = -1;
const INVALID_TOKEN = -10001;
const KEY_GENERATION_FAILED = -10004;

/** A stable non-negative 28-bit number for an id: Edgio's uid / gid are integers. */
const numericId = (id: string) => parseInt(createHash('sha256').update(id).digest('hex').slice(0, 7), 16);

/**
 * Edgio (Limelight) Origin Storage's JSON-RPC interface (cloud-key-apis.md A): `login`,
 * `logout` and `initKeyPair`, over `POST /jsonrpc2` (and `/jsonrpc`), JSON-RPC 1.0 or 2.0,
 * named or positional parameters, batches. Keys are ec2 credentials of the shared store.
 */
@Controller()
@UseFilters(EdgioExceptionFilter)
export class EdgioController {
  private readonly logger = new Logger('Edgio');
  private readonly methods: ReadonlyMap<string, JsonRpcMethod>;

  constructor(
    private readonly accounts: CloudAccountService,
    private readonly sessions: EdgioSessionService,
  ) {
    this.methods = new Map<string, JsonRpcMethod>([
      ['login', {
        params: [{ name: 'username', type: 'string', required: true }, { name: 'password', type: 'string', required: true }, { name: 'detail', type: 'boolean', required: false }],
        run: (p) => this.login(p.username as string, p.password as string, p.detail === true),
      }],
      ['logout', { params: [{ name: 'token', type: 'string', required: true }], run: (p) => this.logout(p.token as string) }],
      ['initKeyPair', { params: [{ name: 'token', type: 'string', required: true }], run: (p) => this.initKeyPair(p.token as string) }],
    ]);
  }

  @Post(['jsonrpc', 'jsonrpc2'])
  @HttpCode(200)
  async call(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const answer = await dispatch(req.body, this.methods, (e, method) => this.unexpected(e, method, req));
    if (answer === undefined) {
      reply.status(204).send();
      return;
    }
    reply.status(200).header('Content-Type', 'application/json').send(JSON.stringify(answer));
  }

  /** `login(username, password, detail=false)` → `[token, {uid, gid[, path]}]`, `[null, null]` or -40 / -41. */
  private async login(username: string, password: string, detail: boolean): Promise<unknown> {
    if (username === '') return LOGIN_EMPTY_USERNAME;
    if (password === '') return LOGIN_EMPTY_PASSWORD;
    const outcome = await this.accounts.login(username, password);
    if (!outcome.user) {
      this.logger.warn({ dialect: 'edgio', action: 'login', reason: outcome.reason }, 'authentication failed');
      return [null, null];
    }
    const s = await this.sessions.open(outcome.user);
    const info: Record<string, unknown> = { uid: numericId(s.user.id), gid: numericId(s.project?.id ?? s.user.domainId) };
    if (detail) info.path = `/${s.project?.name ?? s.user.name}`;
    return [s.token, info];
  }

  /** `logout(token)` → 0, or -1 for a token that names no live session. */
  private async logout(token: string): Promise<number> {
    return (await this.sessions.close(token)) ? 0 : LOGOUT_INVALID_TOKEN;
  }

  /** `initKeyPair(token)` → `{access_key, secret_key, code: 0}`, or the bare -10001 / -10004. */
  private async initKeyPair(token: string): Promise<unknown> {
    try {
      const pair = await this.sessions.initKeyPair(token);
      if (!pair) return INVALID_TOKEN;
      return { access_key: pair.access, secret_key: pair.secret, code: 0 };
    } catch (e) {
      if (e instanceof NoHomeProjectError) {
        this.logger.warn({ dialect: 'edgio', action: 'initKeyPair', reason: e.reason }, 'no key generated');
        return KEY_GENERATION_FAILED;
      }
      // A database that cannot be reached is the server's problem, reported as such (below).
      if (isDatabaseUnavailable(e) || (e instanceof DomainError && e.code === 'Unavailable')) throw e;
      this.logger.error({ dialect: 'edgio', action: 'initKeyPair', stack: (e as Error).stack }, 'key generation failed');
      return KEY_GENERATION_FAILED;
    }
  }

  /** Any other failure inside a call: a generic JSON-RPC error; the detail goes to the log only. */
  private unexpected(e: unknown, method: string, req: FastifyRequest): JsonRpcError {
    if (isDatabaseUnavailable(e) || (e instanceof DomainError && e.code === 'Unavailable')) {
      this.logger.error({ request_id: req.id, dialect: 'edgio', action: method, reason: (e as Error).message }, 'database unavailable');
      return new JsonRpcError(SERVER_ERROR, 'Server error: service temporarily unavailable');
    }
    this.logger.error({ request_id: req.id, dialect: 'edgio', action: method, stack: (e as Error)?.stack }, 'unexpected error');
    return new JsonRpcError(INTERNAL_ERROR, 'Internal error');
  }
}
