export * from './errors.ts';
export * from './types.ts';
export * from './units.ts';
export { NBD_LIMITS, NBD_DEFAULT_PORT, nbdSectionSchema } from './schema.ts';
export { nbdConfigFromTable, defaultNbdConfig, type ConfigSource } from './load.ts';
