/** Runs the insurer sandbox (CONTRACT §6) inside a node, for development, demos and tests. */
import type { Service, ServiceSchema } from 'moleculer';
import type { AppConfig } from '../lib/config';
import { createSandbox } from '../sandbox';
import type { Sandbox } from '../sandbox/types';

type SandboxService = Service & { sandbox: Sandbox };

export function createSandboxService(config: AppConfig): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, SandboxService> = {
    name: 'sandbox',
    async started(this: SandboxService) {
      this.sandbox = createSandbox({
        latencyScale: config.sandboxLatencyScale,
        transientErrors: config.sandboxTransientErrors,
        seed: config.sandboxSeed,
      });
      const port = await this.sandbox.listen(config.sandboxPort, config.host);
      this.logger.info(`insurer sandbox at http://${config.host}:${port}/sandbox/insurers`);
    },
    async stopped(this: SandboxService) {
      await this.sandbox?.close();
    },
  };
  return schema as unknown as ServiceSchema;
}
