/**
 * Starts one node: the parts named by SERVICES (all of them by default) on one broker.
 * `--repl` opens Moleculer's REPL on the running node.
 */
import { ServiceBroker } from 'moleculer';
import { loadConfig, ConfigError } from '../lib/config';
import { brokerOptions } from '../moleculer.config';
import { servicesFor } from '../services';

async function main(): Promise<void> {
  const config = loadConfig();
  // our own signal handlers below stop the broker once; Moleculer's would stop it a second time
  const broker = new ServiceBroker(brokerOptions(config, { skipProcessEventRegistration: true }));
  for (const schema of servicesFor(config)) broker.createService(schema);
  await broker.start();
  if (config.services.includes('gateway')) {
    console.log(`\n  OSAGO quotes: open http://${config.host}:${config.port}/  (partner API: /api/v1, key header X-Api-Key)\n`);
  }
  const stop = (signal: string) => {
    broker.logger.info(`${signal}: stopping`);
    broker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  if (process.argv.includes('--repl')) await broker.repl();
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
  process.exit(1);
});
