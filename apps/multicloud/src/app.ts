import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';
import type { LintelConfig } from '@lintel/config';
import { PASSWORD_HASHER_PROVIDER } from '@lintel/auth';
import { DomainModule, type LintelDataSource } from '@lintel/domain';
import { createLintelApp } from '@lintel/platform';
import { MulticloudModule } from './multicloud.module.js';

export function createMulticloudApp(config: LintelConfig, logger: Pino, dataSource?: LintelDataSource): Promise<NestFastifyApplication> {
  return createLintelApp({
    config,
    logger,
    dialect: 'multicloud',
    feature: MulticloudModule,
    imports: [DomainModule.forRoot({ hasher: PASSWORD_HASHER_PROVIDER, dataSource })],
    // Alibaba Cloud IMS's RPC endpoint takes form bodies (docs/alibaba.md, "Requests and answers"); nowhere else does.
    formBodyPaths: [/^\/$/],
  });
}
