import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, type EntityManager, type EntityTarget, type FindOptionsWhere, type ObjectLiteral } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { EndpointEntity, ProjectEndpointEntity, RegionEntity, ServiceEntity, type EndpointInterface } from '../entities/index.js';
import { ConflictError, DomainError, insertOrConflict, InvalidInputError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';


export interface CatalogEntry {
  service: ServiceEntity;
  endpoints: EndpointEntity[];
}

export interface NewService {
  type: string;
  name?: string | null;
  description?: string | null;
  enabled?: boolean;
  extra?: Record<string, unknown>;
}

/** A change to a service; `undefined` leaves an attribute as it is, extras are merged. */
export type ServicePatch = Partial<NewService>;

export interface NewEndpoint {
  serviceId: string;
  interface: EndpointInterface;
  url: string;
  /** An existing region, or null for none. */
  regionId?: string | null;
  /**
   * Keystone's legacy `region` attribute, used only when `regionId` is absent: the region is
   * created if it does not exist (as Keystone does for v2-style clients).
   */
  legacyRegion?: string | null;
  enabled?: boolean;
  extra?: Record<string, unknown>;
}

export type EndpointPatch = Partial<NewEndpoint>;

export interface NewRegion {
  /** Caller-chosen id; generated when absent. */
  id?: string;
  description?: string | null;
  parentRegionId?: string | null;
  extra?: Record<string, unknown>;
}

export type RegionPatch = Omit<Partial<NewRegion>, 'id'>;

/**
 * Substitutions Keystone allows in endpoint URLs (`$(name)s` or `%(name)s`), from its
 * `utils.WHITELISTED_PROPERTIES`.
 */
const URL_SUBSTITUTIONS = new Set([
  'tenant_id', 'project_id', 'user_id', 'public_bind_host', 'admin_bind_host', 'compute_host', 'admin_port',
  'public_port', 'public_endpoint', 'admin_endpoint',
]);

/**
 * Keystone's `check_endpoint_url`: it formats the URL with Python's `%` operator (after turning
 * `$(` into `%(`), so every `%` must start `%%` or a whitelisted `%(name)s`; anything else (an
 * unknown name, a bare `%20`; also a lone `%s`, which Python would fill with the whole mapping) is
 * refused rather than breaking the catalog of every token later.
 */
export function isValidEndpointUrl(url: string): boolean {
  const s = url.replaceAll('$(', '%(');
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i)) {
    if (s[i + 1] === '%') {
      i += 2;
      continue;
    }
    const m = /^%\(([^)]*)\)[-#0 +]*\d*(?:\.\d*)?[sra]/.exec(s.slice(i));
    if (!m || !URL_SUBSTITUTIONS.has(m[1]!)) return false;
    i += m[0].length;
  }
  return true;
}

/** Keystone's RegionDeletionError: a 403 whose message is shown. */
export class RegionDeletionError extends DomainError {
  constructor(id: string) {
    super('Forbidden', `Unable to delete region ${id} because it or its child regions have associated endpoints.`);
  }
}

/** Services, endpoints and regions (Keystone's catalog manager, SQL driver). */
@Injectable()
export class CatalogService {
  constructor(
    @InjectRepository(ServiceEntity) private readonly services: Repository<ServiceEntity>,
    @InjectRepository(EndpointEntity) private readonly endpoints: Repository<EndpointEntity>,
    @InjectRepository(RegionEntity) private readonly regions: Repository<RegionEntity>,
    private readonly db: TransactionRunner,
    private readonly ds: DataSource,
  ) {}

  private get mysql(): boolean {
    return this.ds.options.type !== 'better-sqlite3';
  }

  /** Enabled services with their enabled endpoints, in a stable order. */
  async catalog(): Promise<CatalogEntry[]> {
    const [services, endpoints] = await Promise.all([
      this.services.find({ where: { enabled: true }, order: { type: 'ASC', id: 'ASC' } }),
      this.endpoints.find({ where: { enabled: true }, order: { id: 'ASC' } }),
    ]);
    const order: Record<string, number> = { public: 0, internal: 1, admin: 2 };
    return services.map((service) => ({
      service,
      endpoints: endpoints.filter((e) => e.serviceId === service.id).sort((a, b) => order[a.interface]! - order[b.interface]!),
    }));
  }

  async ensureRegion(id: string, description: string | null = null): Promise<void> {
    await this.db.write((m) => m.createQueryBuilder().insert().into(RegionEntity)
      .values({ id, description, parentRegionId: null, extra: {} }).orIgnore().execute());
  }

  findServiceByType(type: string): Promise<ServiceEntity | null> {
    return this.services.findOne({ where: { type }, order: { id: 'ASC' } });
  }

  /** Creates the endpoint unless one with the same service, interface and region exists; updates its URL then. */
  async ensureEndpoint(serviceId: string, iface: EndpointInterface, url: string, regionId: string): Promise<void> {
    const existing = await this.endpoints.findOneBy({ serviceId, interface: iface, regionId });
    if (existing) {
      if (existing.url !== url) await this.db.write((m) => m.getRepository(EndpointEntity).update({ id: existing.id }, { url }));
      return;
    }
    await this.db.write((m) => m.getRepository(EndpointEntity).insert({ id: newId(), serviceId, interface: iface, url, regionId, enabled: true, extra: {} }));
  }

