export * from './time.ts';
export * from './event-queue.ts';
export * from './rng.ts';
export * from './trace.ts';
export * from './engine.ts';
export * from './rx-scheduler.ts';
export * from './xstate-adapter.ts';
export * from './bugs.ts';
