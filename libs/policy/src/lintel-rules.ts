import type { RuleDefault } from './rule-default.js';

/**
 * Lintel's own rules (`lintel:*`), for the APIs Keystone does not have: SODA's aksks, the
 * console's access-key API, the cloud dialects' key operations and Lintel's audit log. They are
 * written in Keystone's style (personas on the key's project; docs/policy.md) and an operator's
 * policy file overrides them by name like any Keystone rule.
 *
 * Who a caller is depends on the dialect: SODA and the console present a Keystone token (its
 * scope and roles, as for Keystone's own rules); the cloud dialects (Edgio, Outscale, Alibaba)
 * authenticate either a request signed with an access key, which acts as a token of the key's
 * owner scoped to the key's project, with the roles held there now and nothing more, or a user
 * who proved their password, evaluated with the user's roles on each scope the target lives in
 * (the keys' project, the owner's domain, the system) and passing when any of them does
 * (docs/access-keys.md).
 */
export const LINTEL_RULES: readonly RuleDefault[] = [
  {
    name: 'lintel:acts_on_project',
    check: 'project_id:%(target.project.id)s or (role:admin and system_scope:all)',
    description: 'The token acts on the target project: scoped to it, or a system administrator\'s.',
  },
  {
    name: 'lintel:key_reader',
    check: 'rule:lintel:acts_on_project and (role:admin or (role:reader and user_id:%(target.user.id)s))',
    description: 'May read the access keys of target.user in target.project: an admin there reads everyone\'s, a reader their own.',
  },
  {
    name: 'lintel:key_writer',
    check: 'rule:lintel:acts_on_project and (role:admin or (role:member and user_id:%(target.user.id)s))',
    description: 'May create, change and delete the access keys of target.user in target.project: an admin there manages everyone\'s, a member their own.',
  },
  {
    name: 'lintel:acts_on_key',
    check: 'system_scope:all or domain_id:%(target.user.domain_id)s or project_id:%(target.project.id)s or (role:admin and is_admin_project:True)',
    description: 'The caller acts where the keys live: on the system, on the owner\'s domain, on the keys\' project (target.project), or as an admin of the admin project. A request signed with a key acts on the key\'s project only.',
  },
  {
    name: 'lintel:cloud_key_manager',
    check: '(user_id:%(target.user.id)s or role:admin) and rule:lintel:acts_on_key',
    description: 'Cloud dialects: a user manages their own keys; an admin of the system, of the owner\'s domain, of the keys\' project or of the admin project manages the owner\'s. A request signed with a key acts only on the keys of the key\'s own project.',
  },
  {
    name: 'lintel:extend_key_expiry',
    check: 'role:admin and rule:lintel:acts_on_key',
    operations: ['POST /api/v1/UpdateAccessKey (ClearExpirationDate, or a later ExpirationDate)'],
    description: 'Lift a key\'s expiry (clear it, or move it later), on top of the update rule: an admin of the system, of the owner\'s domain, of the key\'s project or of the admin project, so an owner cannot lift an expiry an administrator set. Bringing an expiry forward needs only the update rule.',
  },

  { name: 'lintel:soda:create_aksk', check: 'rule:lintel:key_writer', scopes: ['system', 'project'], operations: ['POST /v1/{project_id}/aksks'], description: 'Create an AK/SK pair for a user of the project.' },
  { name: 'lintel:soda:get_aksk', check: 'rule:lintel:key_reader', scopes: ['system', 'project'], operations: ['GET /v1/{project_id}/aksks/{user_id}', 'GET /v1/{project_id}/aksks/{user_id}/download'], description: 'Show (and download) a user\'s AK/SK pairs in the project.' },
  { name: 'lintel:soda:delete_aksk', check: 'rule:lintel:key_writer', scopes: ['system', 'project'], operations: ['DELETE /v1/{project_id}/aksks/{user_id}'], description: 'Delete all of a user\'s AK/SK pairs in the project.' },

  { name: 'lintel:console:list_access_keys', check: 'rule:lintel:key_reader', scopes: ['system', 'project'], operations: ['GET /v3/OS-LINTEL/projects/{project_id}/access_keys'], description: 'List access keys of the project; each key is shown only to who may read its owner\'s keys.' },
  { name: 'lintel:console:get_access_key', check: 'rule:lintel:key_reader', scopes: ['system', 'project'], operations: ['GET /v3/OS-LINTEL/projects/{project_id}/access_keys/{access}'], description: 'Show an access key of the project.' },
  { name: 'lintel:console:create_access_key', check: 'rule:lintel:key_writer', scopes: ['system', 'project'], operations: ['POST /v3/OS-LINTEL/projects/{project_id}/access_keys'], description: 'Create an access key for a user of the project (the caller confirms their password).' },
  { name: 'lintel:console:update_access_key', check: 'rule:lintel:key_writer', scopes: ['system', 'project'], operations: ['PATCH /v3/OS-LINTEL/projects/{project_id}/access_keys/{access}'], description: 'Deactivate or reactivate an access key of the project.' },
  { name: 'lintel:console:delete_access_key', check: 'rule:lintel:key_writer', scopes: ['system', 'project'], operations: ['DELETE /v3/OS-LINTEL/projects/{project_id}/access_keys/{access}'], description: 'Delete an access key of the project.' },
  {
    name: 'lintel:console:get_key_owner',
    check: 'rule:lintel:acts_on_project and (role:admin or user_id:%(target.user.id)s)',
    scopes: ['system', 'project'],
    operations: ['GET /v3/OS-LINTEL/projects/{project_id}/users'],
    description: 'List the users who may own keys in the project; each user is shown only when this allows.',
  },

  { name: 'lintel:edgio:init_key_pair', check: 'rule:lintel:cloud_key_manager', operations: ['POST /jsonrpc2 initKeyPair'], description: 'Edgio: create a key pair for the session\'s user.' },
  { name: 'lintel:outscale:create_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /api/v1/CreateAccessKey'], description: 'Outscale: create an access key for target.user.' },
  { name: 'lintel:outscale:read_access_keys', check: 'rule:lintel:cloud_key_manager', operations: ['POST /api/v1/ReadAccessKeys'], description: 'Outscale: list target.user\'s access keys.' },
  { name: 'lintel:outscale:read_secret_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /api/v1/ReadSecretAccessKey'], description: 'Outscale: show the secret of one of target.user\'s keys (when the operation is turned on).' },
  { name: 'lintel:outscale:update_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /api/v1/UpdateAccessKey'], description: 'Outscale: change the state, expiry or tag of one of target.user\'s keys.' },
  { name: 'lintel:outscale:delete_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /api/v1/DeleteAccessKey'], description: 'Outscale: delete one of target.user\'s keys.' },
  { name: 'lintel:alibaba:create_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /?Action=CreateAccessKey'], description: 'Alibaba IMS: create an access key for target.user.' },
  { name: 'lintel:alibaba:list_access_keys', check: 'rule:lintel:cloud_key_manager', operations: ['POST /?Action=ListAccessKeys'], description: 'Alibaba IMS: list target.user\'s access keys.' },
  { name: 'lintel:alibaba:update_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /?Action=UpdateAccessKey'], description: 'Alibaba IMS: activate or deactivate one of target.user\'s keys.' },
  { name: 'lintel:alibaba:get_access_key_last_used', check: 'rule:lintel:cloud_key_manager', operations: ['POST /?Action=GetAccessKeyLastUsed'], description: 'Alibaba IMS: when one of target.user\'s keys was last used.' },
  { name: 'lintel:alibaba:delete_access_key', check: 'rule:lintel:cloud_key_manager', operations: ['POST /?Action=DeleteAccessKey'], description: 'Alibaba IMS: delete one of target.user\'s keys.' },

  {
    name: 'lintel:list_audit_events',
    check: 'rule:admin_required or (role:reader and system_scope:all)',
    scopes: ['system', 'project'],
    operations: ['GET /v3/OS-AUDIT/events'],
    description: 'Read the audit log (CADF events of every change and authentication attempt).',
  },
];
