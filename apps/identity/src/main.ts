import 'reflect-metadata';
import { runMain } from '@lintel/platform';
import { createIdentityApp } from './app.js';

/** Runs the identity app alone (a production Deployment); the database must be migrated already. */
await runMain(async (config, logger) => {
  const app = await createIdentityApp(config, logger);
  app.enableShutdownHooks();
  await app.listen(config.identityPort, config.bind);
  logger.info({ url: await app.getUrl() }, 'identity listening');
});
