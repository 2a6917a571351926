import { Module } from '@nestjs/common';
import { CredentialCipher, PasswordHasher } from '@lintel/domain';
import { OpsController, READINESS_CHECKS, type ReadinessCheck } from '@lintel/platform';
import { BcryptPasswordHasher } from './bcrypt-hasher.js';
import { ApplicationCredentialAuth } from './application-credential.auth.js';
import { AuthRateLimiter } from './auth-rate-limiter.js';
import { AuthReceipts } from './auth-receipts.js';
import { KeyAuthorityService } from './key-authority.service.js';
import { KeyCallers } from './key-callers.js';
import { OAuth1AuthMethod } from './oauth1/oauth1-auth.method.js';
import { OAuth1RequestVerifier } from './oauth1/oauth1-request.js';
import { PasswordLogin } from './password-login.js';
import { PolicyFacts } from './policy-facts.js';
import { POLICY_PROVIDER, PolicyService } from './policy.service.js';
import { RevocationCache } from './revocation-cache.js';
import { SignedRequestService } from './signed-request.service.js';
import { TokenProvider } from './token-provider.js';
import { TokenService } from './token.service.js';
import { TotpAuthMethod } from './totp-auth-method.js';
import { TrustScope } from './trust-scope.js';
import { AppCredRestriction } from './delegation.js';
import { XAuthTokenGuard } from './x-auth-token.guard.js';

/** The PasswordHasher binding that DomainModule.forRoot takes. */
export const PASSWORD_HASHER_PROVIDER = { provide: PasswordHasher, useClass: BcryptPasswordHasher };

/** What `/readyz` waits for besides the database: the token and credential key repositories loaded. */
const KEYS_LOADED = {
  provide: READINESS_CHECKS,
  inject: [TokenProvider, CredentialCipher],
  useFactory: (tokens: TokenProvider, cipher: CredentialCipher): ReadinessCheck[] => [
    { name: 'token_keys', ready: () => tokens.loaded },
    { name: 'credential_keys', ready: () => cipher.isLoaded },
  ],
};

/**
 * Tokens, revocation and the X-Auth-Token guard, and the `oauth1` auth method (every app narrows
 * OAuth1 tokens the same way); mounts libs/platform's health, readiness and metrics endpoints in
 * every app that uses it. Needs DomainModule (global) and the config.
 */
@Module({
  controllers: [OpsController],
  providers: [AuthRateLimiter, PasswordLogin, TokenProvider, RevocationCache, TokenService, XAuthTokenGuard, SignedRequestService, POLICY_PROVIDER, PolicyService, PolicyFacts, AuthReceipts, TotpAuthMethod, KeyAuthorityService, KeyCallers,
    ApplicationCredentialAuth, TrustScope, AppCredRestriction, OAuth1RequestVerifier, OAuth1AuthMethod, KEYS_LOADED],
  exports: [AuthRateLimiter, PasswordLogin, TokenProvider, RevocationCache, TokenService, XAuthTokenGuard, SignedRequestService, PolicyService, PolicyFacts, AuthReceipts, KeyAuthorityService, KeyCallers,
    TrustScope, AppCredRestriction, OAuth1RequestVerifier],
})
export class AuthModule {}
