import { Init1763900000000 } from './1763900000000-init.js';
import { Credentials1764000000000 } from './1764000000000-credentials.js';
import { EdgioSessions1765000000000 } from './1765000000000-edgio-sessions.js';
import { Groups1765100000000 } from './1765100000000-groups.js';
import { Audit1765200000000 } from './1765200000000-audit.js';
import { AlibabaNonces1765600000000 } from './1765600000000-alibaba-nonces.js';
import { Policies1766000000000 } from './1766000000000-policies.js';
import { EndpointGroups1766000000100 } from './1766000000100-endpoint-groups.js';
import { DomainConfigs1766000000200 } from './1766000000200-domain-configs.js';
import { ImmutableDefaultRoles1766100000000 } from './1766100000000-immutable-default-roles.js';
import { ResourceParity1766200000000 } from './1766200000000-resource-parity.js';
import { ApplicationCredentials1766300000200 } from './1766300000200-application-credentials.js';
import { Trusts1766300000000 } from './1766300000000-trusts.js';
import { OAuth11766310000000 } from './1766310000000-oauth1.js';
import { UsedSignatures1766320000000 } from './1766320000000-used-signatures.js';
import { ScaleIndexes1766900000000 } from './1766900000000-scale-indexes.js';
import { RoleIndexOrder1766900000100 } from './1766900000100-role-index-order.js';

/** Every migration, oldest first. One list serves SQLite and MySQL/MariaDB. */
export const MIGRATIONS = [Init1763900000000, Credentials1764000000000, EdgioSessions1765000000000, Groups1765100000000, Audit1765200000000, AlibabaNonces1765600000000,
  Policies1766000000000, EndpointGroups1766000000100, DomainConfigs1766000000200, ImmutableDefaultRoles1766100000000, ResourceParity1766200000000,
  Trusts1766300000000, ApplicationCredentials1766300000200,
  OAuth11766310000000, UsedSignatures1766320000000, ScaleIndexes1766900000000,
  RoleIndexOrder1766900000100];
