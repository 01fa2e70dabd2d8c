export * from './disk-io.ts';
export * from './sparse-pages.ts';
export * from './presets.ts';
export * from './faults.ts';
export * from './disk.ts';
export * from './prefill.ts';
export * from './shared-volume.ts';
