/** The document's examples: the contract's own, so a partner can copy them (redocly lints each against its schema). */
import { addDays } from '../../../lib/dates';
import type { IsoDate } from '../../../lib/application/types';

const APPLICATION = {
  vehicle: {
    vin: 'XTA219010K0123456',
    plate: 'А123ВС777',
    make: 'LADA',
    model: 'Granta',
    year: 2019,
    enginePowerHp: 106,
    category: 'B',
    document: { type: 'STS', series: '7700', number: '123456', issuedAt: '2019-05-01' },
  },
  owner: {
    lastName: 'Иванов',
    firstName: 'Иван',
    middleName: 'Иванович',
    birthDate: '1985-03-12',
    passport: { series: '4510', number: '123456', issuedAt: '2005-04-01' },
    registrationRegion: '77',
  },
  drivers: [
    {
      lastName: 'Иванов',
      firstName: 'Иван',
      birthDate: '1985-03-12',
      license: { series: '9900', number: '123456', issuedAt: '2010-06-01' },
      experienceSince: '2010-06-01',
    },
  ],
  unlimitedDrivers: false,
};

/**
 * The contract's example application, its policy starting tomorrow: a start in the past is refused,
 * and a partner who copies the example should get a 202, not a 400. Its other dates stay valid until 2030.
 */
export function applicationExample(today: IsoDate) {
  return { ...APPLICATION, policy: { startDate: addDays(today, 1), periodMonths: 12 } };
}

const APPLICATION_ID = '7d1c2f0e-4b8a-4c2e-9f41-2a5b6c7d8e9f';
const insurer = { code: 'tri-kita', name: 'Три Кита Страхование' };

export const createdExample = {
  id: APPLICATION_ID,
  token: 'q2V8yZlKc1x0b3Jm9TgW4A',
  status: 'quoting',
  createdAt: '2026-11-21T12:00:00.000Z',
  deadline: '2026-11-21T12:01:00.000Z',
  insurers: [insurer],
};

export const offerExample = {
  applicationId: APPLICATION_ID,
  insurer,
  status: 'offer',
  premium: 8421.37,
  offer: {
    id: 'TK-558201',
    validUntil: '2026-11-28T12:00:03.120Z',
    coefficients: { tb: 6231, kt: 1.8, kbm: 0.83, kvs: 0.97, ko: 1, km: 1.4, ks: 1, kn: 1, kpr: 1 },
    territory: { base: 1.8, multiplier: 1 },
    drivers: [{ index: 0, kbmClass: '6', kbm: 0.83, kvs: 0.97, applied: true }],
  },
  at: '2026-11-21T12:00:03.120Z',
};

export const applicationStateExample = {
  id: APPLICATION_ID,
  status: 'completed',
  createdAt: createdExample.createdAt,
  deadline: createdExample.deadline,
  completedAt: '2026-11-21T12:00:04.500Z',
  insurers: [insurer],
  quotes: [offerExample],
  bestOffer: offerExample,
};

export const completedExample = {
  applicationId: APPLICATION_ID,
  status: 'completed',
  quotes: [offerExample],
  bestOffer: offerExample,
};

export const problemExamples = {
  validation: {
    type: '/problems/validation-error',
    title: 'Bad Request',
    status: 400,
    detail: 'The application has invalid fields',
    errors: [
      { field: 'vehicle.vin', message: 'VIN: 17 символов A–Z и 0–9, без I, O, Q' },
      { field: 'policy.periodMonths', message: 'срок: целое число месяцев от 3 до 12' },
    ],
  },
  notJson: { type: '/problems/bad-request', title: 'Bad Request', status: 400, detail: 'The request body is not valid JSON' },
  unauthorized: { type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'A valid X-Api-Key header is required' },
  notFound: { type: '/problems/not-found', title: 'Not Found', status: 404, detail: 'Application not found' },
  noRoute: { type: '/problems/not-found', title: 'Not Found', status: 404, detail: 'No such route' },
  methodNotAllowed: {
    type: '/problems/method-not-allowed', title: 'Method Not Allowed', status: 405, detail: 'DELETE is not allowed here; allowed: GET, POST, OPTIONS',
  },
  conflict: { type: '/problems/conflict', title: 'Conflict', status: 409, detail: 'This Idempotency-Key was used with a different body' },
  tooLarge: { type: '/problems/payload-too-large', title: 'Payload Too Large', status: 413, detail: 'The request body is larger than 1 MB' },
  rateLimited: {
    type: '/problems/rate-limited', title: 'Too Many Requests', status: 429, detail: 'Too many new applications; try again later', retryAfterSeconds: 17,
  },
  unavailable: {
    type: '/problems/service-unavailable', title: 'Service Unavailable', status: 503,
    detail: 'The system cannot take this request right now; please try again in a few seconds',
  },
};
