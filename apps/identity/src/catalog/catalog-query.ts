/** Query-string readers shared by the catalog admin controllers. */

export type Query = Record<string, unknown>;

/** A filter's value; a repeated parameter counts by its first value, as Flask's `args.get` does. */
export function filter(q: Query, key: string): string | undefined {
  const v = Array.isArray(q[key]) ? (q[key] as unknown[])[0] : q[key];
  return typeof v === 'string' ? v : undefined;
}
