import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EndpointEntity, RegionEntity, ServiceEntity, type EndpointInterface } from '../entities/index.js';
import { newId } from '../ids.js';


export interface CatalogEntry {
  service: ServiceEntity;
  endpoints: EndpointEntity[];
}

/** Services, endpoints and regions (Keystone's catalog manager, SQL driver). */
@Injectable()
export class CatalogService {
  constructor(private readonly ds: DataSource) {}

  /** Enabled services with their enabled endpoints, in a stable order. */
  async catalog(): Promise<CatalogEntry[]> {
    const [services, endpoints] = await Promise.all([
      this.ds.getRepository(ServiceEntity).find({ where: { enabled: true }, order: { type: 'ASC', id: 'ASC' } }),
      this.ds.getRepository(EndpointEntity).find({ where: { enabled: true }, order: { id: 'ASC' } }),
    ]);
    const order: Record<string, number> = { public: 0, internal: 1, admin: 2 };
    return services.map((service) => ({
      service,
      endpoints: endpoints.filter((e) => e.serviceId === service.id).sort((a, b) => order[a.interface]! - order[b.interface]!),
    }));
  }

  async ensureRegion(id: string, description: string | null = null): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(RegionEntity)
      .values({ id, description, parentRegionId: null, extra: {} }).orIgnore().execute();
  }

  findServiceByType(type: string): Promise<ServiceEntity | null> {
    return this.ds.getRepository(ServiceEntity).findOne({ where: { type }, order: { id: 'ASC' } });
  }

  async createService(s: { type: string; name: string; description?: string | null }): Promise<ServiceEntity> {
    const repo = this.ds.getRepository(ServiceEntity);
    const e = repo.create({ id: newId(), type: s.type, name: s.name, description: s.description ?? null, enabled: true, extra: {} });
    await repo.insert(e as never);
    return e;
  }

  /** Creates the endpoint unless one with the same service, interface and region exists; updates its URL then. */
  async ensureEndpoint(serviceId: string, iface: EndpointInterface, url: string, regionId: string): Promise<void> {
    const repo = this.ds.getRepository(EndpointEntity);
    const existing = await repo.findOneBy({ serviceId, interface: iface, regionId });
    if (existing) {
      if (existing.url !== url) await repo.update({ id: existing.id }, { url });
      return;
    }
    await repo.insert({ id: newId(), serviceId, interface: iface, url, regionId, enabled: true, extra: {} });
  }
}
