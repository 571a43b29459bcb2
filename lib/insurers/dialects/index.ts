/** The client side of every insurer wire dialect, by the name the catalog gives it. */
import type { InsurerAdapter } from '../adapter';
import type { DialectName } from '../catalog';
import { legacyAdapter } from './legacy';
import { rpcAdapter } from './rpc';
import { snakeAdapter } from './snake';
import { standardAdapter } from './standard';

const ADAPTERS: Readonly<Record<DialectName, InsurerAdapter>> = {
  standard: standardAdapter,
  snake: snakeAdapter,
  legacy: legacyAdapter,
  rpc: rpcAdapter,
};

export function adapterFor(dialect: DialectName): InsurerAdapter {
  // the catalog may one day come from configuration, where the type system cannot vouch for it
  if (!Object.hasOwn(ADAPTERS, dialect)) throw new Error(`no adapter for insurer dialect "${String(dialect)}"`);
  return ADAPTERS[dialect];
}
