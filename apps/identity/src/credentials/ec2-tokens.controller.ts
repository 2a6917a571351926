import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, SignedRequestService, TokenService, type TokenView } from '@lintel/auth';
import { DomainError, InvalidInputError } from '@lintel/domain';
import type { Ec2Credentials } from '@lintel/credentials';
import { describeValue, isJsonObject, queryFlag, type JsonObject } from '@lintel/platform';
import { KeystonePolicy } from '../keystone-caller.js';
import { renderToken } from '../render.js';

type Obj = JsonObject;
const isObj = isJsonObject;

/** The signed-request body: `credentials`, else `credential`, else `ec2Credentials` (docs/keystone.md, "EC2 tokens"). */
function signedRequestBody(body: unknown): Obj {
  const root = isObj(body) ? body : {};
  for (const key of ['credentials', 'credential', 'ec2Credentials']) {
    const v = root[key];
    if (v === undefined || v === null || (isObj(v) && !Object.keys(v).length)) continue;
    if (!isObj(v)) throw InvalidInputError.field(key, `${describeValue(key, v)} is not of type 'object'`);
    for (const f of ['access', 'signature', 'host', 'verb', 'path', 'body_hash', 'token']) {
      if (v[f] !== undefined && typeof v[f] !== 'string') throw InvalidInputError.field(`${key}/${f}`, "is not of type 'string'");
    }
    for (const f of ['params', 'headers']) {
      if (v[f] === undefined) continue;
      if (!isObj(v[f]) || !Object.values(v[f]).every((x) => typeof x === 'string')) {
        throw InvalidInputError.field(`${key}/${f}`, "is not an object of strings");
      }
    }
    return v;
  }
  throw new InvalidInputError('request must include a request body');
}

const notAllowed = () => new DomainError('MethodNotAllowed', 'The method is not allowed for the requested URL.');

/**
 * `POST /v3/ec2tokens` and `POST /v3/s3tokens` (docs/keystone.md, "EC2 tokens"): for services (Swift's s3token,
 * ec2api) holding an admin or service token, turn a request signed with an access key into a
 * project-scoped token of the key's owner.
 */
@Controller('v3')
export class Ec2TokensController {
  /** Rendered bodies by token view: a token reused within its second is handed out many times. */
  private readonly rendered = new WeakMap<TokenView, { catalog?: string; nocatalog?: string }>();

  constructor(
    private readonly signed: SignedRequestService,
    private readonly tokens: TokenService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Post('ec2tokens')
  async ec2Tokens(@Body() body: unknown, @Query() q: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    this.authz.enforce(req, 'identity:ec2tokens_validate');
    const { id, view } = await this.signed.ec2(signedRequestBody(body) as unknown as Ec2Credentials);
    const text = this.render(view, queryFlag(q, 'nocatalog'));
    const rendered = typeof text === 'string' ? text : await text;
    reply.status(200).header('X-Subject-Token', id).header('Content-Type', 'application/json; charset=utf-8');
    return rendered;
  }

  @Post('s3tokens')
  async s3Tokens(@Body() body: unknown, @Query() q: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    this.authz.enforce(req, 'identity:s3tokens_validate');
    const { id, view } = await this.signed.s3(signedRequestBody(body));
    const text = this.render(view, queryFlag(q, 'nocatalog'));
    const rendered = typeof text === 'string' ? text : await text;
    reply.status(200).header('Content-Type', 'application/json; charset=utf-8');
    return rendered;
  }

  @Public()
  @Get('ec2tokens')
  ec2TokensGet(@Res() reply: FastifyReply): never {
    reply.header('Allow', 'POST');
    throw notAllowed();
  }

  @Public()
  @Get('s3tokens')
  s3TokensGet(@Res() reply: FastifyReply): never {
    reply.header('Allow', 'POST');
    throw notAllowed();
  }

  /**
   * The token body as JSON text; a token handed out again within its reuse second (the same view
   * object) renders once. Keyed by the view, not by the id: hashing a 500-character token id per
   * request cost more than the lookup saved.
   */
  private render(view: TokenView, nocatalog: boolean): string | Promise<string> {
    let texts = this.rendered.get(view);
    if (!texts) this.rendered.set(view, (texts = {}));
    const kind = nocatalog ? 'nocatalog' : 'catalog';
    // Synchronous when rendered before: no promise and microtask for the common case.
    const known = texts[kind];
    if (known !== undefined) return known;
    const done = (catalog?: Awaited<ReturnType<TokenService['catalogEntries']>>) => (texts[kind] = JSON.stringify(renderToken(view, catalog)));
    return nocatalog ? done() : this.tokens.catalogEntries(view.project?.id).then(done);
  }

}
