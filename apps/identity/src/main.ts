import 'reflect-metadata';
import { runMain, stopOnSignals } from '@lintel/platform';
import { createIdentityApp } from './app.js';

/** Runs the identity app alone (a production Deployment); the database must be migrated already. */
await runMain(async (config, logger) => {
  const app = await createIdentityApp(config, logger);
  await app.listen(config.identityPort, config.bind);
  // Nest closes the HTTP server (requests in flight finish) before the shutdown hooks release
  // the hash pool and the database pool.
  stopOnSignals(logger, config.shutdownTimeout, () => app.close());
  logger.info({ url: await app.getUrl() }, 'identity listening');
});
