export * from './cpu.ts';
