/** Small helpers for reading untyped request bodies and query strings, shared by the dialects. */

export type JsonObject = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keystone's truthy query strings (docs/keystone.md, "Errors"): `?flag` alone is true; 0/false/no/off/n/f are false. */
export function queryFlag(q: unknown, name: string): boolean {
  const v = (q as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return false;
  return !/^(0|false|no|off|n|f)$/i.test(String(v));
}

/** A query parameter given once as text, else undefined. */
export function queryText(q: unknown, name: string): string | undefined {
  const v = (q as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean query filter: undefined when absent, else Keystone's truthiness (docs/keystone.md, "Conventions"). */
export function queryBool(q: unknown, name: string): boolean | undefined {
  return (q as Record<string, unknown> | undefined)?.[name] === undefined ? undefined : queryFlag(q, name);
}

/** Field names whose values are secrets: validation messages name their type, never echo them. */
const SECRET_FIELDS = /(^|\/)(password|original_password|blob|secret|token|signature|id)$/;

/** How a validation message may describe a value: its JSON for ordinary fields, its type for secrets. */
export function describeValue(path: string, v: unknown): string {
  if (SECRET_FIELDS.test(path)) return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a value of type ${typeof v}`;
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The query parameters among `names` given once as text (Keystone's `filters=` for policy). */
export function queryPick(q: unknown, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = queryText(q, n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}
