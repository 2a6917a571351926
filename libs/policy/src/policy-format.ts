import type { EffectiveRule } from './policy.js';

/**
 * Prints rules as a policy file (YAML; each value a JSON string, which YAML reads as such), with
 * what oslopolicy-policy-generator shows above each rule: its description, the operations it
 * protects and its intended scopes; a rule the operator's file changed also shows the default.
 */
export function formatPolicy(rules: readonly EffectiveRule[], header?: string): string {
  const out: string[] = [];
  if (header) out.push(...header.split('\n').map((l) => `# ${l}`.trimEnd()), '');
  for (const r of rules) {
    if (r.description) out.push(`# ${r.description}`);
    for (const op of r.operations ?? []) out.push(`# ${op}`);
    if (r.scopes?.length) out.push(`# Intended scope(s): ${r.scopes.join(', ')}`);
    if (r.source === 'file') out.push(r.defaultCheck !== undefined ? `# Set by the policy file; the default is ${JSON.stringify(r.defaultCheck)}` : '# Defined by the policy file');
    out.push(`${JSON.stringify(r.name)}: ${JSON.stringify(r.check)}`, '');
  }
  return out.join('\n');
}
