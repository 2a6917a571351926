import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DomainConfigEntity, DomainEntity } from '../entities/index.js';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.js';
import { DEFAULT_DOMAIN_ID } from '../ids.js';
import { CredentialCipher } from './credential-cipher.js';

/**
 * The values Keystone reports as defaults for the options a domain may set
 * (docs/keystone-catalog-extensions.md, "Domain configuration"), in Keystone's order. These
 * names are also the options that are stored and shown.
 */
export const DOMAIN_CONFIG_DEFAULTS: Readonly<Record<'identity' | 'ldap', Readonly<Record<string, unknown>>>> = {
  identity: { driver: 'sql', list_limit: null },
  ldap: {
    url: 'ldap://localhost', user: null, suffix: 'cn=example,cn=com', query_scope: 'one', page_size: 0, alias_dereferencing: 'default',
    debug_level: null, chase_referrals: null, user_tree_dn: null, user_filter: null, user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn', user_name_attribute: 'sn', user_mail_attribute: 'mail', user_description_attribute: 'description',
    user_pass_attribute: 'userPassword', user_enabled_attribute: 'enabled', user_enabled_invert: false, user_enabled_mask: 0,
    user_enabled_default: 'True', user_attribute_ignore: ['default_project_id'], user_default_project_id_attribute: null,
    user_enabled_emulation: false, user_enabled_emulation_dn: null, user_enabled_emulation_use_group_config: false,
    user_additional_attribute_mapping: [], group_tree_dn: null, group_filter: null, group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn', group_name_attribute: 'ou', group_members_are_ids: false, group_member_attribute: 'member',
    group_desc_attribute: 'description', group_attribute_ignore: [], group_additional_attribute_mapping: [], tls_cacertfile: null,
    tls_cacertdir: null, use_tls: false, tls_req_cert: 'demand', use_pool: true, pool_size: 10, pool_retry_max: 3, pool_retry_delay: 0.1,
    pool_connection_timeout: -1, pool_connection_lifetime: 600, use_auth_pool: true, auth_pool_size: 100, auth_pool_connection_lifetime: 60,
  },
};

/** Options shown and stored in the clear, per group. */
const WHITELISTED = new Map<string, readonly string[]>(Object.entries(DOMAIN_CONFIG_DEFAULTS).map(([g, o]) => [g, Object.keys(o)]));
/** Options stored sealed and never shown. */
const SENSITIVE = new Map<string, readonly string[]>([['identity', []], ['ldap', ['password']]]);
const SECURITY_COMPLIANCE_READABLE = ['password_regex', 'password_regex_description'];

/** A domain configuration as shown: group -> option -> value. */
export type DomainConfig = Record<string, Record<string, unknown>>;

/** Keystone's InvalidDomainConfig: a 403 whose reason is shown. */
export class InvalidDomainConfigError extends DomainError {
  constructor(reason: string) {
    super('Forbidden', `Invalid domain specific configuration: ${reason}.`);
  }
}

function notFound(domainId: string, group?: string, option?: string): DomainError {
  const what = option ? `option ${option} in group ${group}` : group ? `group ${group}` : 'any options';
  return new DomainError('NotFound', `Could not find ${what} in domain configuration for domain ${domainId}.`);
}

