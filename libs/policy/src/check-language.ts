/**
 * The oslo.policy check language (docs/policy.md, "The check language"): parsed once into a tree,
 * then compiled into plain closures so that evaluating a rule per request costs a few function
 * calls and no string work beyond the `%(key)s` substitutions the rule itself asks for.
 *
 * What a check means follows oslo.policy exactly, including its quirks:
 * - `role:x` compares role names case-insensitively;
 * - `kind:match` where `kind` is a Python literal (`'member'`, `True`, `None`, `1`) compares the
 *   literal's text with the substituted match; any other `kind` is a dotted path into the
 *   credentials (lists along the path match when any element does);
 * - values are compared as Python would print them (`None`, `True`, `False`);
 * - a `%(key)s` naming a key the target lacks makes that check false, never an error;
 * - `rule:x` evaluates another rule; `@` is always true, `!` always false.
 */

/** A parsed check expression. */
export type CheckNode =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'not'; check: CheckNode }
  | { kind: 'and'; checks: CheckNode[] }
  | { kind: 'or'; checks: CheckNode[] }
  | { kind: 'rule'; name: string; at: number }
  | { kind: 'role'; match: Template }
  | { kind: 'literal'; value: string; match: Template }
  | { kind: 'path'; path: string[]; match: Template };

/**
 * A match string split into literal text and `%(key)s` substitutions: `parts` alternates text
 * and key (text, key, text, ..., text); `paths` holds each key split at its dots, for looking
 * it up in a nested target without flattening it.
 */
export interface Template {
  parts: string[];
  paths: string[][];
}

