/**
 * The application as CONTRACT §1 defines it. After validation every string is trimmed and
 * normalised (VIN upper-case, plate in Cyrillic), so downstream code never re-checks shapes.
 */
export type IsoDate = string; // YYYY-MM-DD

export type VehicleDocumentType = 'STS' | 'PTS' | 'EPTS';

export interface VehicleDocument {
  type: VehicleDocumentType;
  series?: string; // absent for EPTS
  number: string;
  issuedAt: IsoDate;
}

export interface Vehicle {
  vin?: string;
  bodyNumber?: string;
  chassisNumber?: string;
  plate?: string;
  make: string;
  model: string;
  year: number;
  enginePowerHp: number;
  category: 'B';
  document: VehicleDocument;
}

export interface Passport {
  series: string;
  number: string;
  issuedAt: IsoDate;
}

export interface Owner {
  lastName: string;
  firstName: string;
  middleName?: string;
  birthDate: IsoDate;
  passport: Passport;
  registrationRegion: string;
}

export interface DriverLicense {
  series: string;
  number: string;
  issuedAt: IsoDate;
}

export interface Driver {
  lastName: string;
  firstName: string;
  middleName?: string;
  birthDate: IsoDate;
  license: DriverLicense;
  experienceSince: IsoDate;
}

export interface PolicyTerms {
  startDate: IsoDate;
  periodMonths: number;
}

export interface Application {
  vehicle: Vehicle;
  owner: Owner;
  drivers: Driver[]; // empty when unlimitedDrivers
  unlimitedDrivers: boolean;
  policy: PolicyTerms;
}

/** One refused field, `field` being the dotted path of CONTRACT §1 (`drivers.0.license.number`). */
export interface FieldError {
  field: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; value: Application }
  | { ok: false; errors: FieldError[] };
