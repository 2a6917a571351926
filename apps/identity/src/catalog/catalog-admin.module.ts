import { Module } from '@nestjs/common';

/** Keystone's catalog admin API: services, endpoints and regions (contract §7.7). */
@Module({ controllers: [] })
export class CatalogAdminModule {}
