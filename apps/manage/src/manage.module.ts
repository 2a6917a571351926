import { NestFactory } from '@nestjs/core';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { LintelConfigModule, type LintelConfig } from '@lintel/config';
import { PASSWORD_HASHER_PROVIDER } from '@lintel/auth';
import { DomainModule, type LintelDataSource } from '@lintel/domain';
import { PinoNestLogger } from '@lintel/platform';
import type { Logger as Pino } from 'pino';

/** A DI context with the core services and no HTTP, for CLI tasks. */
export async function createManageContext(config: LintelConfig, logger: Pino, dataSource?: LintelDataSource): Promise<INestApplicationContext> {
  @Module({ imports: [LintelConfigModule.forRoot(config), DomainModule.forRoot({ hasher: PASSWORD_HASHER_PROVIDER, dataSource })] })
  class ManageModule {}
  return NestFactory.createApplicationContext(ManageModule, { logger: new PinoNestLogger(logger), abortOnError: false });
}
