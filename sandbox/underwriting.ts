/**
 * Each insurer's refusals. A real underwriter sees the same car and drivers the same way every
 * time, so the "random" part is a hash of insurer, rule, vehicle and licences, never Math.random.
 */
import { createHash } from 'node:crypto';
import type { Application } from '../lib/application/types';
import { wholeYearsBetween } from '../lib/dates';
import type { DeclineRule, InsurerProfile } from './profiles';

export interface Decline {
  reason: string;
  at: 'create' | 'poll';
}

/** The first rule that refuses this application, or undefined when the insurer will quote it. */
export function underwrite(code: string, profile: InsurerProfile, application: Application): Decline | undefined {
  const key = applicantKey(application);
  for (const rule of profile.declines) {
    const reason = refusal(rule, application, () => hashShare(code, rule.kind, key));
    if (reason) return { reason, at: rule.at };
  }
  return undefined;
}

function refusal(rule: DeclineRule, a: Application, share: () => number): string | undefined {
  switch (rule.kind) {
    case 'young-drivers': {
      const young = a.drivers.some((d) => wholeYearsBetween(d.birthDate, a.policy.startDate) < rule.underAge);
      return young && share() < rule.share ? `Андеррайтинг: водители моложе ${rule.underAge} лет не принимаются` : undefined;
    }
    case 'powerful':
      return a.vehicle.enginePowerHp > rule.overHp && share() < rule.share
        ? `Андеррайтинг: мощность двигателя свыше ${rule.overHp} л. с.`
        : undefined;
    case 'regions':
      return rule.regions.includes(a.owner.registrationRegion)
        ? `Регион регистрации собственника (${a.owner.registrationRegion}) не обслуживается`
        : undefined;
    case 'random':
      return share() < rule.share ? 'Отказ по результатам андеррайтинга' : undefined;
  }
}

/** Who is being insured: the vehicle and everyone allowed to drive it. */
function applicantKey(a: Application): string {
  const v = a.vehicle;
  const vehicle = v.vin ?? v.bodyNumber ?? v.chassisNumber ?? '';
  const licences = a.drivers.map((d) => `${d.license.series}${d.license.number}`).sort();
  return [vehicle, ...licences].join('|');
}

/** A stable number in [0, 1). */
function hashShare(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
