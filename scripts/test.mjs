#!/usr/bin/env node
// Runs every compiled unit spec (*.spec.js) and e2e suite (*.e2e-spec.js) under dist/ with
// Node's built-in test runner. `npm test` builds first (pretest). Extra arguments are passed on
// to `node --test` (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (/\.(e2e-)?spec\.js$/.test(name)) out.push(p);
  }
  return out;
}

if (process.env.CI === 'true' && !process.env.LINTEL_TEST_MYSQL_URL) {
  console.error('CI=true but LINTEL_TEST_MYSQL_URL is not set: refusing to skip the MariaDB suite');
  process.exit(1);
}
const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = ['dist/libs', 'dist/apps', 'dist/test'].flatMap((d) => find(d)).filter((f) => !filter.length || filter.some((x) => f.includes(x))).sort();
if (!files.length) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
