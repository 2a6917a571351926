/** User options of Keystone's multi-factor authentication rules (docs/keystone-totp-mfa.md). */
export const MFA_RULES_OPTION = 'multi_factor_auth_rules';
export const MFA_ENABLED_OPTION = 'multi_factor_auth_enabled';

type Options = Record<string, unknown> | null | undefined;

/**
 * The usable rules of a stored `multi_factor_auth_rules`: a list of non-empty lists of method
 * names, each without duplicates. The API refuses anything else, but what is stored is read
 * defensively as Keystone reads it: a value that is not a list means no rules at all, and a rule
 * that is not a non-empty list of strings is dropped, never an error.
 */
export function parseMfaRules(value: unknown): string[][] {
  if (!Array.isArray(value)) return [];
  const rules: string[][] = [];
  for (const r of value) {
    if (!Array.isArray(r) || !r.length || !r.every((m) => typeof m === 'string')) continue;
    rules.push([...new Set(r as string[])]);
  }
  return rules;
}

/** The user's rules when they apply: `multi_factor_auth_enabled` is true unless set to false. */
function activeRules(options: Options): string[][] {
  if (options?.[MFA_ENABLED_OPTION] === false) return [];
  return parseMfaRules(options?.[MFA_RULES_OPTION]);
}

/**
 * Whether the methods a request has proved (a receipt's included) satisfy the user's rules, as
 * Keystone's UserMFARulesValidator decides it. Only methods this server offers count: a rule is
 * cut down to those, and a rule left with none is ignored (upstream's fix for bug 2102096; before
 * it, such a rule let every login through). No rules, rules turned off, or only ignored rules:
 * nothing is required. Otherwise one rule must be covered entirely.
 */
export function mfaSatisfied(options: Options, methods: Iterable<string>, offered: Iterable<string>): boolean {
  const rules = activeRules(options);
  if (!rules.length) return true;
  const have = new Set(methods);
  const known = new Set(offered);
  let anyUsable = false;
  for (const rule of rules) {
    const usable = rule.filter((m) => known.has(m));
    if (!usable.length) continue;
    anyUsable = true;
    if (usable.every((m) => have.has(m))) return true;
  }
  return !anyUsable;
}

/**
 * A receipt's `required_auth_methods`: the rules (cut down to the offered methods) that share at
 * least one method with what the request has proved, i.e. the ways it can still be completed.
 */
export function requiredAuthMethods(options: Options, methods: Iterable<string>, offered: Iterable<string>): string[][] {
  const have = new Set(methods);
  const known = new Set(offered);
  return parseMfaRules(options?.[MFA_RULES_OPTION])
    .map((rule) => rule.filter((m) => known.has(m)))
    .filter((rule) => rule.some((m) => have.has(m)));
}
