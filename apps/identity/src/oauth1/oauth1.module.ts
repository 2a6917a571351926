import { Module } from '@nestjs/common';
import { AuthModule } from '@lintel/auth';
import { KeystonePolicy } from '../keystone-caller.js';
import { AccessTokensController } from './access-tokens.controller.js';
import { ConsumersController } from './consumers.controller.js';
import { OAuth1Controller } from './oauth1.controller.js';

/**
 * Keystone's OS-OAUTH1 extension (docs/keystone-oauth1.md): consumers, the request-token /
 * authorize / access-token flow and users' access tokens. The `oauth1` auth method itself is in
 * libs/auth (AuthModule).
 */
@Module({
  imports: [AuthModule],
  controllers: [ConsumersController, OAuth1Controller, AccessTokensController],
  providers: [KeystonePolicy],
})
export class OAuth1Module {}
