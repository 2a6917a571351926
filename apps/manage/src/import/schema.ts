import type { SourceDb } from './source.js';

/**
 * Which Keystone schemas the importer reads (docs/migrating-from-keystone.md, "Which Keystone").
 *
 * Keystone 22 (Zed) keeps its schema version with alembic, in `alembic_version`: one row per
 * branch head, `29e87d24a316` (expand) and `e25ffa003242` (contract) after `keystone-manage
 * db_sync`, both no-op successors of the initial `27e647c0fad4`. Later releases add revisions
 * that change nothing the importer reads (constraints, indexes, a federation column); they are
 * known by name so that a database of a newer Keystone is read too. Anything else is refused.
 *
 * Before alembic (up to Keystone 21, Yoga) the version was sqlalchemy-migrate's, in
 * `migrate_version`, per repository. Yoga squashed its history into versions 73 to 79, whose
 * result is exactly alembic's initial schema: version 79 of `keystone_expand` and
 * `keystone_contract` is read; anything older must first be upgraded by Keystone itself.
 */
const EXPAND: Record<string, string> = {
  '27e647c0fad4': 'Keystone 22 (Zed) initial schema',
  '29e87d24a316': 'Keystone 22 (Zed)',
  'b4f8b3f584e0': 'Keystone 2023.2 (Bobcat)',
  '11c3b243b4cb': 'Keystone 2023.2 (Bobcat)',
  '47147121': 'Keystone 2024.1 (Caracal)',
  'e8725d6fa226': 'Keystone 2025.2 (Flamingo)',
  '742c857f1dfb': 'Keystone 2026.1',
};
const CONTRACT: Record<string, string> = {
  'e25ffa003242': 'Keystone 22 (Zed)',
  '99de3849d860': 'Keystone 2023.2 (Bobcat)',
  'c88cdce8f248': 'Keystone 2023.2 (Bobcat)',
};
const LAST_MIGRATE_VERSION = 79;

export class SchemaRefusedError extends Error {}

/** The tables the importer reads at the least; a database without them is not Keystone's. */
const REQUIRED = ['project', 'user', 'local_user', 'password', 'role', 'assignment', 'credential', 'service', 'endpoint', 'region'];

/** Checks the source's schema version; returns a description of it, or throws SchemaRefusedError. */
export async function checkKeystoneSchema(src: SourceDb): Promise<string> {
  const tables = await src.tables();
  let described: string;
  if (tables.has('alembic_version')) {
    const heads = (await src.all(`SELECT version_num FROM ${src.q('alembic_version')}`)).map((r) => String(r.version_num));
    if (!heads.length) throw new SchemaRefusedError('the Keystone database has an empty alembic_version table: its schema was never completed (run keystone-manage db_sync)');
    const unknown = heads.filter((h) => !(h in EXPAND) && !(h in CONTRACT));
    if (unknown.length) {
      throw new SchemaRefusedError(`the Keystone schema is at alembic revision ${unknown.join(', ')}, which this importer does not know (it reads Keystone 22's ${Object.keys(EXPAND)[1]}/${Object.keys(CONTRACT)[0]} up to ${Object.keys(EXPAND).at(-1)}/${Object.keys(CONTRACT).at(-1)}): nothing was imported`);
    }
    described = `alembic ${heads.sort().join(', ')} (${[...new Set(heads.map((h) => EXPAND[h] ?? CONTRACT[h]))].join(', ')})`;
  } else if (tables.has('migrate_version')) {
    const rows = await src.all(`SELECT repository_id, version FROM ${src.q('migrate_version')}`);
    const versions = new Map(rows.map((r) => [String(r.repository_id), Number(r.version)]));
    const expand = versions.get('keystone_expand');
    const contract = versions.get('keystone_contract');
    if (expand !== LAST_MIGRATE_VERSION || contract !== LAST_MIGRATE_VERSION) {
      const seen = [...versions].map(([repo, v]) => `${repo} ${v}`).join(', ') || 'no version rows';
      throw new SchemaRefusedError(`the Keystone schema is at sqlalchemy-migrate version ${seen}: too old to import (this importer reads version ${LAST_MIGRATE_VERSION}, Keystone 21, or Keystone 22's alembic schema); upgrade it with keystone-manage db_sync of Keystone 21 or later first; nothing was imported`);
    }
    described = `sqlalchemy-migrate ${LAST_MIGRATE_VERSION} (Keystone 21, Yoga)`;
  } else {
    throw new SchemaRefusedError('not a Keystone database: it has neither an alembic_version nor a migrate_version table');
  }
  const missing = REQUIRED.filter((t) => !tables.has(t));
  if (missing.length) throw new SchemaRefusedError(`not a complete Keystone database (schema ${described}): tables ${missing.join(', ')} are missing`);
  return described;
}
