import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@lintel/auth';
import { AlibabaAuthService } from './alibaba/alibaba-auth.service.js';
import { AlibabaExceptionFilter } from './alibaba/alibaba-exception.filter.js';
import { AlibabaRawBody } from './alibaba/alibaba-raw-body.js';
import { AlibabaController } from './alibaba/alibaba.controller.js';
import { EdgioContentTypes } from './edgio/edgio-content-types.js';
import { EdgioExceptionFilter } from './edgio/edgio-exception.filter.js';
import { EdgioController } from './edgio/edgio.controller.js';
import { MulticloudFallbackFilter } from './multicloud-fallback.filter.js';
import { OutscaleAccessKeysController } from './outscale/access-keys.controller.js';
import { OutscaleAuthService } from './outscale/outscale-auth.service.js';
import { OutscaleExceptionFilter } from './outscale/outscale-exception.filter.js';
import { OutscaleRawBody } from './outscale/outscale-raw-body.js';
import { OutscaleSettings } from './outscale/outscale-settings.js';
import { AksksController } from './soda/aksks.controller.js';
import { SodaAuthGuard } from './soda/soda-auth.guard.js';
import { SodaExceptionFilter } from './soda/soda-exception.filter.js';

/** SODA aksks, Edgio JSON-RPC, Outscale OAPI and Alibaba Cloud IMS, one folder each. */
@Module({
  imports: [AuthModule],
  controllers: [AksksController, EdgioController, OutscaleAccessKeysController, AlibabaController],
  providers: [
    SodaAuthGuard, SodaExceptionFilter, EdgioExceptionFilter, EdgioContentTypes,
    OutscaleSettings, OutscaleAuthService, OutscaleExceptionFilter, OutscaleRawBody,
    AlibabaAuthService, AlibabaExceptionFilter, AlibabaRawBody,
    { provide: APP_FILTER, useClass: MulticloudFallbackFilter },
  ],
})
export class MulticloudModule {}
