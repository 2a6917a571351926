import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';

/** SODA aksks, Edgio, Outscale and Alibaba dialects (one folder each, added by their issues). */
@Module({ controllers: [HealthController] })
export class MulticloudModule {}
