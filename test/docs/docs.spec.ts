import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

/**
 * The documentation as a reader meets it: README.md is a front page (docs/ holds the reference),
 * every relative link of README.md and docs/ leads to a file of the repository (and to a heading
 * of it, for an anchor), docs/operations.md lists every LINTEL_* variable the schema reads, and
 * no source file cites a document that is not in the repository. Reads the source tree, not dist/.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README_MAX_BYTES = 10 * 1024;

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.git')) continue;
    if (statSync(join(ROOT, p)).isDirectory()) walk(p, keep, out);
    else if (keep(name)) out.push(p);
  }
  return out;
}

/** The Markdown pages whose links must hold: the front page, docs/, and the READMEs of deploy/ and bench/. */
const PAGES = ['README.md', 'deploy/README.md', 'bench/README.md', ...walk('docs', (n) => n.endsWith('.md'))];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function headings(page: string): string[] {
  const text = read(page).replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]!);
}

function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings(page)) {
    const s = slug(h);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    out.add(n ? `${s}-${n}` : s);
  }
  return out;
}

/** Relative link targets of a Markdown page (inline links and images), code blocks and spans left out. */
function links(page: string): string[] {
  const text = read(page).replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));
}

describe('documentation', () => {
  test('README.md is a front page: at most 10 KiB, with the two-command quick start', () => {
    const size = statSync(join(ROOT, 'README.md')).size;
    assert.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes; reference belongs in docs/`);
    const readme = read('README.md');
    assert.match(readme, /^npm ci && npm start\b/m);
    assert.match(readme, /^npm test\b/m);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const s of ['start', 'test', 'build']) assert.ok(scripts[s], `package.json has a ${s} script`);
  });

  test('every relative link of README.md and docs/ resolves, anchors included', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const link of links(page)) {
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path ? relative(ROOT, resolve(ROOT, dirname(page), decodeURI(path))) : page;
        if (!existsSync(join(ROOT, target))) {
          broken.push(`${page}: ${link} (no ${target})`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${page}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  test('docs/operations.md documents every LINTEL_* variable of the configuration schema', () => {
    const schema = new Set(read('libs/config/src/env.schema.ts').match(/\bLINTEL_[A-Z0-9_]+(?=\?:)/g));
    assert.ok(schema.size > 40, 'the schema was read');
    const ops = read('docs/operations.md');
    const missing = [...schema].filter((v) => !ops.includes(`\`${v}\``));
    assert.deepEqual(missing, []);
  });
});

/** Source files whose comments may cite documents. */
const SOURCES = ['apps', 'libs', 'test', 'bench', 'scripts', 'deploy', '.ci']
  .flatMap((d) => walk(d, (n) => /\.(ts|tsx|mjs|js|sh|py|ya?ml)$/.test(n) || n === 'Dockerfile' || n === 'run'))
  .filter((p) => p !== join('test', 'docs', 'docs.spec.ts'));

/** Ways of citing a document that lives outside the repository (the team's contracts and notes). */
const OUTSIDE: Array<[RegExp, string]> = [
  [/\.\.\/shared\b|\/work\/|keystone-ref\b|STACK-NOTES|\bseeds?\/|\bseed \d{3}\b|\btranscripts? \d/, 'a path or name outside the repository'],
  [/(^|[^\w])§/, 'a section sign (cite docs/<page>.md, "<heading>")'],
  [/\bcontract (§|\d)|\bthe contract\b|\bKeystone contract\b/i, 'a contract section'],
  [/(^|[\s(])[A-C]\.\d{1,2}\b/, 'a section of the cloud key API contract'],
];

describe('code comments cite docs/ of this repository, or nothing', () => {
  test('no source file, and no page, cites a document outside the repository', () => {
    const found: string[] = [];
    for (const file of [...SOURCES, ...PAGES]) {
      read(file).split('\n').forEach((line, i) => {
        // RFCs are public and numbered for good: their sections may be cited.
        const text = line.replace(/RFC \d+ §[\d.]+/g, '');
        for (const [re, what] of OUTSIDE) if (re.test(text)) found.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(found, []);
  });

  test('every cited Markdown file exists, and every cited section is a heading of it', () => {
    const found: string[] = [];
    for (const file of SOURCES) {
      read(file).split('\n').forEach((line, i) => {
        for (const m of line.matchAll(/(?<![\w$}./-])((?:\.\.?\/)*[\w./-]*[\w-]+\.md)\b(?:,?\s*\(?"([^"]+)")?/g)) {
          const [, cited, section] = m;
          const target = cited!.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), cited!)) : cited!;
          if (!existsSync(join(ROOT, target))) {
            found.push(`${file}:${i + 1}: ${cited} is not a file of the repository`);
            continue;
          }
          if (section && !headings(target).some((h) => h.toLowerCase().includes(section.toLowerCase()))) {
            found.push(`${file}:${i + 1}: ${target} has no heading "${section}"`);
          }
        }
      });
    }
    assert.deepEqual(found, []);
  });
});
