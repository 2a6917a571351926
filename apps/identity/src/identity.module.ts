import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthModule, XAuthTokenGuard } from '@lintel/auth';
import { AuditController } from './audit.controller.js';
import { ApplicationCredentialsController } from './resources/application-credentials.controller.js';
import { AuditHook } from './audit.hook.js';
import { TokensController } from './auth/tokens.controller.js';
import { CatalogAdminModule } from './catalog/catalog-admin.module.js';
import { ConsoleAccessKeysController } from './console/access-keys.controller.js';
import { CredentialsController } from './credentials/credentials.controller.js';
import { Ec2TokensController } from './credentials/ec2-tokens.controller.js';
import { OsEc2Controller } from './credentials/os-ec2.controller.js';
import { DomainConfigController } from './resources/domain-config.controller.js';
import { DomainsController } from './resources/domains.controller.js';
import { GrantsController } from './resources/grants.controller.js';
import { GroupsController } from './resources/groups.controller.js';
import { OsInheritController } from './resources/os-inherit.controller.js';
import { RoleAssignmentsController } from './resources/role-assignments.controller.js';
import { RolesController } from './resources/roles.controller.js';
import { ProjectsController } from './resources/projects.controller.js';
import { UsersController } from './resources/users.controller.js';
import { DiscoveryController } from './discovery/discovery.controller.js';
import { TrustsModule } from './trusts/trusts.module.js';
import { KeystoneExceptionFilter } from './keystone-exception.filter.js';
import { KeystonePolicy } from './keystone-caller.js';
import { OAuth1Module } from './oauth1/oauth1.module.js';

/** The Keystone v3 dialect. Needs LintelConfigModule and DomainModule from the composing root. */
@Module({
  imports: [AuthModule, CatalogAdminModule, TrustsModule, OAuth1Module],
  controllers: [DiscoveryController, TokensController, CredentialsController, OsEc2Controller, Ec2TokensController, UsersController, ProjectsController, DomainsController,
    RolesController, GroupsController, GrantsController, OsInheritController, RoleAssignmentsController, AuditController, ConsoleAccessKeysController,
    DomainConfigController, ApplicationCredentialsController],
  providers: [
    { provide: APP_GUARD, useClass: XAuthTokenGuard },
    { provide: APP_FILTER, useClass: KeystoneExceptionFilter },
    AuditHook,
    KeystonePolicy,
  ],
})
export class IdentityModule {}
