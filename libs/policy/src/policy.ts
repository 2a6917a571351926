import {
  CheckSyntaxError, compileCheck, flatLookup, formatCheck, MISSING, nestedValue, parseCheckString, ruleReferences, targetKeys,
  type CheckNode, type Credentials, type Evaluator, type FlatTarget, type TargetLookup,
} from './check-language.js';
import type { RuleDefault, TokenScope } from './rule-default.js';

/** One rule of a policy file, already parsed; `line` locates it in the file for messages. */
export interface RuleOverride {
  readonly name: string;
  readonly check: CheckNode;
  /** The check as written (a string, or the JSON of a list rule). */
  readonly text: string;
  readonly line?: number;
}

/** A policy that cannot be used: each problem names the rule and where it is. */
export class PolicyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}:\n  ${problems.join('\n  ')}`);
  }
}

/** What the engine gets for one decision (Keystone's policy dict before flattening). */
export interface PolicyInput {
  /** The route's own arguments under Keystone's names (`user_id`, `project_id`, ...). */
  readonly args?: Readonly<Record<string, unknown>>;
  /** What the request touches, as read from the database (`{ user: {...}, project: {...} }`). */
  readonly target?: Readonly<Record<string, unknown>>;
  /** The request body: visible to rules only under `request_body.`, never as trusted data. */
  readonly body?: unknown;
  /** Query filters: visible to rules only under `filter_attr.`. */
  readonly filters?: Readonly<Record<string, unknown>>;
}

/** One effective rule, as `manage policy list` prints it. */
export interface EffectiveRule {
  readonly name: string;
  readonly check: string;
  readonly source: 'default' | 'file';
  readonly scopes?: readonly TokenScope[];
  readonly operations?: readonly string[];
  readonly description?: string;
  /** The default's check string when the file overrides it. */
  readonly defaultCheck?: string;
}

interface Compiled {
  readonly node: CheckNode;
  readonly text: string;
  readonly source: 'default' | 'file';
  readonly defaults?: RuleDefault;
  evaluate: Evaluator;
}

/**
 * A compiled policy: the defaults, with a policy file's rules in their place. Every `rule:`
 * reference must name a rule and no rule may refer to itself through others; every rule is
 * compiled once, so a decision costs a few closure calls.
 */
export class Policy {
  private readonly rules = new Map<string, Compiled>();
  private readonly keysCache = new Map<string, ReadonlySet<string>>();

  private constructor(
    private readonly enforceScope: boolean,
    source: string,
    defaults: readonly RuleDefault[],
    overrides: readonly RuleOverride[],
  ) {
    const problems: string[] = [];
    for (const d of defaults) {
      try {
        this.rules.set(d.name, { node: parseCheckString(d.check), text: d.check, source: 'default', defaults: d, evaluate: () => false });
      } catch (e) {
        throw new Error(`built-in rule ${d.name} does not parse: ${(e as Error).message}`);
      }
    }
    for (const o of overrides) {
      this.rules.set(o.name, { node: o.check, text: o.text, source: 'file', defaults: this.rules.get(o.name)?.defaults, evaluate: () => false });
    }
    const where = (name: string) => {
      const o = overrides.find((x) => x.name === name);
      return o ? `rule "${name}"${o.line ? ` (line ${o.line})` : ''}` : `built-in rule "${name}"`;
    };
    for (const [name, r] of this.rules) {
      for (const ref of ruleReferences(r.node)) {
        if (!this.rules.has(ref.name)) problems.push(`${where(name)}: rule:${ref.name} at character ${ref.at + 1} names no rule`);
      }
    }
    for (const name of this.rules.keys()) {
      const cycle = this.cycleFrom(name);
      if (cycle) problems.push(`${where(name)}: refers to itself (${cycle.join(' -> ')})`);
    }
    if (problems.length) throw new PolicyError(source, problems);
    for (const r of this.rules.values()) r.evaluate = compileCheck(r.node, (n) => this.rules.get(n)?.evaluate);
  }

  /** Compiles `defaults` with `overrides` (a policy file's rules) in their place. */
  static build(opts: { defaults: readonly RuleDefault[]; overrides?: readonly RuleOverride[]; enforceScope: boolean; source?: string }): Policy {
    return new Policy(opts.enforceScope, opts.source ?? 'policy', opts.defaults, opts.overrides ?? []);
  }

  has(action: string): boolean {
    return this.rules.has(action);
  }

  /**
   * Whether `creds` may perform `action` on `input`. With scope enforcement, a token whose scope
   * the rule is not meant for is refused first (oslo.policy's `enforce_scope`). An unknown
   * action is refused.
   */
  allows(action: string, creds: Credentials, input: PolicyInput | FlatTarget, flat = false): boolean {
    const r = this.rules.get(action);
    if (!r) return false;
    const scopes = r.defaults?.scopes;
    if (this.enforceScope && scopes && !scopes.includes(tokenScope(creds))) return false;
    return r.evaluate(flat ? flatLookup(input as FlatTarget) : inputLookup(input as PolicyInput), creds);
  }

  /** Every target key `action` may substitute, following `rule:` references. */
  targetKeysOf(action: string): ReadonlySet<string> {
    let keys = this.keysCache.get(action);
    if (!keys) {
      const out = new Set<string>();
      const seen = new Set<string>();
      const walk = (name: string) => {
        const r = this.rules.get(name);
        if (!r || seen.has(name)) return;
        seen.add(name);
        targetKeys(r.node, out);
        for (const ref of ruleReferences(r.node)) walk(ref.name);
      };
      walk(action);
      keys = out;
      this.keysCache.set(action, keys);
    }
    return keys;
  }

  /** Whether `action` may look at any target key starting with `prefix`. */
  reads(action: string, prefix: string): boolean {
    for (const k of this.targetKeysOf(action)) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** The effective rules, defaults first in their order, then the file's own extra rules. */
  effective(): EffectiveRule[] {
    return [...this.rules.entries()].map(([name, r]) => ({
      name,
      check: r.text,
      source: r.source,
      scopes: r.defaults?.scopes,
      operations: r.defaults?.operations,
      description: r.defaults?.description,
      defaultCheck: r.source === 'file' && r.defaults ? r.defaults.check : undefined,
    }));
  }

  /** The check string of a rule in normalised form (for messages and tests). */
  normalised(action: string): string | undefined {
    const r = this.rules.get(action);
    return r ? formatCheck(r.node) : undefined;
  }

  private cycleFrom(start: string): string[] | undefined {
    const path: string[] = [];
    const onPath = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string): string[] | undefined => {
      if (onPath.has(name)) return name === start ? [...path, name] : undefined;
      if (done.has(name)) return undefined;
      const r = this.rules.get(name);
      if (!r) return undefined;
      path.push(name);
      onPath.add(name);
      for (const ref of ruleReferences(r.node)) {
        const c = visit(ref.name);
        if (c) return c;
      }
      path.pop();
      onPath.delete(name);
      done.add(name);
      return undefined;
    };
    return visit(start);
  }
}

/** oslo.policy's reading of a token's scope: system, else domain, else project (unscoped included). */
export function tokenScope(creds: Credentials): TokenScope {
  if (creds.system_scope) return 'system';
  if (creds.domain_id) return 'domain';
  return 'project';
}

/**
 * Keystone's policy dict, looked up without being built: route arguments at the top, then
 * `target.*`, the body under `request_body.*` and filters under `filter_attr.*` (so neither can
 * stand in for the target read from the database). Each key resolves as if the dict had been
 * flattened (docs/policy.md, "Targets"); a decision flattens nothing.
 */
export function inputLookup(input: PolicyInput): TargetLookup {
  return (_key, path) => {
    switch (path[0]) {
      case 'target':
        return input.target ? nestedValue(input.target, path, 1) : MISSING;
      case 'request_body':
        return input.body !== undefined ? nestedValue(input.body, path, 1) : MISSING;
      case 'filter_attr':
        return input.filters ? nestedValue(input.filters, path, 1) : MISSING;
      default:
        return input.args ? nestedValue(input.args, path, 0) : MISSING;
    }
  };
}

/** The same dict flattened (`target.user.domain_id` → value), as oslo.policy receives it; for tests and tools. */
export function flattenInput(input: PolicyInput): FlatTarget {
  const out: FlatTarget = {};
  if (input.args) flattenInto(out, input.args, '');
  if (input.target) flattenInto(out, input.target, 'target.');
  if (input.body && typeof input.body === 'object' && !Array.isArray(input.body)) flattenInto(out, input.body as Record<string, unknown>, 'request_body.');
  if (input.filters) flattenInto(out, input.filters, 'filter_attr.');
  return out;
}

function flattenInto(out: FlatTarget, obj: Readonly<Record<string, unknown>>, prefix: string): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) flattenInto(out, v as Record<string, unknown>, `${prefix}${k}.`);
    else out[prefix + k] = v instanceof Date ? v.toISOString() : v;
  }
}

export { CheckSyntaxError };
