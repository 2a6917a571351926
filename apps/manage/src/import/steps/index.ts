import type { Step } from '../context.js';
import { assignments } from './assignments.js';
import { endpointGroups, endpoints, policies, projectEndpointGroups, projectEndpoints, regions, services } from './catalog.js';
import { credentials } from './credentials.js';
import { accessRules, applicationCredentials, trusts } from './delegation.js';
import { domainConfigs } from './domain-configs.js';
import { groups, memberships, passwords, userOptionsStep, users } from './identity.js';
import { notImported } from './not-imported.js';
import { oauth1AccessTokens, oauth1Consumers } from './oauth1.js';
import { domains, projectOptions, projects, projectTags } from './resource.js';
import { impliedRoles, roles } from './roles.js';

/**
 * The import, in order: what a row refers to is imported before it (domains before projects,
 * users and roles before grants and delegations, services and regions before endpoints). A new
 * kind of row adds its step after what it refers to and leaves the not-imported list.
 */
export const STEPS: Step[] = [
  domains, projects, projectTags, projectOptions,
  roles, impliedRoles,
  users, userOptionsStep, passwords, groups, memberships,
  assignments,
  trusts, accessRules, applicationCredentials, oauth1Consumers, oauth1AccessTokens,
  regions, services, endpoints, endpointGroups, projectEndpoints, projectEndpointGroups, policies,
  credentials, domainConfigs,
  ...notImported,
];
