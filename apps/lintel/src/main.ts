import 'reflect-metadata';
import { LintelDataSource } from '@lintel/domain';
import { runMain, stopOnSignals } from '@lintel/platform';
import { createIdentityApp } from '../../identity/src/app.js';
import { createManageContext } from '../../manage/src/manage.module.js';
import { bootstrap, credentialKeys, tokenKeys } from '../../manage/src/tasks.js';
import { createMulticloudApp } from '../../multicloud/src/app.js';

/**
 * `npm start`: everything in one process on one connection pool (the embedded database by
 * default). Migrates, creates the token keys and bootstraps on first start (each step
 * idempotent), then serves identity and multicloud.
 */
await runMain(async (config, logger) => {
  const ds = await LintelDataSource.open(config.database);
  const applied = await ds.migrate();
  if (applied.length) logger.info({ applied: applied.map((m) => m.name) }, 'migrations applied');
  if (await tokenKeys(config).setup()) logger.info({ dir: config.token.keysDir }, 'token key repository created');
  if (await credentialKeys(config).repo.setup()) logger.info({ dir: config.credential.keysDir }, 'credential key repository created');
  const ctx = await createManageContext(config, logger, ds);
  try {
    await bootstrap(ctx, config, logger);
  } finally {
    await ctx.close();
  }
  const identity = await createIdentityApp(config, logger, ds);
  const multicloud = await createMulticloudApp(config, logger, ds);
  await identity.listen(config.identityPort, config.bind);
  await multicloud.listen(config.multicloudPort, config.bind);
  logger.info({ identity: await identity.getUrl(), multicloud: await multicloud.getUrl() }, 'Lintel is ready');
  stopOnSignals(logger, config.shutdownTimeout, async () => {
    await Promise.allSettled([identity.close(), multicloud.close()]);
    await ds.destroy();
  });
});
