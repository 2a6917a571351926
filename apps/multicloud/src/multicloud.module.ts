import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@lintel/auth';
import { HealthController } from './health.controller.js';
import { MulticloudFallbackFilter } from './multicloud-fallback.filter.js';
import { AksksController } from './soda/aksks.controller.js';
import { SodaAuthGuard } from './soda/soda-auth.guard.js';
import { SodaExceptionFilter } from './soda/soda-exception.filter.js';

/** SODA aksks today; Edgio, Outscale and Alibaba dialects arrive as their own folders. */
@Module({
  imports: [AuthModule],
  controllers: [HealthController, AksksController],
  providers: [SodaAuthGuard, SodaExceptionFilter, { provide: APP_FILTER, useClass: MulticloudFallbackFilter }],
})
export class MulticloudModule {}
