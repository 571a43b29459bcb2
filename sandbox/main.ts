/** Runs the sandbox on its own: `node dist/sandbox/main.js` (SANDBOX_PORT, SANDBOX_LATENCY_SCALE). */
import { createSandbox } from './server';

async function main(): Promise<void> {
  const port = envNumber('SANDBOX_PORT', 4000);
  const latencyScale = envNumber('SANDBOX_LATENCY_SCALE', 1);
  const sandbox = createSandbox({ latencyScale });
  const bound = await sandbox.listen(port);
  console.log(`insurer sandbox listening on http://127.0.0.1:${bound} (latency scale ${latencyScale})`);
  const stop = () => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
