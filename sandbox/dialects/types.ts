/**
 * The insurer's side of a wire dialect: reading requests and writing answers in that insurer's
 * style. Written apart from the client adapters in lib/insurers/dialects on purpose, as a real
 * insurer's code would be, so the tests catch the two sides drifting apart.
 */
import type { Application } from '../../lib/application/types';
import type { Coefficients, DriverRating, TerritoryFactor } from '../../lib/tariff/types';

export interface WireRequest {
  method: string;
  path: string; // below the insurer's base URL, without the query: `/applications/abc`
  query: URLSearchParams;
  /** Names in lower case, as node:http gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

/**
 * `tag` is whatever the dialect must echo in its answer (the JSON-RPC id); the simulation
 * carries it through without looking. `reference` is the client's quote reference, wherever its
 * dialect puts it; a create without one is still a create, just not deduplicated.
 */
export interface CreateRequest {
  application: Application;
  reference?: string;
}

export type ParsedRequest =
  | ({ op: 'create'; tag?: unknown } & CreateRequest)
  | { op: 'poll'; id: string; tag?: unknown }
  | { op: 'reply'; reply: Reply };

export interface OfferData {
  offerId: string;
  premium: number;
  validUntil: Date;
  coefficients: Coefficients;
  drivers: DriverRating[]; // one per named driver, none for an unlimited policy
  territory: TerritoryFactor; // КТ's parts: coefficients.kt is their product
}

export interface ServerDialect {
  parse(req: WireRequest): ParsedRequest;
  accepted(tag: unknown, id: string, retryAfterMs: number): Reply;
  processing(tag: unknown, id: string, retryAfterMs: number): Reply;
  offer(tag: unknown, id: string, offer: OfferData): Reply;
  /** `id` is undefined when the refusal comes straight at create. */
  declined(tag: unknown, id: string | undefined, reason: string): Reply;
  /** A create body that decodes but cannot be priced. */
  invalid(tag: unknown, message: string): Reply;
  unknownId(tag: unknown, id: string): Reply;
  /** 429 / 500 / 503, given before the request is even read. */
  failure(status: number, message: string): Reply;
}
