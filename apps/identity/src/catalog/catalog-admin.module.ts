import { Module } from '@nestjs/common';
import { EndpointsController } from './endpoints.controller.js';
import { RegionsController } from './regions.controller.js';
import { ServicesController } from './services.controller.js';

/** Keystone's catalog admin API: services, endpoints and regions (contract §7.7). */
@Module({ controllers: [ServicesController, EndpointsController, RegionsController] })
export class CatalogAdminModule {}
