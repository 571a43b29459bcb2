/** When a node may call an insurer: a pause after a 429 and its share of the catalog's rate. */
import { InsurerAdmission } from '../../services/insurers/admission';

describe('InsurerAdmission', () => {
  it('lets through its share of the rate in a second, then says how long to wait', async () => {
    const admission = new InsurerAdmission(10);
    admission.shareWith(2);
    expect(admission.share).toBe(5);
    const waits = [];
    for (let n = 0; n < 7; n++) waits.push(await admission.next());
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    for (const wait of waits.slice(5)) {
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(1_000);
    }
  });

  it('a node alone takes the whole rate, and never less than one call a second', () => {
    const admission = new InsurerAdmission(3);
    expect(admission.share).toBe(3);
    admission.shareWith(10);
    expect(admission.share).toBe(1);
    admission.shareWith(0);
    expect(admission.share).toBe(3);
  });

  it('a pause holds every call until it ends, and only a later pause moves it', async () => {
    const admission = new InsurerAdmission(100);
    const now = 1_000_000;
    expect(admission.pauseUntil(now + 1_000)).toBe(true);
    expect(admission.pauseUntil(now + 500)).toBe(false); // an earlier end changes nothing
    expect(admission.pausedUntil).toBe(now + 1_000);
    expect(await admission.next(now)).toBe(1_000);
    expect(await admission.next(now + 999)).toBe(1);
    expect(await admission.next(now + 1_000)).toBe(0);
    expect(admission.pauseUntil(now + 2_000)).toBe(true);
  });
});
