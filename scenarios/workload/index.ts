export * from './spec.ts';
export * from './report.ts';
export * from './history.ts';
export * from './verify.ts';
export * from './workload.ts';
