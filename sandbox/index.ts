/** The insurer sandbox (CONTRACT §6): simulated insurers over plain node:http. */
export { createSandbox } from './server';
export type { InsurerMode, Sandbox } from './types';
export { profileFor } from './profiles';
export { baseRateFor } from './pricing';
export { underwrite } from './underwriting';
