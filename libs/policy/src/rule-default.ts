/** The kinds of token scope oslo.policy tells apart (an unscoped token counts as `project`). */
export type TokenScope = 'system' | 'domain' | 'project';

/** A rule as Lintel knows it before any policy file: its name, check string and documentation. */
export interface RuleDefault {
  readonly name: string;
  readonly check: string;
  /** The token scopes the rule is meant for; with scope enforcement on, other scopes are refused. */
  readonly scopes?: readonly TokenScope[];
  /** `METHOD /path` of each API operation the rule protects. */
  readonly operations?: readonly string[];
  /** What the rule protects, for `manage policy list` and the sample file (Lintel's own rules). */
  readonly description?: string;
}
