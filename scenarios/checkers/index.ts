export * from './history.ts';
export * from './safety.ts';
export * from './liveness.ts';
export * from './expectations.ts';
