import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, SignedRequestService, TokenService, type TokenView } from '@lintel/auth';
import { DomainError, InvalidInputError } from '@lintel/domain';
import type { Ec2Credentials } from '@lintel/credentials';
import { isJsonObject, queryFlag, type JsonObject } from '@lintel/platform';
import { KeystonePolicy } from '../keystone-caller.js';
import { renderToken } from '../render.js';
import { invalid, object, properties, string, type Check } from '../request-schema.js';

/** A map of strings (`params`, `headers`). */
const strings: Check<Record<string, string>> = (v, at) => {
  if (!isJsonObject(v) || !Object.values(v).every((x) => typeof x === 'string')) throw invalid(at, 'is not an object of strings');
  return v as Record<string, string>;
};

const SIGNED_REQUEST = object(properties({
  access: string({ echo: 'none' }), signature: string({ echo: 'none' }), host: string({ echo: 'none' }), verb: string({ echo: 'none' }),
  path: string({ echo: 'none' }), body_hash: string({ echo: 'none' }), token: string({ echo: 'none' }), params: strings, headers: strings,
}));

/**
 * The signed-request body (docs/keystone.md, "EC2 tokens"): `credentials`, else `credential`,
 * else `ec2Credentials`, the first that is there and not empty.
 */
function signedRequestBody(body: unknown): JsonObject {
  const root = isJsonObject(body) ? body : {};
  for (const key of ['credentials', 'credential', 'ec2Credentials']) {
    const v = root[key];
    if (v === undefined || v === null || (isJsonObject(v) && !Object.keys(v).length)) continue;
    return SIGNED_REQUEST(v, key);
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
