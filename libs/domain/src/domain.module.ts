import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { createDataSource } from './data-source.js';
import { PasswordHasher } from './password-hasher.js';
import { AccessKeyService } from './services/access-key.service.js';
import { AlibabaKeyService } from './services/alibaba-key.service.js';
import { ApplicationCredentialService } from './services/application-credential.service.js';
import { AssignmentService } from './services/assignment.service.js';
import { AuditService } from './services/audit.service.js';
import { BootstrapService } from './services/bootstrap.service.js';
import { CatalogService } from './services/catalog.service.js';
import { CloudAccountService } from './services/cloud-account.service.js';
import { CredentialCipher } from './services/credential-cipher.js';
import { CredentialService } from './services/credential.service.js';
import { DomainConfigService } from './services/domain-config.service.js';
import { EdgioSessionService } from './services/edgio-session.service.js';
import { EndpointFilterService } from './services/endpoint-filter.service.js';
import { OAuth1Service } from './services/oauth1.service.js';
import { PolicyBlobService } from './services/policy-blob.service.js';
import { GroupService } from './services/group.service.js';
import { IdentityService } from './services/identity.service.js';
import { ResourceService } from './services/resource.service.js';
import { RevocationService } from './services/revocation.service.js';
import { SignatureReplayService } from './services/signature-replay.service.js';
import { TrustService } from './services/trust.service.js';

const SERVICES = [AuditService, RevocationService, ResourceService, IdentityService, AssignmentService, CatalogService, BootstrapService, CredentialCipher, CredentialService, GroupService,
  CloudAccountService, EdgioSessionService, AlibabaKeyService, AccessKeyService,
  PolicyBlobService, EndpointFilterService, DomainConfigService, ApplicationCredentialService, TrustService, OAuth1Service, SignatureReplayService];
const OWNS_DATA_SOURCE = Symbol('OWNS_DATA_SOURCE');

/**
 * Closes the connection pool at shutdown, unless the DataSource was lent by the caller (its owner
 * closes it after the app). Shutdown hooks of one module run concurrently, so the write-behind
 * queues are flushed here first rather than left to race the close in their own hooks.
 */
@Injectable()
class DataSourceLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly ds: DataSource,
    @Inject(OWNS_DATA_SOURCE) private readonly owned: boolean,
    private readonly audit: AuditService,
    private readonly credentials: CredentialService,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.owned || !this.ds.isInitialized) return;
    await Promise.all([this.audit.flush(), this.credentials.flushUse()]);
    await this.ds.destroy();
  }
}

export interface DomainModuleOptions {
  /** The PasswordHasher binding (libs/auth provides the bcrypt pool). */
  hasher: Provider;
  /** An initialised DataSource to share (the all-in-one process runs two apps on one pool). */
  dataSource?: DataSource;
}

/** The core: the TypeORM DataSource plus the services that enforce Keystone's rules. */
@Module({})
export class DomainModule {
  static forRoot(o: DomainModuleOptions): DynamicModule {
    const ds: Provider = o.dataSource
      ? { provide: DataSource, useValue: o.dataSource }
      : { provide: DataSource, inject: [LINTEL_CONFIG], useFactory: (cfg: LintelConfig) => createDataSource(cfg.database).initialize() };
    return {
      module: DomainModule,
      global: true,
      providers: [ds, { provide: OWNS_DATA_SOURCE, useValue: !o.dataSource }, DataSourceLifecycle, o.hasher, ...SERVICES],
      exports: [DataSource, PasswordHasher, ...SERVICES],
    };
  }
}
