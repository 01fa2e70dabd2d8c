export * from './config.ts';
export * from './host.ts';
export * from './machine.ts';
