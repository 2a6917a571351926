import { Module } from '@nestjs/common';
import { AuthModule } from '@lintel/auth';
import { KeystonePolicy } from '../keystone-caller.js';
import { EndpointFilterController } from './endpoint-filter.controller.js';
import { EndpointsController } from './endpoints.controller.js';
import { PoliciesController } from './policies.controller.js';
import { RegionsController } from './regions.controller.js';
import { ServicesController } from './services.controller.js';

/**
 * Keystone's catalog admin API: services, endpoints and regions (docs/keystone.md, "Catalog administration"); policy blobs
 * and the endpoint filter (docs/keystone-catalog-extensions.md).
 */
@Module({
  imports: [AuthModule],
  controllers: [ServicesController, EndpointsController, RegionsController, PoliciesController, EndpointFilterController],
  providers: [KeystonePolicy],
})
export class CatalogAdminModule {}
