export * from './timer.ts';
