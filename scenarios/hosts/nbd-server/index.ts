export * from './program.ts';
export * from './socket-io.ts';
