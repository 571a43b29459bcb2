/**
 * Which fields of an application are personal data (names, birth dates, passport and licence
 * series and numbers), and how an application is taken apart into that part and the rest and put
 * back together. The rest (vehicle, region, dates of issue and experience, the policy) is what the
 * priced, anonymised history keeps.
 */
import type { Application, Driver, DriverLicense, Owner, Passport } from '../application/types';

interface PersonName {
  lastName: string;
  firstName: string;
  middleName?: string;
  birthDate: string;
}

export interface PersonalData {
  owner: PersonName & { passport: Pick<Passport, 'series' | 'number'> };
  drivers: Array<PersonName & { license: Pick<DriverLicense, 'series' | 'number'> }>;
}

type NameField = keyof PersonName;
export type AnonymisedOwner = Omit<Owner, NameField | 'passport'> & { passport: Omit<Passport, 'series' | 'number'> };
export type AnonymisedDriver = Omit<Driver, NameField | 'license'> & { license: Omit<DriverLicense, 'series' | 'number'> };

/** An application without its personal data: every stored or erased application is at least this. */
export interface AnonymisedApplication extends Omit<Application, 'owner' | 'drivers'> {
  owner: AnonymisedOwner;
  drivers: AnonymisedDriver[];
  /** Where the personal part went: sealed beside the rest, or erased (retention) at a time. */
  personal?: PersonalSeal;
}

export type PersonalSeal = { sealed: string } | { erasedAt: string };

/** The keys whose values are personal wherever they appear (logs are masked by these names too). */
export const PERSONAL_KEYS: ReadonlySet<string> = new Set(['lastName', 'firstName', 'middleName', 'birthDate', 'series', 'number']);

function nameOf(person: PersonName): PersonName {
  return {
    lastName: person.lastName,
    firstName: person.firstName,
    ...(person.middleName === undefined ? {} : { middleName: person.middleName }),
    birthDate: person.birthDate,
  };
}

export function splitApplication(application: Application): { personal: PersonalData; rest: AnonymisedApplication } {
  const { owner, drivers, ...others } = application;
  const { lastName: _l, firstName: _f, middleName: _m, birthDate: _b, passport, ...ownerRest } = owner;
  const { series: _ps, number: _pn, ...passportRest } = passport;
  return {
    personal: {
      owner: { ...nameOf(owner), passport: { series: passport.series, number: passport.number } },
      drivers: drivers.map((driver) => ({ ...nameOf(driver), license: { series: driver.license.series, number: driver.license.number } })),
    },
    rest: {
      ...others,
      owner: { ...ownerRest, passport: passportRest },
      drivers: drivers.map(({ lastName: _dl, firstName: _df, middleName: _dm, birthDate: _db, license, ...driverRest }) => {
        const { series: _ls, number: _ln, ...licenseRest } = license;
        return { ...driverRest, license: licenseRest };
      }),
    },
  };
}

export class PersonalMismatchError extends Error {
  readonly type = 'PERSONAL_DATA_MISMATCH';
}

export function joinApplication(rest: AnonymisedApplication, personal: PersonalData): Application {
  const { personal: _seal, owner, drivers, ...others } = rest;
  if (drivers.length !== personal.drivers.length) throw new PersonalMismatchError(`the personal part names ${personal.drivers.length} drivers, the application ${drivers.length}`);
  return {
    ...others,
    owner: { ...owner, ...nameOf(personal.owner), passport: { ...owner.passport, ...personal.owner.passport } },
    drivers: drivers.map((driver, n) => {
      const person = personal.drivers[n];
      return { ...driver, ...nameOf(person), license: { ...driver.license, ...person.license } };
    }),
  };
}

/** Written before personal data was sealed (or by a test): the clear application itself. */
export function isWholeApplication(application: AnonymisedApplication): application is Application {
  return application.personal === undefined && 'lastName' in application.owner;
}
