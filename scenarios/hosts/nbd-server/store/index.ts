export * from './block-store.ts';
export * from './memory-store.ts';
