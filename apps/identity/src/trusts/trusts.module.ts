import { Module } from '@nestjs/common';
import { AuthModule } from '@lintel/auth';
import { KeystonePolicy } from '../keystone-caller.js';
import { TrustsController } from './trusts.controller.js';

/** OS-TRUST (docs/keystone-trusts.md): the trust API; trust-scoped tokens live in libs/auth (TrustScope). */
@Module({
  imports: [AuthModule],
  controllers: [TrustsController],
  providers: [KeystonePolicy],
})
export class TrustsModule {}
