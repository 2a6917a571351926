import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthModule, XAuthTokenGuard } from '@lintel/auth';
import { TokensController } from './auth/tokens.controller.js';
import { DiscoveryController } from './discovery/discovery.controller.js';
import { KeystoneExceptionFilter } from './keystone-exception.filter.js';

/** The Keystone v3 dialect. Needs LintelConfigModule and DomainModule from the composing root. */
@Module({
  imports: [AuthModule],
  controllers: [DiscoveryController, TokensController],
  providers: [
    { provide: APP_GUARD, useClass: XAuthTokenGuard },
    { provide: APP_FILTER, useClass: KeystoneExceptionFilter },
  ],
})
export class IdentityModule {}