  // Services

  listServices(f: { type?: string; name?: string } = {}): Promise<ServiceEntity[]> {
    const where: FindOptionsWhere<ServiceEntity> = {};
    if (f.type !== undefined) where.type = f.type;
    if (f.name !== undefined) where.name = f.name;
    return this.services.find({ where, order: { type: 'ASC', id: 'ASC' } });
  }

  getService(id: string): Promise<ServiceEntity | null> {
    return this.services.findOneBy({ id });
  }

  /** Creates a service (names are not unique in Keystone). */
  async createService(s: NewService): Promise<ServiceEntity> {
    const e = this.services.create({
      id: newId(), type: s.type, name: s.name ?? null, description: s.description ?? null, enabled: s.enabled ?? true, extra: s.extra ?? {},
    });
    await this.db.write((m) => m.getRepository(ServiceEntity).insert(e as never));
    return e;
  }

  async updateService(id: string, patch: ServicePatch): Promise<ServiceEntity> {
    return this.db.transaction(async (tx) => {
      const s = await this.locked(tx, ServiceEntity, id);
      if (!s) throw new NotFoundError('service', id);
      const next: ServiceEntity = {
        ...s, ...defined({ type: patch.type, name: patch.name, description: patch.description, enabled: patch.enabled }),
        extra: { ...(s.extra ?? {}), ...(patch.extra ?? {}) },
      };
      await tx.update(ServiceEntity, { id }, { type: next.type, name: next.name, description: next.description, enabled: next.enabled, extra: next.extra as never });
      return next;
    });
  }

