/**
 * Runs the sandbox on its own: `node dist/sandbox/main.js`. It reads the same settings as a node
 * running the `sandbox` part (lib/config.ts): SANDBOX_PORT, SANDBOX_LATENCY_SCALE,
 * SANDBOX_TRANSIENT_ERRORS, SANDBOX_SEED and HOST.
 */
import { loadConfig } from '../lib/config';
import { createSandbox } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const sandbox = createSandbox({
    latencyScale: config.sandboxLatencyScale,
    transientErrors: config.sandboxTransientErrors,
    seed: config.sandboxSeed,
  });
  const bound = await sandbox.listen(config.sandboxPort, config.host);
  const seeded = config.sandboxSeed === undefined ? 'unseeded' : `seed ${config.sandboxSeed}`;
  console.log(`insurer sandbox listening on http://${config.host}:${bound} (latency scale ${config.sandboxLatencyScale}, ${seeded})`);
  const stop = () => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
