import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { CheckSyntaxError, parseCheckList, parseCheckString } from './check-language.js';
import { PolicyError, type RuleOverride } from './policy.js';

/**
 * Reads an oslo.policy file (YAML, or JSON, which YAML reads too): a mapping of rule names to
 * check strings (or the legacy list form). Every problem is collected and reported with the
 * rule's line and the character in its check string, so an operator fixes the file in one go.
 */
export function readPolicyFile(path: string): RuleOverride[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PolicyError(path, [`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  return parsePolicyText(text, path);
}

/** Parses the text of a policy file; `source` names it in messages. */
export function parsePolicyText(text: string, source: string): RuleOverride[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: string[] = [];
  for (const e of doc.errors) {
    const at = lines.linePos(e.pos[0]);
    problems.push(`line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`);
  }
  if (problems.length) throw new PolicyError(source, problems);
  const rules: RuleOverride[] = [];
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return rules;
  if (!isMap(root)) throw new PolicyError(source, ['the file must be a mapping of rule names to check strings']);
  for (const pair of root.items) {
    const line = pair.key && isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : undefined;
    const name = isScalar(pair.key) ? pair.key.value : undefined;
    const at = `line ${line ?? '?'}`;
    if (typeof name !== 'string' || !name) {
      problems.push(`${at}: a rule name must be a non-empty string`);
      continue;
    }
    const value = pair.value;
    try {
      if (isScalar(value) && typeof value.value === 'string') {
        rules.push({ name, check: parseCheckString(value.value), text: value.value, line });
      } else if (isScalar(value) && value.value === null) {
        // `rule:` with nothing after it: YAML null, which oslo.policy reads as "always allowed".
        rules.push({ name, check: parseCheckString(''), text: '', line });
      } else if (isSeq(value)) {
        const list = value.toJSON() as unknown[];
        rules.push({ name, check: parseCheckList(list), text: JSON.stringify(list), line });
      } else {
        problems.push(`rule "${name}" (${at}): the check must be a string`);
      }
    } catch (e) {
      if (!(e instanceof CheckSyntaxError)) throw e;
      problems.push(`rule "${name}" (${at}): ${e.message} of its check string`);
    }
  }
  if (problems.length) throw new PolicyError(source, problems);
  return rules;
}
