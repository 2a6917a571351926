import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@lintel/auth';
import { EdgioExceptionFilter } from './edgio/edgio-exception.filter.js';
import { EdgioController } from './edgio/edgio.controller.js';
import { HealthController } from './health.controller.js';
import { MulticloudFallbackFilter } from './multicloud-fallback.filter.js';
import { AksksController } from './soda/aksks.controller.js';
import { SodaAuthGuard } from './soda/soda-auth.guard.js';
import { SodaExceptionFilter } from './soda/soda-exception.filter.js';

/** SODA aksks and Edgio JSON-RPC; Outscale and Alibaba dialects arrive as their own folders. */
@Module({
  imports: [AuthModule],
  controllers: [HealthController, AksksController, EdgioController],
  providers: [
    SodaAuthGuard, SodaExceptionFilter, EdgioExceptionFilter,
    { provide: APP_FILTER, useClass: MulticloudFallbackFilter },
  ],
})
export class MulticloudModule {}
