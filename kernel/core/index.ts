export * from './kernel.ts';
export * from './stats.ts';
export * from './klog.ts';
export * from './softirq.ts';
export * from './napi.ts';
export * from './irq.ts';
export * from './timers.ts';
export * from './driver-model.ts';
export type { CpuContext } from './cpu-context.ts';
