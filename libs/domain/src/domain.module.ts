import { Injectable, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { dataSourceOptions } from './database/data-source.js';
import { LintelDataSource } from './database/lintel-data-source.js';
import { TransactionRunner } from './database/transaction-runner.js';
import { ENTITIES } from './entities/index.js';
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

/**
 * Stores what the services hold back (audit events, credential last-use times) before the
 * connections close. Shutdown hooks of different modules run in an order of Nest's choosing, so
 * this holds a lease of its own on the data source: TypeOrmModule letting go of its lease first
 * does not close the connections under the final writes.
 */
@Injectable()
class WriteBehindFlush implements OnApplicationShutdown {
  private readonly held: LintelDataSource;

  constructor(ds: DataSource, private readonly audit: AuditService, private readonly credentials: CredentialService) {
    this.held = (ds as LintelDataSource).lease();
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await Promise.all([this.audit.flush(), this.credentials.flushUse()]);
    } finally {
      await this.held.destroy();
    }
  }
}

export interface DomainModuleOptions {
  /** The PasswordHasher binding (libs/auth provides the bcrypt pool). */
  hasher: Provider;
  /** An open data source to share (the all-in-one process runs its apps on one pool). */
  dataSource?: LintelDataSource;
}

/**
 * The core: the data source (through TypeOrmModule), a repository per entity, the transaction
 * runner, and the services that enforce Keystone's rules.
 */
@Module({})
export class DomainModule {
  static forRoot(o: DomainModuleOptions): DynamicModule {
    return {
      module: DomainModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [LINTEL_CONFIG],
          useFactory: (cfg: LintelConfig) => dataSourceOptions(cfg.database),
          dataSourceFactory: async (options) => (o.dataSource ? o.dataSource.lease() : LintelDataSource.fromOptions(options!)),
        }),
        TypeOrmModule.forFeature([...ENTITIES]),
      ],
      providers: [
        { provide: TransactionRunner, inject: [DataSource], useFactory: (ds: LintelDataSource) => ds.writes },
        WriteBehindFlush, o.hasher, ...SERVICES,
      ],
      exports: [TypeOrmModule, TransactionRunner, PasswordHasher, ...SERVICES],
    };
  }
}
