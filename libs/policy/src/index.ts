export * from './check-language.js';
export * from './keystone-rules.js';
export * from './lintel-rules.js';
export * from './load-policy.js';
export * from './policy-file.js';
export * from './policy-format.js';
export * from './policy.js';
export * from './rule-default.js';
