import type { EntityManager } from 'typeorm';
import type { LintelConfig } from '@lintel/config';
import { CredentialCipher, LintelDataSource } from '@lintel/domain';
import { ImportContext, Tally } from './context.js';
import { FernetKeyError, KeystoneCredentialKeys } from './keystone-fernet.js';
import { JsonLinesReporter, TerminalReporter, type ImportSummary, type Reporter } from './report.js';
import { checkKeystoneSchema, SchemaRefusedError } from './schema.js';
import { maskUrl, openSource, resolveSource, SourceUrlError } from './source.js';
import { STEPS } from './steps/index.js';

/**
 * `manage import keystone`: copies a Keystone database into Lintel's, ids kept
 * (docs/migrating-from-keystone.md). Everything is written in one transaction of the target:
 * an error anywhere leaves Lintel's database as it was. A re-run updates what changed and
 * creates what is new; it never duplicates and never deletes.
 */
export interface KeystoneImportOptions {
  /** Keystone's `[database] connection`, or a keystone.conf that names it. */
  from: string;
  /** Keystone's `[credential] key_repository` (from the keystone.conf when `from` is one). */
  credentialKeys?: string;
  dryRun?: boolean;
}

/** The import cannot start (bad source, schema, keys, or target); nothing was written. */
export class ImportRefusedError extends Error {}

export async function importKeystone(config: LintelConfig, o: KeystoneImportOptions, reporter: Reporter): Promise<ImportSummary> {
  const started = Date.now();
  const dryRun = o.dryRun === true;
  const source = (() => {
    try {
      return resolveSource(o.from, o.credentialKeys);
    } catch (e) {
      throw e instanceof SourceUrlError ? new ImportRefusedError(e.message) : e;
    }
  })();
  const src = await openSource(source.url).catch((e: unknown) => {
    throw e instanceof SourceUrlError ? new ImportRefusedError(e.message) : e;
  });
  let ds: LintelDataSource | undefined;
  try {
    const schema = await checkKeystoneSchema(src).catch((e: unknown) => {
      throw e instanceof SchemaRefusedError ? new ImportRefusedError(e.message) : e;
    });
    let fernet: KeystoneCredentialKeys | undefined;
    try {
      fernet = source.credentialKeys ? new KeystoneCredentialKeys(source.credentialKeys) : undefined;
    } catch (e) {
      throw e instanceof FernetKeyError ? new ImportRefusedError(e.message) : e;
    }
    const [{ n }] = (await src.all(`SELECT COUNT(*) AS n FROM ${src.q('credential')}`)) as [{ n: unknown }];
    if (Number(n) > 0 && !fernet) {
      throw new ImportRefusedError(`the Keystone database holds ${Number(n)} credentials, sealed with Keystone's credential keys: give their directory with --credential-keys (Keystone's [credential] key_repository, /etc/keystone/credential-keys)`);
    }

    ds = await LintelDataSource.open(config.database);
    if (await ds.showMigrations()) throw new ImportRefusedError('the Lintel database is not up to date: run "manage db migrate" first');
    const cipher = new CredentialCipher(config);
    try {
      cipher.reload();
    } catch (e) {
      throw new ImportRefusedError(`Lintel's credential keys (${config.credential.keysDir}): ${(e as Error).message}; run "manage credential-keys setup" first`);
    }

    reporter.start({ source: src.shown, schema, target: `${config.database.kind === 'sqlite' ? 'sqlite:' : ''}${maskUrl(config.database.url)}`, dryRun });
    const tallies: Tally[] = [];
    const work = async (m: EntityManager) => {
      const ctx = new ImportContext(src, m, dryRun, cipher, fernet, config.database.kind === 'mysql');
      for (const step of STEPS) {
        const t = new Tally(step.name, await step.count(ctx));
        if (step.optional && t.total === 0) continue;
        const began = Date.now();
        t.watch((x) => reporter.progress(x, Date.now() - began));
        reporter.tableStart(t);
        await step.run(ctx, t);
        t.seconds = (Date.now() - began) / 1000;
        reporter.tableEnd(t);
        tallies.push(t);
      }
      await ctx.writeRevocations();
    };
    if (dryRun) await work(ds.manager);
    else await ds.writes.transaction(work);
    const summary = { dryRun, seconds: (Date.now() - started) / 1000, tallies };
    reporter.summary(summary);
    return summary;
  } finally {
    await src.close().catch(() => undefined);
    await ds?.destroy().catch(() => undefined);
  }
}

/**
 * Runs the command and returns its exit status: 0 when everything was imported, 3 when the
 * import committed (or, dry, would commit) but refused some rows (the summary says which and
 * why), 1 when it failed and wrote nothing.
 */
export async function runKeystoneImport(config: LintelConfig, o: KeystoneImportOptions & { json?: boolean }): Promise<number> {
  const write = (s: string) => void process.stdout.write(s);
  const reporter = process.stdout.isTTY && !o.json ? new TerminalReporter(write) : new JsonLinesReporter(write);
  try {
    const summary = await importKeystone(config, o, reporter);
    return summary.tallies.some((t) => t.refused > 0) ? 3 : 0;
  } catch (e) {
    reporter.error(e instanceof ImportRefusedError ? e.message : `${(e as Error).message} (the transaction was rolled back)`);
    return 1;
  }
}
