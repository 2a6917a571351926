import type { DataSource, WhereExpressionBuilder } from 'typeorm';

/** Keystone's inexact list filters: `<attr>__contains`, `__startswith`, `__endswith`, and their `i` forms. */
export type TextComparator = 'contains' | 'startswith' | 'endswith';

export interface TextMatch {
  comparator: TextComparator;
  /** `false` for the `i` forms (`__icontains`, ...). */
  caseSensitive: boolean;
  value: string;
}

/** Inexact filters by attribute name; each service maps the names it allows to its columns. */
export type TextMatches = Readonly<Record<string, readonly TextMatch[] | undefined>>;

/** The SQLite function that lowers text as JavaScript does (registered by the data source). */
export const SQLITE_LOWER = 'lintel_lower';

/** MariaDB collation comparing code points exactly (no case or accent folding, no padding). */
const EXACT = 'utf8mb4_nopad_bin';

/**
 * Adds Keystone's inexact filters on `column` (an `alias.column` expression the caller trusts)
 * to a query, with the same answer on both databases: the plain forms compare exactly (SQLite's
 * LIKE and MariaDB's `unicode_ci` collation would fold case), the `i` forms lower both sides,
 * and the value is literal text: `%` and `_` match themselves. An empty value matches every
 * row that has the attribute (docs/keystone-resources-parity.md, "Inexact filters").
 */
export function whereTextMatches(ds: DataSource, qb: WhereExpressionBuilder, column: string, matches: readonly TextMatch[] | undefined): void {
  for (const [i, m] of (matches ?? []).entries()) {
    const p = `tm_${column.replace(/\W/g, '_')}_${i}`;
    if (m.value === '') {
      qb.andWhere(`${column} IS NOT NULL`);
    } else if (ds.options.type === 'better-sqlite3') {
      const [col, val] = m.caseSensitive ? [column, `:${p}`] : [`${SQLITE_LOWER}(${column})`, `${SQLITE_LOWER}(:${p})`];
      const sql = m.comparator === 'contains' ? `instr(${col}, ${val}) > 0`
        : m.comparator === 'startswith' ? `substr(${col}, 1, length(${val})) = ${val}`
          : `substr(${col}, -length(${val})) = ${val}`;
      qb.andWhere(sql, { [p]: m.value });
    } else {
      const literal = m.value.replace(/[!%_]/g, '!$&');
      const pattern = m.comparator === 'contains' ? `%${literal}%` : m.comparator === 'startswith' ? `${literal}%` : `%${literal}`;
      const [col, val] = m.caseSensitive ? [column, `:${p}`] : [`LOWER(${column})`, `LOWER(:${p})`];
      qb.andWhere(`${col} COLLATE ${EXACT} LIKE ${val} ESCAPE '!'`, { [p]: pattern });
    }
  }
}

/** Lowers text as the `i` filters do on SQLite (JavaScript's Unicode lowering). */
export function sqliteLower(v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v;
}

/** Helper for services: the matches on the attributes a resource allows, keyed by column. */
export function allowedMatches(matches: TextMatches | undefined, columns: Readonly<Record<string, string>>): [string, readonly TextMatch[]][] {
  if (!matches) return [];
  return Object.entries(columns).flatMap(([attr, column]) => {
    const m = matches[attr];
    return m?.length ? [[column, m] as [string, readonly TextMatch[]]] : [];
  });
}
