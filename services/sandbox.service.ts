/**
 * Runs the insurer sandbox (CONTRACT §6) inside a node, for development, demos and tests. Its
 * `insurers` and `setMode` actions let the operator's view (/ops) show and switch the modes.
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { AppConfig } from '../lib/config';
import { BadRequestError } from '../lib/errors';
import { createSandbox } from '../sandbox';
import { INSURER_MODES, isInsurerMode, type Sandbox, type SandboxInsurerState } from '../sandbox/types';

type SandboxService = Service & { sandbox: Sandbox };

export function createSandboxService(config: AppConfig): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, SandboxService> = {
    name: 'sandbox',
    actions: {
      insurers: {
        visibility: 'public',
        handler(this: SandboxService): SandboxInsurerState[] {
          return this.sandbox.list();
        },
      },
      setMode: {
        visibility: 'public',
        handler(this: SandboxService, ctx: Context<{ code?: unknown; mode?: unknown }>): SandboxInsurerState {
          const { code, mode } = ctx.params;
          const insurer = this.sandbox.list().find((i) => i.code === code);
          if (!insurer) throw new BadRequestError(`no sandbox insurer ${String(code)}`, [{ field: 'code', message: 'неизвестный страховщик' }]);
          if (!isInsurerMode(mode)) throw new BadRequestError(`mode must be one of ${INSURER_MODES.join(', ')}`, [{ field: 'mode', message: `одно из: ${INSURER_MODES.join(', ')}` }]);
          this.sandbox.setMode(insurer.code, mode);
          this.logger.info(`sandbox insurer ${insurer.code} set to ${mode}`);
          return { ...insurer, mode };
        },
      },
    },
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
