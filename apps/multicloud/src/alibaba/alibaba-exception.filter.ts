import { Catch } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CredentialLimitError, ForbiddenError, KeyLimitError, KeyNotFoundError, MalformedBodyError, NoHomeProjectError, type DomainError,
} from '@lintel/domain';
import { DialectError, DialectExceptionFilter, type ClassifiedError } from '@lintel/platform';
import { renderXml } from './alibaba-xml.js';

/** An Alibaba error (docs/alibaba.md, "Errors"): HTTP status, `Code`, `Message`; `reason` is for the log only. */
export class AlibabaError extends DialectError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** What a body that is not a form gets. */
export const FORM_ONLY = 'The request body must be form-encoded (application/x-www-form-urlencoded).';

export const missingParameter = (name: string) => new AlibabaError(400, name === 'UserAccessKeyId' ? 'MissingUserAccessKeyId' : 'MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
export const invalidParameter = (message: string, code = 'InvalidParameter') => new AlibabaError(400, code, message);
export const incompleteSignature = (reason: string) => new AlibabaError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.', reason);
/** The caller may not manage these keys, or named a user that does not exist (the same answer, so users cannot be enumerated). */
export const noPermission = () => new AlibabaError(403, 'NoPermission', 'You are not authorized to manage the access keys of this user.');
export const signatureMismatch = (reason: string) => new AlibabaError(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.', reason);

/** Where Alibaba's RPC endpoint lives on the multicloud port. */
export const ALIBABA_PATH = '/';
/** `HostId` of every error body: the endpoint Lintel stands in for. */
export const ALIBABA_HOST_ID = 'ims.aliyuncs.com';

export type AlibabaFormat = 'JSON' | 'XML';
type WithFormat = FastifyRequest & { alibabaFormat?: AlibabaFormat };

/** Alibaba's RequestId: an upper-case UUID, Lintel's request id without its `req-` prefix. */
export const alibabaRequestId = (req: FastifyRequest) => String(req.id).replace(/^req-/, '').toUpperCase();

/** Remembers the answer format a request asked for, so errors after that point use it too. */
export const setFormat = (req: FastifyRequest, f: AlibabaFormat) => {
  (req as WithFormat).alibabaFormat = f;
};

/** The format of a request: what the controller decided, else `Format` in the query, else JSON. */
export function formatOf(req: FastifyRequest): AlibabaFormat {
  const set = (req as WithFormat).alibabaFormat;
  if (set) return set;
  const q = req.url.indexOf('?');
  const f = q < 0 ? null : new URLSearchParams(req.url.slice(q + 1)).get('Format');
  return f?.toUpperCase() === 'XML' ? 'XML' : 'JSON';
}

/** Sends an Alibaba answer (success or error) in the request's format, RequestId first. */
export function sendAlibaba(req: FastifyRequest, reply: FastifyReply, status: number, root: string, body: Record<string, unknown>): void {
  const full = { RequestId: alibabaRequestId(req), ...body };
  if (formatOf(req) === 'XML') reply.status(status).header('Content-Type', 'text/xml;charset=utf-8').send(renderXml(root, full));
  else reply.status(status).header('Content-Type', 'application/json;charset=utf-8').send(JSON.stringify(full));
}

/**
 * Every failure at Alibaba's endpoint answered as IMS does:
 * `{"RequestId","HostId","Code","Message","Recommend"}` (or `<Error>…</Error>` for Format=XML; docs/errors.md).
 */
@Catch()
export class AlibabaExceptionFilter extends DialectExceptionFilter {
  constructor() {
    super('alibaba', 'Alibaba');
  }

  protected render(err: unknown, c: ClassifiedError, req: FastifyRequest, reply: FastifyReply): void {
    const e = this.answer(err, c, req);
    if (e.reason) this.authenticationFailed(req, e.reason, 'authentication failed', { code: e.code });
    sendAlibaba(req, reply, e.status, 'Error', {
      HostId: ALIBABA_HOST_ID,
      Code: e.code,
      Message: e.message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(e.code)}&product=Ims`,
    });
  }

  private answer(err: unknown, c: ClassifiedError, req: FastifyRequest): AlibabaError {
    if (err instanceof AlibabaError) return err;
    if (c.kind === 'unavailable') return new AlibabaError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    if (c.kind === 'framework') {
      if (c.status === 404) return new AlibabaError(405, 'UnsupportedHTTPMethod', 'This http method is not supported: use GET or POST.');
      if (c.status === 413) return new AlibabaError(413, 'InvalidParameter', 'The request body is larger than 65536 bytes.');
      return invalidParameter('The request could not be read.');
    }
    const known = c.kind === 'domain' ? this.domainAnswer(c.error) : undefined;
    if (known) return known;
    if (c.kind !== 'unexpected') this.unexpected(err, req);
    return new AlibabaError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.');
  }

  /** The core's errors IMS has words for (docs/access-keys.md); undefined for the others. */
  private domainAnswer(err: DomainError): AlibabaError | undefined {
    if (err instanceof MalformedBodyError || err.code === 'UnsupportedMediaType') return invalidParameter(FORM_ONLY);
    if (err instanceof KeyNotFoundError) return new AlibabaError(404, 'EntityNotExist.User.AccessKey', `The access key "${err.access.slice(0, 64)}" does not exist.`);
    if (err instanceof KeyLimitError || err instanceof CredentialLimitError) return new AlibabaError(409, 'LimitExceeded.User.AccessKey', 'The count of access keys of the user exceeds the limit.');
    if (err instanceof ForbiddenError) return noPermission();
    if (err instanceof NoHomeProjectError) return invalidParameter('The user holds no role on a project that could own access keys; set the user\'s default project.');
    if (err.code === 'InvalidInput') return invalidParameter(err.message);
    return undefined;
  }
}
