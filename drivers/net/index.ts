export * from './nic-driver.ts';
