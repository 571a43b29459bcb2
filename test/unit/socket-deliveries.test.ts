/** Each quote state and `completed` reach one socket at most once, whatever the cluster repeats. */
import { SocketDeliveries, type Delivery } from '../../services/gateway/socket-deliveries';
import type { Quote, QuoteStatus } from '../../lib/quotes/types';

const APP = 'app-1';
const quote = (code: string, status: QuoteStatus): Delivery => ({
  event: 'quote',
  data: { applicationId: APP, insurer: { code, name: code }, status, at: '2026-12-01T00:00:00.000Z' } as Quote,
});
const completed = (quotes: Quote[] = []): Delivery => ({ event: 'completed', data: { applicationId: APP, status: 'completed', quotes } });

describe('SocketDeliveries', () => {
  it('sends a state once, a new state of the same insurer again', () => {
    const d = new SocketDeliveries();
    expect(d.offer(quote('a', 'offer'))).toBe(true);
    expect(d.offer(quote('a', 'offer'))).toBe(false);
    expect(d.offer(quote('b', 'offer'))).toBe(true);
    expect(d.offer(quote('a', 'timeout'))).toBe(true);
  });

  it('sends `completed` once, and nothing after it', () => {
    const d = new SocketDeliveries();
    expect(d.offer(completed())).toBe(true);
    expect(d.offer(completed())).toBe(false);
    expect(d.offer(quote('a', 'offer'))).toBe(false);
    expect(d.hasCompleted(APP)).toBe(true);
  });

  it('what a snapshot showed counts as sent', () => {
    const d = new SocketDeliveries();
    d.seed(APP, { status: 'quoting', quotes: [quote('a', 'offer').data as Quote, quote('b', 'pending').data as Quote] });
    expect(d.offer(quote('a', 'offer'))).toBe(false);
    expect(d.offer(quote('b', 'declined'))).toBe(true);
    d.seed(APP, { status: 'completed', quotes: [] });
    expect(d.offer(completed())).toBe(false);
  });

  it('holds deliveries while a subscribe is answered, then releases only what the snapshot lacks, in order', () => {
    const d = new SocketDeliveries();
    d.hold(APP);
    expect(d.offer(quote('a', 'offer'))).toBe(false);
    expect(d.offer(quote('b', 'declined'))).toBe(false);
    expect(d.offer(completed())).toBe(false);
    d.seed(APP, { status: 'quoting', quotes: [quote('a', 'offer').data as Quote] });
    expect(d.release(APP).map((x) => (x.event === 'quote' ? x.data.insurer.code : x.event))).toEqual(['b', 'completed']);
    expect(d.offer(quote('b', 'declined'))).toBe(false); // released counts as sent
    expect(d.release(APP)).toEqual([]);
  });

  it('applications are kept apart', () => {
    const d = new SocketDeliveries();
    d.offer(completed());
    const other: Delivery = { event: 'quote', data: { ...(quote('a', 'offer').data as Quote), applicationId: 'app-2' } };
    expect(d.offer(other)).toBe(true);
  });
});
