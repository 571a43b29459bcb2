/**
 * The insurers the aggregator asks. The companies are fictional: the sandbox simulates them, and a
 * real deployment would replace this list (and point INSURERS_URL at the real APIs).
 */
export type DialectName = 'standard' | 'snake' | 'legacy' | 'rpc';

export interface InsurerDefinition {
  code: string; // lower-case kebab, stable: it appears in URLs, quotes and the page's data-insurer
  name: string;
  dialect: DialectName;
}

export const INSURERS: readonly InsurerDefinition[] = [
  { code: 'sever-shield', name: 'Северный Щит', dialect: 'standard' },
  { code: 'yantar-polis', name: 'Янтарный Полис', dialect: 'standard' },
  { code: 'tri-kita', name: 'Три Кита Страхование', dialect: 'standard' },
  { code: 'lastochka', name: 'Ласточка Страхование', dialect: 'standard' },
  { code: 'polar-mayak', name: 'Полярный Маяк', dialect: 'standard' },
  { code: 'dozor-avto', name: 'Дозор-Авто', dialect: 'standard' },
  { code: 'sokol-krylo', name: 'Соколиное Крыло', dialect: 'standard' },
  { code: 'tikhiy-bereg', name: 'Тихий Берег', dialect: 'snake' },
  { code: 'uralsky-utyos', name: 'Уральский Утёс', dialect: 'legacy' },
  { code: 'baikal-volna', name: 'Байкальская Волна', dialect: 'rpc' },
];

export function findInsurer(code: string): InsurerDefinition | undefined {
  return INSURERS.find((i) => i.code === code);
}
