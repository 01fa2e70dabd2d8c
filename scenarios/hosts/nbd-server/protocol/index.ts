export * from './config.ts';
export * from './faults.ts';
export * from './server.ts';
export * from './session.ts';
export * from './types.ts';
export { BASE_ALLOCATION_ID, transmissionFlagsFor } from './handshake.ts';
