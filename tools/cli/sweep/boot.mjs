// Piscina worker entry. A worker thread does not inherit tsx's module hooks, so this plain
// JavaScript file registers them and then loads the TypeScript worker (and, through it, the
// runner module) in this thread.
import { register } from 'tsx/esm/api';

register();
const { default: runTask } = await import('./worker.ts');

export default runTask;
