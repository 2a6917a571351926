import type { EntityManager } from 'typeorm';

/**
 * The project hierarchy as SQL (recursive common table expressions, which SQLite and MariaDB
 * both run): one statement per question, walking `projects.parent_id` (indexed) instead of
 * loading the table. A top-level project's parent is its domain, which is no row of `projects`,
 * so every walk stops there. `UNION` (not `UNION ALL`) ends a walk even on a corrupt cycle.
 */

/** `?, ?, ?` for `n` values. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Every project below each of `roots` (the roots themselves excluded), by root, each sorted by id. */
export async function descendantsOf(m: EntityManager, roots: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(roots.map((r) => [r, []]));
  if (!roots.length) return out;
  const rows: Array<{ root: string; id: string }> = await m.query(
    `WITH RECURSIVE sub(root, id) AS (
       SELECT p.parent_id, p.id FROM projects p WHERE p.parent_id IN (${placeholders(roots.length)})
       UNION
       SELECT sub.root, p.id FROM projects p JOIN sub ON p.parent_id = sub.id
     ) SELECT root, id FROM sub`,
    [...roots],
  );
  for (const r of rows) if (r.id !== r.root) out.get(r.root)?.push(r.id);
  for (const ids of out.values()) ids.sort();
  return out;
}

/** The projects above `projectId`, nearest first up to the top-level one (the project itself excluded). */
export async function ancestorsOf(m: EntityManager, projectId: string): Promise<string[]> {
  const rows: Array<{ id: string }> = await m.query(
    `WITH RECURSIVE anc(id, parent_id) AS (
       SELECT p.id, p.parent_id FROM projects p JOIN projects s ON p.id = s.parent_id WHERE s.id = ?
       UNION
       SELECT p.id, p.parent_id FROM projects p JOIN anc ON p.id = anc.parent_id
     ) SELECT id FROM anc`,
    [projectId],
  );
  return rows.map((r) => r.id).filter((id) => id !== projectId);
}

/** The projects of each domain, by domain, each sorted by id. */
export async function projectsInDomains(m: EntityManager, domainIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(domainIds.map((d) => [d, []]));
  if (!domainIds.length) return out;
  const rows: Array<{ domain_id: string; id: string }> = await m.query(
    `SELECT domain_id, id FROM projects WHERE domain_id IN (${placeholders(domainIds.length)}) ORDER BY id`,
    [...domainIds],
  );
  for (const r of rows) out.get(r.domain_id)?.push(r.id);
  return out;
}