/** Python's truth value of a JSON value (Keystone tests stored options with it). */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Domain-specific configuration (Keystone's domain config manager and SQL driver): only the
 * `identity` and `ldap` options Keystone allows; `ldap.password` is sealed with the credential
 * keys and never shown. Lintel itself keeps using its own identity store: the options are kept
 * for clients and tooling that manage them through Keystone's API.
 */
@Injectable()
export class DomainConfigService {
  constructor(
    @InjectRepository(DomainConfigEntity) private readonly domainConfigs: Repository<DomainConfigEntity>,
    private readonly db: TransactionRunner,
    private readonly cipher: CredentialCipher,
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
  ) {}

  /** Keystone's check of a group and option named in a path. */
  assertGroupAndOption(group?: string, option?: string): void {
    if (group === undefined) return;
    const clear = WHITELISTED.get(group);
    const sealed = SENSITIVE.get(group);
    if (!clear || !sealed) throw new InvalidDomainConfigError(`Group ${group} is not supported for domain specific configurations`);
    if (option !== undefined && !clear.includes(option) && !sealed.includes(option)) {
      throw new InvalidDomainConfigError(`Option ${option} in group ${group} is not supported for domain specific configurations`);
    }
  }

  /**
   * The whole, a group or an option of a domain's shown configuration; 404 when nothing matches.
   * An unknown domain is reported only after that (Keystone defers it so as not to tell callers
   * without the right which domains exist).
   */
  async get(domainId: string, group?: string, option?: string): Promise<DomainConfig | Record<string, unknown>> {
    this.assertGroupAndOption(group, option);
    const rows = await this.rows(this.domainConfigs.manager, domainId, group, option, false);
    if (!rows.length) throw notFound(domainId, group, option);
    await this.requireDomain(this.domainConfigs.manager, domainId);
    if (option !== undefined) return { [option]: JSON.parse(rows[0]!.value) };
    return this.toConfig(rows);
  }

  /**
   * Replaces a domain's configuration. `created` is false when the domain had one before
   * (sensitive options count). The answer shows the stored options that may be shown.
   */
  async create(domainId: string, config: unknown): Promise<{ created: boolean; config: DomainConfig }> {
    return this.db.transaction(async (tx) => {
      await this.requireDomain(tx, domainId, true);
      const rows = this.toRows(domainId, this.assertConfig(config));
      // Worked out before the insert, which may write back into the objects it is given.
      const shown = this.toConfig(rows.filter((r) => !r.sensitive).sort(byName));
      const had = await tx.existsBy(DomainConfigEntity, { domainId });
      await tx.delete(DomainConfigEntity, { domainId });
      if (rows.length) await tx.insert(DomainConfigEntity, rows.map((r) => ({ ...r })) as never);
      return { created: !had, config: shown };
    });
  }

  /**
   * Merges options into a domain's configuration. With a group (and option) in the path, the
   * body must name only that group (option), which must be stored already. Answers the whole
   * shown configuration, so a domain left with sensitive options only is Keystone's 404.
   */
  async update(domainId: string, config: unknown, group?: string, option?: string): Promise<DomainConfig> {
    await this.db.transaction(async (tx) => {
      await this.requireDomain(tx, domainId, true);
      const valid = this.assertConfig(group !== undefined && option !== undefined ? { [group]: config } : config);
      this.assertGroupAndOption(group, option);
      if (group !== undefined) {
        const groups = Object.keys(valid);
        if (groups.length !== 1 || (option !== undefined && Object.keys(valid[group] ?? {}).length !== 1)) {
          throw new InvalidDomainConfigError(option !== undefined
            ? `Trying to update option ${option} in group ${group}, so that, and only that, option must be specified  in the config`
            : `Trying to update group ${group}, so that, and only that, group must be specified in the config`);
        }
        if (!Object.hasOwn(valid, group)) throw new InvalidDomainConfigError(`request to update group ${group}, but config provided contains group ${groups[0]} instead`);
        if (option !== undefined && !Object.hasOwn(valid[group]!, option)) {
          throw new InvalidDomainConfigError(`Trying to update option ${option} in group ${group}, but config provided contains option ${Object.keys(valid[group]!)[0]} instead`);
        }
        if (!(await this.rows(tx, domainId, group, option)).length) throw notFound(domainId, group, option);
      }
      for (const row of this.toRows(domainId, valid)) {
        const key = { domainId, group: row.group, option: row.option };
        if (await tx.existsBy(DomainConfigEntity, key)) await tx.update(DomainConfigEntity, key, { value: row.value, sensitive: row.sensitive, keyHash: row.keyHash });
        else await tx.insert(DomainConfigEntity, row as never);
      }
    });
    return this.get(domainId) as Promise<DomainConfig>;
  }

  /**
   * Deletes a domain's configuration, a group of it or an option. A group or option must be
   * stored, and an option must hold a value Python counts as true (Keystone's test); deleting a
   * whole configuration always succeeds.
   */
  async delete(domainId: string, group?: string, option?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireDomain(tx, domainId, true);
      this.assertGroupAndOption(group, option);
      if (group !== undefined) {
        const rows = await this.rows(tx, domainId, group);
        if (!rows.length) throw notFound(domainId, group);
        if (option !== undefined) {
          const row = rows.find((r) => r.option === option);
          if (!row || !truthy(this.valueOf(row))) throw notFound(domainId, group, option);
        }
      }
      const where: FindOptionsWhere<DomainConfigEntity> = { domainId };
      if (group !== undefined) where.group = group;
      if (option !== undefined) where.option = option;
      await tx.delete(DomainConfigEntity, where);
    });
  }

  /** Keystone's reported defaults: all, a group, or one option (sensitive ones have none to show). */
  defaults(group?: string, option?: string): DomainConfig | Record<string, unknown> {
    this.assertGroupAndOption(group, option);
    if (group === undefined) return structuredClone(DOMAIN_CONFIG_DEFAULTS) as DomainConfig;
    const values = DOMAIN_CONFIG_DEFAULTS[group as 'identity' | 'ldap'];
    if (option === undefined) return { [group]: structuredClone(values) };
    if (!WHITELISTED.get(group)!.includes(option)) {
      throw new InvalidDomainConfigError(`Reading the default for option ${option} in group ${group} is not supported`);
    }
    return { [option]: structuredClone(values[option]) };
  }

  /** The password rules anyone may read, for the default domain only (Keystone's `security_compliance` group). */
  securityCompliance(domainId: string, option?: string): Record<string, unknown> {
    if (domainId !== DEFAULT_DOMAIN_ID) {
      throw new InvalidDomainConfigError('Reading security compliance information for any domain other than the default domain is not allowed or supported.');
    }
    if (option !== undefined && !SECURITY_COMPLIANCE_READABLE.includes(option)) {
      throw new InvalidDomainConfigError('Reading security compliance values other than password_regex and password_regex_description is not allowed.');
    }
    const values: Record<string, unknown> = {
      password_regex: this.cfg.password.regex?.source ?? null,
      password_regex_description: this.cfg.password.regexDescription ?? null,
    };
    return option !== undefined ? { [option]: values[option] } : { security_compliance: values };
  }

  /**
   * Keystone's check of a whole configuration body: something must be given, each group must be
   * a non-empty object of known options. A body that is not an object at all is a 400 here
   * (Keystone fails on it with a Python error).
   */
  private assertConfig(config: unknown): Record<string, Record<string, unknown>> {
    if (!truthy(config)) throw new InvalidDomainConfigError('No options specified');
    if (!isObject(config)) throw InvalidInputError.field('config', `${JSON.stringify(config).slice(0, 40)} is not of type 'object'`);
    for (const [group, options] of Object.entries(config)) {
      if (!isObject(options) || !truthy(options)) {
        throw new InvalidDomainConfigError(`The value of group ${group} specified in the config should be a dictionary of options`);
      }
      for (const option of Object.keys(options)) this.assertGroupAndOption(group, option);
    }
    return config as Record<string, Record<string, unknown>>;
  }

  private toRows(domainId: string, config: Record<string, Record<string, unknown>>): DomainConfigEntity[] {
    return Object.entries(config).flatMap(([group, options]) => Object.entries(options).map(([option, value]) => {
      const text = JSON.stringify(value);
      if (!SENSITIVE.get(group)!.includes(option)) return { domainId, group, option, value: text, sensitive: false, keyHash: null };
      const sealed = this.cipher.seal(text);
      return { domainId, group, option, value: sealed.ciphertext, sensitive: true, keyHash: sealed.keyHash };
    }));
  }

  private toConfig(rows: DomainConfigEntity[]): DomainConfig {
    const out: DomainConfig = {};
    for (const r of rows) (out[r.group] ??= {})[r.option] = JSON.parse(r.value);
    return out;
  }

  private valueOf(row: DomainConfigEntity): unknown {
    return JSON.parse(row.sensitive ? this.cipher.open({ ciphertext: row.value, keyHash: row.keyHash! }) : row.value);
  }

  /**
   * 404 for an unknown domain. With `lock`, the domain row stays locked until the transaction
   * ends (MariaDB; SQLite transactions are serial), so a configuration written meanwhile cannot
   * outlive a domain being deleted, and two writes to one domain's configuration take turns.
   */
  private async requireDomain(m: EntityManager, domainId: string, lock = false): Promise<void> {
    const q = m.createQueryBuilder(DomainEntity, 'd').where('d.id = :id', { id: domainId });
    const found = await (lock && m.connection.options.type !== 'better-sqlite3' ? q.setLock('pessimistic_write') : q).getOne();
    if (!found) throw new NotFoundError('domain', domainId);
  }

  /** Stored rows of a domain, by group and option name; `sensitive` false keeps the shown ones only. */
  private rows(m: EntityManager, domainId: string, group?: string, option?: string, sensitive?: boolean): Promise<DomainConfigEntity[]> {
    const where: FindOptionsWhere<DomainConfigEntity> = { domainId };
    if (group !== undefined) where.group = group;
    if (option !== undefined) where.option = option;
    if (sensitive !== undefined) where.sensitive = sensitive;
    return m.find(DomainConfigEntity, { where, order: { group: 'ASC', option: 'ASC' } });
  }
}

function byName(a: DomainConfigEntity, b: DomainConfigEntity): number {
  return a.group < b.group ? -1 : a.group > b.group ? 1 : a.option < b.option ? -1 : a.option > b.option ? 1 : 0;
}
