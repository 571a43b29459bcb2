/** The insurer sandbox (CONTRACT §6): simulated insurers over plain node:http. */
export { createSandbox } from './server';
export { INSURER_MODES, isInsurerMode } from './types';
export type { InsurerMode, Sandbox, SandboxInsurerState, SandboxOptions } from './types';
export { PROFILES, DEFAULT_PROFILE, profileFor } from './profiles';
export type { InsurerProfile, DeclineRule } from './profiles';
export { baseRateFor, priceFor } from './pricing';
export { underwrite } from './underwriting';
