import { KEYSTONE_RULES } from './keystone-rules.js';
import { LINTEL_RULES } from './lintel-rules.js';
import { Policy } from './policy.js';
import { readPolicyFile } from './policy-file.js';
import type { RuleDefault } from './rule-default.js';

/** Every rule Lintel knows before a policy file: Keystone's defaults, then Lintel's own. */
export const DEFAULT_RULES: readonly RuleDefault[] = [...KEYSTONE_RULES, ...LINTEL_RULES];

/** Where the policy comes from (LINTEL_POLICY_FILE, LINTEL_POLICY_ENFORCE_SCOPE). */
export interface PolicySettings {
  readonly file: string | undefined;
  readonly enforceScope: boolean;
}

/**
 * The effective policy: the defaults with the operator's file (if any) in their place. Throws a
 * PolicyError naming every bad rule and where it is; the entry points turn it into exit code 2.
 */
export function loadPolicy(settings: PolicySettings): Policy {
  const overrides = settings.file ? readPolicyFile(settings.file) : [];
  return Policy.build({ defaults: DEFAULT_RULES, overrides, enforceScope: settings.enforceScope, source: settings.file ?? 'built-in policy' });
}
