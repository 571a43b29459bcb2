/** Which service schemas each part of CONTRACT §5 (`SERVICES`) brings to a node. */
import type { ServiceSchema } from 'moleculer';
import type { AppConfig, ServicePart } from '../lib/config';
import { INSURERS } from '../lib/insurers/catalog';
import { createApplicationsService } from './applications/applications.service';
import { createAuditService } from './audit/audit.service';
import { createGatewayService } from './gateway/gateway.service';
import { createInsurerService } from './insurers/insurer.service';
import { createOffersStreamService } from './offers-stream.service';
import { createSandboxService } from './sandbox.service';

export function servicesFor(config: AppConfig, parts: readonly ServicePart[] = config.services): ServiceSchema[] {
  const durableChannels = config.durableChannels;
  const byPart: Record<ServicePart, () => ServiceSchema[]> = {
    sandbox: () => [createSandboxService(config)],
    gateway: () => [createGatewayService(config)],
    // the access audit runs beside the applications, in a store of its own (services/audit)
    applications: () => [createApplicationsService(config, { redispatchOnStart: !durableChannels }), createAuditService(config)],
    insurers: () => INSURERS.map((definition) => createInsurerService(definition, config) as unknown as ServiceSchema),
    'offers-stream': () => [createOffersStreamService()],
  };
  return parts.flatMap((part) => byPart[part]());
}
