import { InvalidInputError, type TagFilters, type TextComparator, type TextMatch, type TextMatches } from '@lintel/domain';
import { queryText } from '@lintel/platform';

const COMPARATORS: readonly string[] = ['contains', 'startswith', 'endswith'];

/**
 * Keystone's inexact list filters, `<attr>__<comparator>=<value>` (docs/keystone-resources-parity.md,
 * "Inexact filters"): the comparators are `contains`, `startswith`, `endswith`, case-sensitive,
 * and their `i`-prefixed case-insensitive forms. `text` names the string attributes a list
 * allows them on; unknown attributes and comparators are ignored, as Keystone does. A
 * comparator on a boolean attribute (`flags`) is a 400. A repeated parameter adds one filter
 * per value (all must match).
 */
export function textMatches(q: unknown, text: readonly string[], flags: readonly string[] = []): TextMatches {
  const out: Record<string, TextMatch[]> = {};
  for (const [key, raw] of Object.entries((q ?? {}) as Record<string, unknown>)) {
    const at = key.indexOf('__');
    if (at <= 0) continue;
    const attr = key.slice(0, at);
    let comparator = key.slice(at + 2);
    const caseSensitive = !comparator.startsWith('i');
    if (!caseSensitive) comparator = comparator.slice(1);
    if (!COMPARATORS.includes(comparator)) continue;
    if (flags.includes(attr)) throw new InvalidInputError(`Invalid filter ${key}: ${attr} is a boolean; ${comparator} applies to text only.`);
    if (!text.includes(attr)) continue;
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (typeof value === 'string') (out[attr] ??= []).push({ comparator: comparator as TextComparator, caseSensitive, value });
    }
  }
  return out;
}

/** `tags`, `tags-any`, `not-tags`, `not-tags-any`: comma-separated tag names (the first if repeated). */
export function tagFilters(q: unknown): TagFilters {
  const list = (name: string) => {
    const raw = (q as Record<string, unknown> | undefined)?.[name];
    const v = Array.isArray(raw) ? raw.find((x) => typeof x === 'string') : queryText(q, name);
    return typeof v === 'string' ? v.split(',') : undefined;
  };
  return { all: list('tags'), any: list('tags-any'), notAll: list('not-tags'), notAny: list('not-tags-any') };
}
