/** The insurer side of each wire dialect, by the catalog's dialect name. */
import type { DialectName } from '../../lib/insurers/catalog';
import { legacyServer } from './legacy';
import { rpcServer } from './rpc';
import { snakeServer } from './snake';
import { standardServer } from './standard';
import type { ServerDialect } from './types';

const SERVERS: Readonly<Record<DialectName, ServerDialect>> = {
  standard: standardServer,
  snake: snakeServer,
  legacy: legacyServer,
  rpc: rpcServer,
};

export function serverDialect(name: DialectName): ServerDialect {
  if (!Object.hasOwn(SERVERS, name)) throw new Error(`the sandbox does not speak dialect "${String(name)}"`);
  return SERVERS[name];
}

export type { CreateRequest, OfferData, ParsedRequest, Reply, ServerDialect, WireRequest } from './types';
