import 'reflect-metadata';
import { runMain } from '@lintel/platform';
import { createMulticloudApp } from './app.js';

/** Runs the multicloud app alone (a production Deployment). */
await runMain(async (config, logger) => {
  const app = await createMulticloudApp(config, logger);
  app.enableShutdownHooks();
  await app.listen(config.multicloudPort, config.bind);
  logger.info({ url: await app.getUrl() }, 'multicloud listening');
});