  /**
   * Deletes a service and its endpoints, with the endpoints' project associations, in one
   * transaction (Keystone's SQL driver does the same).
   */
  async deleteService(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.locked(tx, ServiceEntity, id))) throw new NotFoundError('service', id);
      const endpoints = (await tx.findBy(EndpointEntity, { serviceId: id })).map((e) => e.id);
      if (endpoints.length) await tx.delete(ProjectEndpointEntity, { endpointId: In(endpoints) });
      await tx.delete(EndpointEntity, { serviceId: id });
      await tx.delete(ServiceEntity, { id });
    });
  }

  // Endpoints

  listEndpoints(f: { serviceId?: string; interface?: EndpointInterface; regionId?: string } = {}): Promise<EndpointEntity[]> {
    const where: FindOptionsWhere<EndpointEntity> = {};
    if (f.serviceId !== undefined) where.serviceId = f.serviceId;
    if (f.interface !== undefined) where.interface = f.interface;
    if (f.regionId !== undefined) where.regionId = f.regionId;
    return this.endpoints.find({ where, order: { id: 'ASC' } });
  }

  getEndpoint(id: string): Promise<EndpointEntity | null> {
    return this.endpoints.findOneBy({ id });
  }

  /**
   * Creates an endpoint. Its region and service must exist (Keystone's 400s, region first); the
   * rows are locked until the insert so a concurrent delete cannot leave the endpoint dangling.
   */
  async createEndpoint(n: NewEndpoint): Promise<EndpointEntity> {
    assertEndpointUrl(n.url);
    return this.db.transaction(async (tx) => {
      const regionId = await this.endpointRegion(tx, n);
      await this.assertServiceExists(tx, n.serviceId);
      const e: EndpointEntity = {
        id: newId(), serviceId: n.serviceId, interface: n.interface, url: n.url, regionId: regionId ?? null, enabled: n.enabled ?? true, extra: n.extra ?? {},
      };
      await tx.insert(EndpointEntity, e as never);
      return e;
    });
  }

  async updateEndpoint(id: string, patch: EndpointPatch): Promise<EndpointEntity> {
    if (patch.url !== undefined) assertEndpointUrl(patch.url);
    return this.db.transaction(async (tx) => {
      const e = await this.locked(tx, EndpointEntity, id);
      if (!e) throw new NotFoundError('endpoint', id);
      const regionId = await this.endpointRegion(tx, patch);
      if (patch.serviceId !== undefined) await this.assertServiceExists(tx, patch.serviceId);
      const next: EndpointEntity = {
        ...e, ...defined({ serviceId: patch.serviceId, interface: patch.interface, url: patch.url, regionId, enabled: patch.enabled }),
        extra: { ...(e.extra ?? {}), ...(patch.extra ?? {}) },
      };
      await tx.update(EndpointEntity, { id }, {
        serviceId: next.serviceId, interface: next.interface, url: next.url, regionId: next.regionId, enabled: next.enabled, extra: next.extra as never,
      });
      return next;
    });
  }

  /** Deletes an endpoint and its project associations, in one transaction. */
  async deleteEndpoint(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(EndpointEntity, { id });
      if (!r.affected) throw new NotFoundError('endpoint', id);
      await tx.delete(ProjectEndpointEntity, { endpointId: id });
    });
  }

  /**
   * The region an endpoint create/update names, checked and locked: `regionId` must exist (400);
   * the legacy `region` alone is created when missing. `undefined` when neither is given.
   */
  private async endpointRegion(tx: EntityManager, n: EndpointPatch): Promise<string | null | undefined> {
    if (n.regionId == null && n.legacyRegion != null) {
      if (!(await this.locked(tx, RegionEntity, n.legacyRegion))) {
        await tx.createQueryBuilder().insert().into(RegionEntity)
          .values({ id: n.legacyRegion, description: '', parentRegionId: null, extra: {} }).orIgnore().execute();
        if (!(await this.locked(tx, RegionEntity, n.legacyRegion))) throw InvalidInputError.missing('endpoint region_id', 'region table');
      }
      return n.legacyRegion;
    }
    if (n.regionId != null && !(await this.locked(tx, RegionEntity, n.regionId))) throw InvalidInputError.missing('endpoint region_id', 'region table');
    return n.regionId;
  }

  private async assertServiceExists(tx: EntityManager, serviceId: string): Promise<void> {
    if (!(await this.locked(tx, ServiceEntity, serviceId))) throw InvalidInputError.missing('endpoint service_id', 'service table');
  }

  // Regions

  listRegions(f: { parentRegionId?: string } = {}): Promise<RegionEntity[]> {
    const where: FindOptionsWhere<RegionEntity> = {};
    if (f.parentRegionId !== undefined) where.parentRegionId = f.parentRegionId;
    return this.regions.find({ where, order: { id: 'ASC' } });
  }

  getRegion(id: string): Promise<RegionEntity | null> {
    return this.regions.findOneBy({ id });
  }

  /** Creates a region; an existing id is a 409, an unknown parent a 404 (Keystone's manager). */
  async createRegion(n: NewRegion): Promise<RegionEntity> {
    const id = n.id || newId();
    const conflict = () => new ConflictError('region', `Duplicate ID, ${id}`);
    return this.db.transaction(async (tx) => {
      if (await tx.findOneBy(RegionEntity, { id })) throw conflict();
      if (n.parentRegionId != null && !(await this.locked(tx, RegionEntity, n.parentRegionId))) throw new NotFoundError('region', n.parentRegionId);
      const e: RegionEntity = { id, description: n.description ?? '', parentRegionId: n.parentRegionId ?? null, extra: n.extra ?? {} };
      return insertOrConflict(() => tx.insert(RegionEntity, e as never), e, conflict);
    });
  }

  /** Changes a region; a new parent must exist and must not make the hierarchy circular. */
  async updateRegion(id: string, patch: RegionPatch): Promise<RegionEntity> {
    return this.db.transaction(async (tx) => {
      if (patch.parentRegionId != null && !(await this.locked(tx, RegionEntity, patch.parentRegionId))) throw new NotFoundError('region', patch.parentRegionId);
      const r = await this.locked(tx, RegionEntity, id);
      if (!r) throw new NotFoundError('region', id);
      const next: RegionEntity = {
        ...r, ...defined({ description: patch.description === null ? '' : patch.description, parentRegionId: patch.parentRegionId }),
        extra: { ...(r.extra ?? {}), ...(patch.extra ?? {}) },
      };
      for (let p = next.parentRegionId, hops = 0; p; hops++) {
        if (p === id || hops > 1000) throw new InvalidInputError(`The specified parent region ${next.parentRegionId} would create a circular region hierarchy.`);
        p = (await tx.findOneBy(RegionEntity, { id: p }))?.parentRegionId ?? null;
      }
      await tx.update(RegionEntity, { id }, { description: next.description, parentRegionId: next.parentRegionId, extra: next.extra as never });
      return next;
    });
  }

  /**
   * Deletes a region with its child regions, in one transaction, unless an endpoint is in any of
   * them (Keystone's 403). The subtree is locked so no endpoint can be added to it meanwhile.
   */
  async deleteRegion(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.locked(tx, RegionEntity, id))) throw new NotFoundError('region', id);
      const subtree = [id];
      for (let level = [id]; level.length; ) {
        const q = tx.createQueryBuilder(RegionEntity, 'r').where('r.parentRegionId IN (:...ids)', { ids: level });
        const children = (await (this.mysql ? q.setLock('pessimistic_write') : q).getMany()).map((r) => r.id).filter((c) => !subtree.includes(c));
        subtree.push(...children);
        level = children;
      }
      if (await tx.exists(EndpointEntity, { where: { regionId: In(subtree) } })) throw new RegionDeletionError(id);
      await tx.delete(RegionEntity, { id: In(subtree) });
    });
  }

  /** The row with this id, locked for the rest of the transaction on MariaDB (SQLite transactions are serial). */
  private async locked<T extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<T>, id: string): Promise<T | null> {
    const q = tx.createQueryBuilder(entity, 'x').where('x.id = :id', { id });
    return (this.mysql ? q.setLock('pessimistic_write') : q).getOne();
  }
}

function assertEndpointUrl(url: string): void {
  if (!isValidEndpointUrl(url)) throw new InvalidInputError(`Cannot create an endpoint with an invalid URL: ${url}.`);
}

/** The entries whose value is not `undefined`. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
