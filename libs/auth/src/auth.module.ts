import { Module } from '@nestjs/common';
import { PasswordHasher } from '@lintel/domain';
import { BcryptPasswordHasher } from './bcrypt-hasher.js';
import { AuthRateLimiter } from './auth-rate-limiter.js';
import { OpsController } from './ops.controller.js';
import { PasswordLogin } from './password-login.js';
import { PolicyFacts } from './policy-facts.js';
import { POLICY_PROVIDER, PolicyService } from './policy.service.js';
import { RevocationCache } from './revocation-cache.js';
import { SignedRequestService } from './signed-request.service.js';
import { TokenProvider } from './token-provider.js';
import { TokenService } from './token.service.js';
import { XAuthTokenGuard } from './x-auth-token.guard.js';

/** The PasswordHasher binding that DomainModule.forRoot takes. */
export const PASSWORD_HASHER_PROVIDER = { provide: PasswordHasher, useClass: BcryptPasswordHasher };

/** Tokens, revocation and the X-Auth-Token guard. Needs DomainModule (global) and the config. */
@Module({
  controllers: [OpsController],
  providers: [AuthRateLimiter, PasswordLogin, TokenProvider, RevocationCache, TokenService, XAuthTokenGuard, SignedRequestService, POLICY_PROVIDER, PolicyService, PolicyFacts],
  exports: [AuthRateLimiter, PasswordLogin, TokenProvider, RevocationCache, TokenService, XAuthTokenGuard, SignedRequestService, PolicyService, PolicyFacts],
})
export class AuthModule {}
