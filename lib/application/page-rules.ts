/**
 * What the customer's page takes from the server's own code, bundled for the browser by
 * bin/build-page-rules.ts into public/build/rules.js as `window.OsagoRules`: the same
 * validateApplication the gateway runs (so the page never refuses what the server accepts, nor
 * the other way round), Moscow's date as its "today", and the region names the breakdown shows.
 */
export { validateApplication } from './validate';
export { addDays, todayInMoscow } from '../dates';
export { regionOf } from '../tariff/regions';
