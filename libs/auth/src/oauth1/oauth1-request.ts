import { Injectable } from '@nestjs/common';
import {
  isOAuth1SignatureMethod, OAUTH1_SIGNATURE_METHODS, parseOAuthHeader, queryParameters, signatureBaseString, verifyOAuthSignature,
} from '@lintel/credentials';
import { InvalidInputError, OAuth1Service, UnauthenticatedError, VERIFIER_CHARS } from '@lintel/domain';

/** How far a request's `oauth_timestamp` may be from now, seconds (oauthlib's `timestamp_lifetime`, which Keystone keeps). */
export const TIMESTAMP_LIFETIME_S = 600;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX = /^[0-9a-f]+$/;
const VERIFIER = new RegExp(`^[${VERIFIER_CHARS}]{8}$`);

/** The OAuth parameters of a request, from its `Authorization: OAuth ...` header. */
export class OAuthParams {
  private constructor(
    /** Every header parameter, `realm` included, in order. */
    readonly list: Array<[string, string]>,
    private readonly byName: Map<string, string>,
  ) {}

  /**
   * The header's parameters; none when there is no OAuth header (Keystone then fails on the first
   * parameter it needs, which Lintel reports as missing rather than as Keystone's 500).
   */
  static of(headers: Record<string, string | string[] | undefined>): OAuthParams {
    const raw = headers.authorization;
    const list = parseOAuthHeader(Array.isArray(raw) ? raw[0] : raw) ?? [];
    return new OAuthParams(list, new Map(list));
  }

  get(name: string): string | undefined {
    const v = this.byName.get(name);
    return v === '' ? undefined : v;
  }

  /** Keystone's ValidationError for a parameter its handler needs before anything else (400). */
  require(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw InvalidInputError.missing(name, 'request');
    return v;
  }
}

/**
 * What oauthlib reports for a malformed request, as Keystone turns it into a 400:
 * `Validation failed with errors: <error>, detail message is: <description>.`
 */
export const oauthInvalid = (description: string, error = 'invalid_request') =>
  new InvalidInputError(`Validation failed with errors: ${error}, detail message is: ${description}.`);

export interface SignatureCheck {
  method: string;
  /** The URLs the client may have signed (the first is the request's own). */
  urls: string[];
  consumerSecret: string;
  tokenSecret?: string;
}

/**
 * The checks oauthlib makes on every signed request (Keystone's OS-OAUTH1 endpoints and the
 * `oauth1` auth method), with two additions: only HMAC signatures, and each nonce once
 * (docs/keystone-oauth1.md, "Signatures").
 */
@Injectable()
export class OAuth1RequestVerifier {
  constructor(private readonly oauth: OAuth1Service) {}

  /**
   * The format checks of oauthlib's `_check_mandatory_parameters` (400s): every protocol
   * parameter present and once only, an allowed method, version 1.0, a 10-digit timestamp within
   * ten minutes of now, a 32-hex consumer key and a hex nonce. Query parameters named `oauth_*`
   * would be a second place for protocol parameters: refused, as oauthlib does.
   */
  checkParameters(p: OAuthParams, url: string): void {
    const names = p.list.map(([k]) => k);
    if (new Set(names).size !== names.length) throw oauthInvalid('Duplicate OAuth1 entries.');
    if (queryParameters(url).some(([k]) => k.startsWith('oauth_'))) throw oauthInvalid('oauth_ params must come from only 1 signature type');
    const method = p.get('oauth_signature_method');
    const timestamp = p.get('oauth_timestamp');
    if (!p.get('oauth_signature') || !p.get('oauth_consumer_key') || !p.get('oauth_nonce') || !timestamp || !method) {
      throw oauthInvalid('Missing mandatory OAuth parameters.');
    }
    if (!isOAuth1SignatureMethod(method)) {
      throw oauthInvalid(`Invalid signature, ${method} not in (${OAUTH1_SIGNATURE_METHODS.map((m) => `'${m}'`).join(', ')})`, 'invalid_signature_method');
    }
    const version = p.list.find(([k]) => k === 'oauth_version');
    if (version && version[1] !== '1.0') throw oauthInvalid('Invalid OAuth version.');
    if (timestamp.length !== 10) throw oauthInvalid('Invalid timestamp size');
    if (!/^\d+$/.test(timestamp)) throw oauthInvalid('Timestamp must be an integer.');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TIMESTAMP_LIFETIME_S) {
      throw oauthInvalid(`Timestamp given is invalid, differ from allowed by over ${TIMESTAMP_LIFETIME_S} seconds.`);
    }
    if (!HEX32.test(p.get('oauth_consumer_key')!)) throw oauthInvalid('Invalid client key format.');
    if (!HEX.test(p.get('oauth_nonce')!)) throw oauthInvalid('Invalid nonce format.');
  }

  /** A request token or access token id in Keystone's format (32 hex). */
  checkTokenFormat(p: OAuthParams): void {
    if (!HEX32.test(p.get('oauth_token') ?? '')) throw oauthInvalid('Invalid resource owner key format.');
  }

  checkVerifierFormat(p: OAuthParams): void {
    if (!VERIFIER.test(p.get('oauth_verifier') ?? '')) throw oauthInvalid('Invalid verifier format.');
  }

  /** True when the signature matches one of the URLs the client may have signed. */
  signatureMatches(p: OAuthParams, c: SignatureCheck): boolean {
    const method = p.get('oauth_signature_method');
    if (!isOAuth1SignatureMethod(method)) return false;
    const presented = p.get('oauth_signature')!;
    return c.urls.some((url) => verifyOAuthSignature(method, signatureBaseString(c.method, url, p.list), presented, c.consumerSecret, c.tokenSecret));
  }

  /**
   * Records the request's nonce (after its signature has been verified: nobody else can spend a
   * client's nonces); a nonce seen before within the freshness window is a replay (401).
   */
  async claimNonce(p: OAuthParams): Promise<void> {
    const until = new Date((Number(p.get('oauth_timestamp')) + TIMESTAMP_LIFETIME_S + 1) * 1000);
    if (!(await this.oauth.claimNonce(p.get('oauth_consumer_key')!, p.get('oauth_nonce')!, until))) {
      throw new UnauthenticatedError('OAuth nonce replayed');
    }
  }
}

/** The request URL without its query: what Keystone itself signs against for `POST /v3/auth/tokens`. */
export function withoutQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
