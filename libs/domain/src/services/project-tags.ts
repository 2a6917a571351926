import { InvalidInputError } from '../errors.js';

/** Keystone's limits on project tags (docs/keystone-resources-parity.md, "Tags"). */
export const MAX_TAGS = 80;
export const MAX_TAG_LENGTH = 255;
const TAG_PATTERN = /^[^,/]*$/;

/** How Keystone's messages show a value: Python's repr, shortened when long. */
export function pyRepr(v: unknown, max = 120): string {
  const text = repr(v);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function repr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
      .replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
    return `${quote}${body}${quote}`;
  }
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
  return String(v);
}

const prefix = (path: string | undefined) => (path === undefined ? '' : `Invalid input for field '${path}': `);

/** One tag: a string of 1 to 255 characters without `,` or `/` (Keystone's wording when not). */
export function checkTag(v: unknown, path?: string): string {
  const p = prefix(path);
  if (typeof v !== 'string') throw new InvalidInputError(`${p}${pyRepr(v)} is not of type 'string'`);
  const length = [...v].length;
  if (length < 1) throw new InvalidInputError(`${p}'' is too short`);
  if (length > MAX_TAG_LENGTH) throw new InvalidInputError(`${p}${pyRepr(v)} is too long`);
  if (!TAG_PATTERN.test(v)) throw new InvalidInputError(`${p}${pyRepr(v)} does not match '^[^,/]*$'`);
  return v;
}

/** An array whose items are tags (`path` names the array; its items are `path/0`, ...). */
export function checkTagItems(v: unknown, path?: string): string[] {
  if (!Array.isArray(v)) throw new InvalidInputError(`${prefix(path)}${pyRepr(v)} is not of type 'array'`);
  v.forEach((t, i) => checkTag(t, path === undefined ? String(i) : `${path}/${i}`));
  return v as string[];
}

/** A whole tag list as Keystone checks it: valid items, at most 80, no repeats. */
export function checkTagList(v: unknown, path?: string): string[] {
  const tags = checkTagItems(v, path);
  if (tags.length > MAX_TAGS) throw new InvalidInputError(`${prefix(path)}${pyRepr(tags)} is too long`);
  if (new Set(tags).size !== tags.length) throw new InvalidInputError(`${prefix(path)}${pyRepr(tags)} has non-unique elements`);
  return tags;
}
