/** Re-exports of the port types the request path uses, so its import list stays short. */
export { BlkFlag, BlkOp, Errno, QueueRqResult, TimeoutVerdict, type BlkRequest, type BlockDisk } from './ports.ts';
export type { ReplySink } from './protocol-port.ts';
