/** An access rule as a token shows it: a service type, a method and a path pattern. */
export interface TokenAccessRule {
  id: string;
  service: string;
  path: string;
  method: string;
}

/** The application credential a token was issued from, as its body shows it (`application_credential`). */
export interface TokenAppCred {
  id: string;
  name: string;
  /** Keystone shows `restricted`, its negation; a credential created without the flag is restricted. */
  unrestricted: boolean;
  /** Absent when the credential has no access rules (nothing is restricted by path). */
  accessRules?: TokenAccessRule[];
}
