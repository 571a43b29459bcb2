/**
 * The insurers the aggregator asks. The companies are fictional: the sandbox simulates them, and a
 * real deployment would replace this list (and point INSURERS_URL at the real APIs).
 */
export type DialectName = 'standard' | 'snake' | 'legacy' | 'rpc';

export interface InsurerDefinition {
  code: string; // lower-case kebab, stable: it appears in URLs, quotes and the page's data-insurer
  name: string;
  dialect: DialectName;
  /** The insurer's published limit on our calls (creates and polls together), held across the cluster. */
  rateLimitPerSecond: number;
}

export const INSURERS: readonly InsurerDefinition[] = [
  { code: 'sever-shield', name: 'Северный Щит', dialect: 'standard', rateLimitPerSecond: 500 },
  { code: 'yantar-polis', name: 'Янтарный Полис', dialect: 'standard', rateLimitPerSecond: 500 },
  { code: 'tri-kita', name: 'Три Кита Страхование', dialect: 'standard', rateLimitPerSecond: 500 },
  { code: 'lastochka', name: 'Ласточка Страхование', dialect: 'standard', rateLimitPerSecond: 500 },
  { code: 'polar-mayak', name: 'Полярный Маяк', dialect: 'standard', rateLimitPerSecond: 500 },
  { code: 'dozor-avto', name: 'Дозор-Авто', dialect: 'standard', rateLimitPerSecond: 500 },
  { code: 'sokol-krylo', name: 'Соколиное Крыло', dialect: 'standard', rateLimitPerSecond: 200 },
  { code: 'tikhiy-bereg', name: 'Тихий Берег', dialect: 'snake', rateLimitPerSecond: 500 },
  { code: 'uralsky-utyos', name: 'Уральский Утёс', dialect: 'legacy', rateLimitPerSecond: 150 },
  { code: 'baikal-volna', name: 'Байкальская Волна', dialect: 'rpc', rateLimitPerSecond: 500 },
];

export function findInsurer(code: string): InsurerDefinition | undefined {
  return INSURERS.find((i) => i.code === code);
}
