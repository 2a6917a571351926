import 'reflect-metadata';
import { runMain, stopOnSignals } from '@lintel/platform';
import { createMulticloudApp } from './app.js';

/** Runs the multicloud app alone (a production Deployment). */
await runMain(async (config, logger) => {
  const app = await createMulticloudApp(config, logger);
  await app.listen(config.multicloudPort, config.bind);
  // Nest closes the HTTP server (requests in flight finish) before the shutdown hooks release
  // the hash pool and the database pool.
  stopOnSignals(logger, config.shutdownTimeout, () => app.close());
  logger.info({ url: await app.getUrl() }, 'multicloud listening');
});
