import 'reflect-metadata';
import { Command } from 'commander';
import { runMain } from '@lintel/platform';
import { createManageContext } from './manage.module.js';
import { AuditService, CredentialService } from '@lintel/domain';
import { runKeystoneImport } from './import/keystone-import.js';
import { checkPolicy, listPolicy, samplePolicy } from './policy-commands.js';
import { bootstrap, credentialKeys, migrate, rotateCredentialKeys, tokenKeys } from './tasks.js';
import { runSeed } from './seed-command.js';

/** `lintel-manage`: Lintel's keystone-manage. Every command is idempotent. */
await runMain(async (config, logger) => {
  const program = new Command('lintel-manage').description("Lintel's keystone-manage").exitOverride();

  program.command('db').description('database schema').command('migrate').description('apply pending migrations')
    .action(async () => {
      const applied = await migrate(config);
      logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
    });

  program.command('bootstrap').description('create the Default domain, roles, admin user and project, and the catalog')
    .option('--bootstrap-password <password>', 'admin password (else LINTEL_ADMIN_PASSWORD, else the saved or a generated one)')
    .action(async (opts: { bootstrapPassword?: string }) => {
      const ctx = await createManageContext(config, logger);
      try {
        await bootstrap(ctx, config, logger, opts.bootstrapPassword);
      } finally {
        await ctx.close();
      }
    });

  const keys = program.command('token-keys').description('token signing key repository (staged / primary / retired)');
  keys.command('setup').description('create the repository if it does not exist').action(async () => {
    const created = await tokenKeys(config).setup();
    logger.info({ dir: config.token.keysDir }, created ? 'token key repository created' : 'token key repository already exists');
  });
  keys.command('rotate').description('promote the staged key to primary and stage a new one').action(async () => {
    const r = await tokenKeys(config).rotate();
    logger.info({ dir: config.token.keysDir, primary: r.primary, removed: r.removed }, 'token keys rotated');
  });

  const creds = program.command('credential-keys').description('keys that seal credential secrets (AES-256-GCM)');
  creds.command('setup').description('create the repository if it does not exist').action(async () => {
    const created = await credentialKeys(config).repo.setup();
    logger.info({ dir: config.credential.keysDir }, created ? 'credential key repository created' : 'credential key repository already exists');
  });
  creds.command('rotate').description('promote the staged key to primary (refused while a key to be pruned still seals rows)').action(async () => {
    const ctx = await createManageContext(config, logger);
    try {
      const r = await rotateCredentialKeys(ctx, config);
      logger.info({ dir: config.credential.keysDir, primary: r.primary, removed: r.removed }, 'credential keys rotated');
    } finally {
      await ctx.close();
    }
  });
  creds.command('migrate').description('re-seal every credential under the primary key (safe while serving)').action(async () => {
    const ctx = await createManageContext(config, logger);
    try {
      const n = await ctx.get(CredentialService).resealAll();
      logger.info({ resealed: n }, 'credentials re-sealed under the primary key');
    } finally {
      await ctx.close();
    }
  });

  program.command('audit').description('the CADF audit trail').command('list').description('print recent events, newest first, one JSON object a line (a running server stores its events within 0.2 s)')
    .option('--limit <n>', 'how many (1-1000)', '100')
    .option('--since <iso>', 'only events at or after this ISO 8601 time')
    .action(async (opts: { limit: string; since?: string }) => {
      const ctx = await createManageContext(config, logger);
      try {
        const since = opts.since ? new Date(opts.since) : undefined;
        if (since && Number.isNaN(since.getTime())) throw new Error('--since must be an ISO 8601 date-time');
        for (const e of await ctx.get(AuditService).list({ limit: Number(opts.limit), since })) process.stdout.write(`${JSON.stringify(e)}\n`);
      } finally {
        await ctx.close();
      }
    });

  program.command('seed').description('fill the database with a directory for load tests: N users, N/10 projects in trees, about 2N role assignments, N credentials (docs/performance.md)')
    .option('--users <n>', 'how many users', '1000000')
    .option('--password <password>', 'the password of every seeded user (else a generated one, saved under the data dir)')
    .option('--bcrypt-cost <n>', 'bcrypt cost of that password (default LINTEL_BCRYPT_ROUNDS)')
    .action(async (opts: { users: string; password?: string; bcryptCost?: string }) => {
      const r = await runSeed(config, opts);
      logger.info({ rows: r.rows, seconds: Number(r.seconds.toFixed(1)), password_file: r.passwordFile }, r.written ? 'seeded' : 'this seed is already in the database');
    });

  const policy = program.command('policy').description('the authorization policy (LINTEL_POLICY_FILE over Keystone\'s and Lintel\'s defaults)');
  policy.command('list').description('print the effective rules as a policy file, like oslopolicy-policy-generator')
    .option('--namespace <ns>', 'keystone (Keystone\'s rules), lintel (Lintel\'s), or a prefix such as identity')
    .option('--format <format>', 'yaml or json', 'yaml')
    .action((opts: { namespace?: string; format: string }) => {
      process.stdout.write(listPolicy(config, opts));
    });
  policy.command('sample').description('print the default rules with their documentation (the sample file under docs/)')
    .option('--namespace <ns>', 'keystone (Keystone\'s rules), lintel (Lintel\'s), or a prefix such as identity')
    .action((opts: { namespace?: string }) => {
      process.stdout.write(samplePolicy(opts.namespace));
    });
  policy.command('check').description('evaluate rules for a token and a target, like oslopolicy-checker: prints passed/failed per rule')
    .option('--token <token>', 'a Lintel token (validated against this database); else --access')
    .option('--access <file>', 'a token body as GET /v3/auth/tokens answers it (JSON)')
    .option('--target <json>', 'the target, as JSON text or @file (e.g. {"target": {"user": {"domain_id": "d1"}}})')
    .option('--rule <name>', 'only this rule (else every rule with a colon in its name)')
    .action(async (opts: { token?: string; access?: string; target?: string; rule?: string }) => {
      const { lines, anyPassed } = await checkPolicy(config, logger, opts);
      process.stdout.write(lines.join('\n') + '\n');
      if (opts.rule && !anyPassed) process.exitCode = 1;
    });

  program.command('import').description('move from another identity service').command('keystone')
    .description("import a Keystone database (docs/migrating-from-keystone.md): ids, passwords and credentials kept; one transaction")
    .requiredOption('--from <url|keystone.conf>', "Keystone's [database] connection (sqlite:////path/keystone.db, mysql+pymysql://user:pass@host/keystone), or its keystone.conf")
    .option('--credential-keys <dir>', "Keystone's credential key repository ([credential] key_repository; from the keystone.conf given to --from by default)")
    .option('--dry-run', 'read everything and report what would be created, updated and refused; write nothing')
    .option('--json', 'report as JSON lines even on a terminal')
    .action(async (opts: { from: string; credentialKeys?: string; dryRun?: boolean; json?: boolean }) => {
      process.exitCode = await runKeystoneImport(config, opts);
    });

  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('commander.')) {
      process.exitCode = (e as { exitCode?: number }).exitCode ?? 2;
      return;
    }
    throw e;
  }
});