/** A check string that does not parse; `position` is the 0-based character offset. */
export class CheckSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at character ${position + 1}`);
  }
}

type Token =
  | { t: '(' | ')' | 'and' | 'or' | 'not'; at: number }
  | { t: 'check'; text: string; at: number };

/**
 * Splits a check string as oslo.policy does: on whitespace, with any number of `(` peeled off the
 * front of a word and `)` off its end. A whole word in quotes is not a check and is refused.
 */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const word = /\S+/g;
  for (let m = word.exec(src); m; m = word.exec(src)) {
    let text = m[0];
    let at = m.index;
    while (text.startsWith('(')) {
      out.push({ t: '(', at });
      text = text.slice(1);
      at++;
    }
    if (!text) continue;
    let trail = 0;
    while (text.endsWith(')')) {
      text = text.slice(0, -1);
      trail++;
    }
    if (text) {
      const lowered = text.toLowerCase();
      if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
        out.push({ t: lowered, at });
      } else {
        const full = m[0].slice(at - m.index);
        if (full.length >= 2 && (full[0] === '"' || full[0] === "'") && full[full.length - 1] === full[0]) {
          throw new CheckSyntaxError(`a quoted string (${full}) is not a check`, at);
        }
        out.push({ t: 'check', text, at });
      }
    }
    for (let i = 0; i < trail; i++) out.push({ t: ')', at: at + text.length + i });
  }
  return out;
}

/** Parses `%(key)s` substitutions; `%%` is a literal percent sign, any other `%` is refused. */
export function parseTemplate(match: string, at: number): Template {
  const parts: string[] = [];
  const paths: string[][] = [];
  let text = '';
  for (let i = 0; i < match.length; i++) {
    const c = match[i]!;
    if (c !== '%') {
      text += c;
      continue;
    }
    if (match[i + 1] === '%') {
      text += '%';
      i++;
      continue;
    }
    const m = /^%\(([^)]*)\)s/.exec(match.slice(i));
    if (!m) throw new CheckSyntaxError(`a '%' in '${match}' must start a %(name)s substitution`, at + i);
    parts.push(text, m[1]!);
    paths.push(m[1]!.split('.'));
    text = '';
    i += m[0].length - 1;
  }
  parts.push(text);
  return { parts, paths };
}

/**
 * The value of a Python literal written as a check's kind (`'member'`, `"x"`, `True`, `False`,
 * `None`, an integer), as Python would print it; undefined when the kind is not a literal.
 */
function literalText(kind: string): string | undefined {
  if (kind === 'True' || kind === 'False' || kind === 'None') return kind;
  if (/^[+-]?\d+$/.test(kind)) return String(BigInt(kind));
  if (kind.length >= 2 && (kind[0] === "'" || kind[0] === '"') && kind[kind.length - 1] === kind[0]) {
    const inner = kind.slice(1, -1);
    if (!inner.includes('\\') && !inner.includes(kind[0]!)) return inner;
  }
  return undefined;
}

function parseCheck(text: string, at: number): CheckNode {
  if (text === '@') return { kind: 'true' };
  if (text === '!') return { kind: 'false' };
  const colon = text.indexOf(':');
  if (colon < 0) throw new CheckSyntaxError(`'${text}' is not of the form kind:match`, at);
  const kind = text.slice(0, colon);
  const matchText = text.slice(colon + 1);
  const matchAt = at + colon + 1;
  if (kind === 'rule') return { kind: 'rule', name: matchText, at };
  if (kind === 'http' || kind === 'https') {
    throw new CheckSyntaxError(`'${kind}:' checks (a remote policy server) are not supported`, at);
  }
  const match = parseTemplate(matchText, matchAt);
  if (kind === 'role') return { kind: 'role', match };
  const value = literalText(kind);
  if (value !== undefined) return { kind: 'literal', value, match };
  if (!kind || /[\s'"()]/.test(kind)) throw new CheckSyntaxError(`'${kind}' is neither a literal nor a credential path`, at);
  return { kind: 'path', path: kind.split('.'), match };
}

/**
 * Parses a check string: `not` binds tighter than `and`, which binds tighter than `or`
 * (oslo.policy's grammar). The empty string is always true.
 */
export function parseCheckString(src: string): CheckNode {
  if (src === '') return { kind: 'true' };
  const tokens = tokenize(src);
  if (!tokens.length) throw new CheckSyntaxError('the rule is blank', 0);
  let i = 0;
  const end = src.length;
  const peek = () => tokens[i];
  const fail = (why: string): never => {
    throw new CheckSyntaxError(why, peek()?.at ?? end);
  };

  const parseOr = (): CheckNode => {
    const checks = [parseAnd()];
    while (peek()?.t === 'or') {
      i++;
      checks.push(parseAnd());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'or', checks };
  };
  const parseAnd = (): CheckNode => {
    const checks = [parseUnary()];
    while (peek()?.t === 'and') {
      i++;
      checks.push(parseUnary());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'and', checks };
  };
  const parseUnary = (): CheckNode => {
    const tok = peek();
    if (!tok) return fail('the rule ends where a check was expected');
    if (tok.t === 'not') {
      i++;
      return { kind: 'not', check: parseUnary() };
    }
    if (tok.t === '(') {
      i++;
      const inner = parseOr();
      if (peek()?.t !== ')') fail("expected ')'");
      i++;
      return inner;
    }
    if (tok.t === 'check') {
      i++;
      return parseCheck(tok.text, tok.at);
    }
    return fail(`unexpected '${tok.t}'`);
  };

  const tree = parseOr();
  if (i < tokens.length) fail(`unexpected '${tokens[i]!.t === 'check' ? (tokens[i] as { text: string }).text : tokens[i]!.t}'`);
  return tree;
}

/**
 * The legacy list form (`[["role:a", "role:b"], ["rule:c"]]`): an `or` of `and`s of single
 * checks. An empty list is always true; a list of empty lists never is.
 */
export function parseCheckList(list: unknown[]): CheckNode {
  if (!list.length) return { kind: 'true' };
  const alternatives: CheckNode[] = [];
  for (const inner of list) {
    const all = typeof inner === 'string' ? [inner] : inner;
    if (!Array.isArray(all) || all.some((c) => typeof c !== 'string')) throw new CheckSyntaxError('a list rule holds lists of check strings', 0);
    if (!all.length) continue;
    const checks = (all as string[]).map((c) => parseCheck(c, 0));
    alternatives.push(checks.length === 1 ? checks[0]! : { kind: 'and', checks });
  }
  if (!alternatives.length) return { kind: 'false' };
  return alternatives.length === 1 ? alternatives[0]! : { kind: 'or', checks: alternatives };
}

/** Every `rule:x` reference in a tree, with its position. */
export function ruleReferences(node: CheckNode, out: { name: string; at: number }[] = []): { name: string; at: number }[] {
  switch (node.kind) {
    case 'rule':
      out.push({ name: node.name, at: node.at });
      break;
    case 'not':
      ruleReferences(node.check, out);
      break;
    case 'and':
    case 'or':
      for (const c of node.checks) ruleReferences(c, out);
      break;
    default:
  }
  return out;
}

/** Every target key a tree substitutes (`%(key)s`), not following `rule:` references. */
export function targetKeys(node: CheckNode, out = new Set<string>()): Set<string> {
  switch (node.kind) {
    case 'not':
      targetKeys(node.check, out);
      break;
    case 'and':
    case 'or':
      for (const c of node.checks) targetKeys(c, out);
      break;
    case 'role':
    case 'literal':
    case 'path':
      for (let i = 1; i < node.match.parts.length; i += 2) out.add(node.match.parts[i]!);
      break;
    default:
  }
  return out;
}

/** Prints a tree back as a check string (normalised spacing and parentheses). */
export function formatCheck(node: CheckNode, top = true): string {
  const tpl = (m: Template) => m.parts.map((p, i) => (i % 2 ? `%(${p})s` : p.replace(/%/g, '%%'))).join('');
  switch (node.kind) {
    case 'true':
      return top ? '' : '@';
    case 'false':
      return '!';
    case 'not':
      return `not ${formatCheck(node.check, false)}`;
    case 'and':
    case 'or': {
      const s = node.checks.map((c) => formatCheck(c, false)).join(` ${node.kind} `);
      return top ? s : `(${s})`;
    }
    case 'rule':
      return `rule:${node.name}`;
    case 'role':
      return `role:${tpl(node.match)}`;
    case 'literal':
      return `${/^(True|False|None|[+-]?\d+)$/.test(node.value) ? node.value : `'${node.value}'`}:${tpl(node.match)}`;
    case 'path':
      return `${node.path.join('.')}:${tpl(node.match)}`;
  }
}

// ------------------------------------------------------------------ evaluation

/** A target already flattened (`target.user.domain_id` → value), as oslo.policy receives it. */
export type FlatTarget = Record<string, unknown>;
/** The caller's credentials (oslo.context's policy values plus Keystone's `token`). */
export type Credentials = Record<string, unknown>;

/** The value of `%(key)s` in the target (its dotted `path` given split), or MISSING. */
export type TargetLookup = (key: string, path: readonly string[]) => unknown;
export type Evaluator = (lookup: TargetLookup, creds: Credentials) => boolean;

/** What a lookup returns for a key the target lacks: the check fails, as oslo.policy's KeyError. */
export const MISSING: unique symbol = Symbol('missing');

/** Looks keys up in a flattened target. */
export const flatLookup = (flat: FlatTarget): TargetLookup => (key) => (Object.prototype.hasOwnProperty.call(flat, key) ? flat[key] : MISSING);

/**
 * Looks a dotted key up in nested objects exactly as if they had been flattened (Keystone's
 * `flatten_dict`): only leaves (values that are not plain objects) have keys, and a property
 * whose own name holds dots is matched too. Nothing is copied.
 */
export function nestedValue(root: unknown, path: readonly string[], from = 0): unknown {
  let node = root;
  for (let i = from; i < path.length; i++) {
    if (!isPlainObject(node)) return MISSING;
    const seg = path[i]!;
    if (Object.prototype.hasOwnProperty.call(node, seg)) {
      const v = (node as Record<string, unknown>)[seg];
      if (i === path.length - 1) return isPlainObject(v) ? MISSING : v;
      if (isPlainObject(v)) {
        node = v;
        continue;
      }
    }
    // A property whose name itself has dots ("scope.OS-INHERIT:inherited_to"): try longer names.
    let name = seg;
    for (let j = i + 1; j < path.length; j++) {
      name += `.${path[j]}`;
      if (!Object.prototype.hasOwnProperty.call(node, name)) continue;
      const v = (node as Record<string, unknown>)[name];
      if (j === path.length - 1) return isPlainObject(v) ? MISSING : v;
      if (isPlainObject(v)) {
        const found = nestedValue(v, path, j + 1);
        if (found !== MISSING) return found;
      }
    }
    return MISSING;
  }
  return MISSING;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** How Python's `str()` prints a value (what oslo.policy compares). */
export function pythonText(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return pythonRepr(v);
}

function pythonRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pythonRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
  return pythonText(v);
}

/** Substitutes a template; MISSING when a key is absent from the target. */
function substitute(m: Template, lookup: TargetLookup): string | typeof MISSING {
  const p = m.parts;
  if (p.length === 1) return p[0]!;
  let s = p[0]!;
  for (let i = 1; i < p.length; i += 2) {
    const v = lookup(p[i]!, m.paths[(i - 1) >> 1]!);
    if (v === MISSING) return MISSING;
    s += pythonText(v instanceof Date ? v.toISOString() : v) + p[i + 1]!;
  }
  return s;
}

/** oslo.policy's walk of a dotted path through the credentials; lists match when any element does. */
function findIn(value: unknown, path: string[], from: number, match: string): boolean {
  if (from === path.length) return match === pythonText(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const key = path[from]!;
  if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
  const next = (value as Record<string, unknown>)[key];
  if (Array.isArray(next)) return next.some((v) => findIn(v, path, from + 1, match));
  return findIn(next, path, from + 1, match);
}

/** Returns the roles of the credentials, lower-cased once per credentials object. */
const loweredRoles = new WeakMap<Credentials, Set<string>>();
function rolesOf(creds: Credentials): Set<string> {
  let set = loweredRoles.get(creds);
  if (!set) {
    const roles = creds.roles;
    set = new Set(Array.isArray(roles) ? roles.map((r) => String(r).toLowerCase()) : []);
    loweredRoles.set(creds, set);
  }
  return set;
}

/**
 * Compiles a tree into a closure. `resolve` gives the compiled evaluator of a named rule at call
 * time (rules may be compiled in any order); an unknown name evaluates false, as in oslo.policy.
 */
export function compileCheck(node: CheckNode, resolve: (name: string) => Evaluator | undefined): Evaluator {
  switch (node.kind) {
    case 'true':
      return () => true;
    case 'false':
      return () => false;
    case 'not': {
      const inner = compileCheck(node.check, resolve);
      return (t, c) => !inner(t, c);
    }
    case 'and': {
      const all = node.checks.map((x) => compileCheck(x, resolve));
      return (t, c) => {
        for (const f of all) if (!f(t, c)) return false;
        return true;
      };
    }
    case 'or': {
      const any = node.checks.map((x) => compileCheck(x, resolve));
      return (t, c) => {
        for (const f of any) if (f(t, c)) return true;
        return false;
      };
    }
    case 'rule': {
      const name = node.name;
      return (t, c) => resolve(name)?.(t, c) ?? false;
    }
    case 'role': {
      const m = node.match;
      const fixed = m.parts.length === 1 ? m.parts[0]!.toLowerCase() : undefined;
      return (t, c) => {
        if (fixed !== undefined) return rolesOf(c).has(fixed);
        const s = substitute(m, t);
        return s !== MISSING && rolesOf(c).has(s.toLowerCase());
      };
    }
    case 'literal': {
      const { value, match } = node;
      return (t) => substitute(match, t) === value;
    }
    case 'path': {
      const { path, match } = node;
      return (t, c) => {
        const s = substitute(match, t);
        return s !== MISSING && findIn(c, path, 0, s);
      };
    }
  }
}
