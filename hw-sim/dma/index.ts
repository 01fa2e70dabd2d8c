export * from './cost.ts';
export * from './dma.ts';
