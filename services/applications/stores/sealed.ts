/**
 * Personal data sealed at the store boundary: a decorator over any engine. `insert` seals the
 * application's personal part (lib/personal-data) under the application's id; every answer that
 * carries an application opens it again. No engine knows: each stores `application` as it stores
 * any other JSON, with `personal.sealed` an opaque string in it.
 *
 * Everything else of a document passes through untouched (a spread, not a list of fields). The
 * class implements ApplicationStore explicitly, so a method added to the interface does not compile
 * until it is forwarded here.
 */
import type { Keyring } from '../../../lib/personal-data/keyring';
import { openApplication, sealApplication } from '../../../lib/personal-data/application-seal';
import { isWholeApplication } from '../../../lib/personal-data/split';
import type { Quote } from '../../../lib/quotes/types';
import type { ApplicationDoc, ApplicationStore, Due, Expired, IdempotencyStore, PartnerPage } from './types';

export class SealedApplicationStore implements ApplicationStore {
  constructor(
    private readonly engine: ApplicationStore,
    private readonly keyring: Keyring,
  ) {}

  get idempotency(): IdempotencyStore {
    return this.engine.idempotency;
  }

  connect(): Promise<void> {
    return this.engine.connect();
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  insert(doc: ApplicationDoc): Promise<boolean> {
    if (!isWholeApplication(doc.application)) throw new TypeError(`application ${doc.id}: only a whole application is sealed and stored`);
    return this.engine.insert({ ...doc, application: sealApplication(this.keyring, doc.id, doc.application) });
  }

  remove(id: string): Promise<void> {
    return this.engine.remove(id);
  }

  async find(id: string): Promise<ApplicationDoc | undefined> {
    return this.opened(await this.engine.find(id));
  }

  settleQuote(quote: Quote): Promise<Quote | undefined> {
    return this.engine.settleQuote(quote);
  }

  async completeIfSettled(id: string, completedAt: string): Promise<ApplicationDoc | undefined> {
    return this.opened(await this.engine.completeIfSettled(id, completedAt));
  }

  async expire(id: string, at: string): Promise<Expired> {
    return this.openedExpiry(await this.engine.expire(id, at));
  }

  async expireAll(ids: readonly string[], at: string): Promise<Expired[]> {
    return (await this.engine.expireAll(ids, at)).map((expired) => this.openedExpiry(expired));
  }

  due(untilMs: number, limit: number): Promise<Due[]> {
    return this.engine.due(untilMs, limit);
  }

  async open(nowMs: number): Promise<ApplicationDoc[]> {
    return (await this.engine.open(nowMs)).map((doc) => this.openedDoc(doc));
  }

  async listByPartner(partner: string, offset: number, limit: number): Promise<PartnerPage> {
    const page = await this.engine.listByPartner(partner, offset, limit);
    return { ...page, items: page.items.map((doc) => this.opened(doc) ?? doc) };
  }

  erasePersonal(completedBefore: string, at: string, limit: number): Promise<number> {
    return this.engine.erasePersonal(completedBefore, at, limit);
  }

  private openedDoc(doc: ApplicationDoc): ApplicationDoc {
    return { ...doc, application: openApplication(this.keyring, doc.id, doc.application) };
  }

  /**
   * A transition's answer, or a read's, opened if it can be. A record that does not open (a key
   * left out of DATA_KEYS_OLD, a damaged blob) is answered as stored, still sealed: the transition is
   * committed already and its events must still go out, and no view reads the personal part. Only
   * `open` (resuming quotes, which sends the application to insurers) insists on opening.
   */
  private opened(doc: ApplicationDoc | undefined): ApplicationDoc | undefined {
    if (!doc) return doc;
    try {
      return this.openedDoc(doc);
    } catch {
      return doc;
    }
  }

  private openedExpiry(expired: Expired): Expired {
    return expired.completed ? { ...expired, completed: this.opened(expired.completed) } : expired;
  }
}
