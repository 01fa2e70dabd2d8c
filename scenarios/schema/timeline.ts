import { z } from 'zod';
import { duration, fraction, int, size } from '../../drivers/nbd/config/fields.ts';
import { impairmentFields } from './topology.ts';

const time = duration().describe('Virtual time of the event, from boot.');
const server = z.string().min(1).describe('The [[server]] the fault hits.');
const link = z.string().min(1).describe('The link: its name or a host pair "a<->client" (either order).');
const heldFor = duration(undefined, { min: 1 }).optional();

const at = <A extends string, S extends z.core.$ZodLooseShape>(action: A, what: string, shape: S) =>
  z.strictObject({ time, action: z.literal(action).describe(what), ...shape });

/** `[[at]]`: one timed fault or management command. Times are virtual, from boot. */
export const timelineSchema = z.discriminatedUnion('action', [
  at('crash', 'The host crashes: a server\'s connections drop without FIN or RST and its unflushed writes are lost; "client": the driver\'s cache is lost (unflushed write-back data with it) and its connections drop until the client\'s restart.', { target: server.describe('The [[server]] the fault hits, or "client".') }),
  at('restart', 'The crashed or hung host (a [[server]] or "client") boots again.', { target: server.describe('The [[server]] the fault hits, or "client".') }),
  at('partition', 'Frames on the link are dropped (both ways, or one with `direction`).', {
    target: link,
    duration: heldFor.describe('How long the partition lasts (default: until a `heal` of the link).'),
    direction: z.string().min(1).optional().describe('"a->client": only traffic from a to the client is dropped (default: both ways).'),
  }),
  at('heal', 'Ends a partition of the link.', { target: link }),
  at('link-down', 'The link loses carrier.', { target: link, duration: heldFor.describe('How long the link stays down (default: until a `link-up`).') }),
  at('link-up', 'The link has carrier again.', { target: link }),
  at('set-link', 'Changes the link\'s impairments (loss, duplicate, reorder, corrupt) from this time on. Its rate, delay and jitter are fixed when the link is built: set-link refuses them.', {
    target: link,
    rate: impairmentFields.rate.optional().describe('Refused (not built: a link\'s rate is fixed when it is built).'),
    delay: impairmentFields.delay.optional().describe('Refused (not built: a link\'s delay is fixed when it is built).'),
    jitter: impairmentFields.jitter.optional().describe('Refused (not built: a link\'s jitter is fixed when it is built).'),
    loss: impairmentFields.loss.optional(),
    duplicate: impairmentFields.duplicate.optional(),
    reorder: impairmentFields.reorder.optional(),
    corrupt: impairmentFields.corrupt.optional(),
  }),
  at('disk-eio', 'A range of the server\'s disk fails with an error (EIO unless `error` says ENOSPC).', {
    target: server,
    export: z.string().optional().describe('Export the range is on (default: the server\'s first export).'),
    offset: size().default(0).describe('Start of the failing range in the export.'),
    length: size({ min: 1 }).describe('Length of the failing range.'),
    ops: z.array(z.enum(['read', 'write', 'flush', 'trim', 'zero'])).default(['read', 'write']).describe('Disk operations that fail in the range.'),
    error: z.enum(['EIO', 'ENOSPC']).default('EIO').describe('Error the disk fails them with: NBD_EIO / NBD_ENOSPC on the wire, EIO / ENOSPC to the job.'),
    duration: heldFor.describe('How long the range fails (default: to the end of the run).'),
  }),
  at('slow', 'Every disk request of the server takes longer.', {
    target: server,
    delay: duration().describe('Extra service time per disk request.'),
    duration: heldFor.describe('How long the server is slow (default: to the end of the run).'),
  }),
  at('hang', 'The server stops answering but keeps its connections open.', {
    target: server,
    duration: heldFor.describe('How long the server hangs (default: until its `restart`).'),
  }),
  at('malformed', 'The server sends broken replies.', {
    target: server,
    count: int(1, 1_000_000).default(1).describe('Number of broken replies.'),
    kind: z.enum(['bad-magic', 'bad-cookie', 'short', 'oversized', 'reversed-chunks', 'stale-reply']).default('bad-magic')
      .describe('How each reply is broken. Two kinds rewrite READ replies (waiting for one): "reversed-chunks" sends the data as two chunks, second half first (legal: a client must place chunks by offset); "stale-reply" first sends a copy from the previous connection\'s generation with other data (a client must refuse it).'),
  }),
  at('nic-dma-corrupt', 'Hardware fault below TCP\'s checksum: the host NIC\'s receive DMA flips one bit of a packet\'s payload in memory after the checksum was verified, so TCP accepts the damaged bytes.', {
    target: z.string().min(1).describe('The host whose NIC corrupts what it receives: "client" or a [[server]].'),
    rate: fraction().refine((r) => r > 0, 'rate must be above 0').describe('Probability per received packet with a payload (e.g. "2%").'),
    duration: heldFor.describe('How long the NIC misbehaves (default: to the end of the run).'),
  }),
  at('dma-error', 'Hardware fault of a DMA engine: descriptors fail with this probability. On a NIC the packet is dropped (a failed tx never reaches the wire, a failed rx never reaches the host; TCP retransmits); on a server\'s disks the request fails with EIO (the client sees the error).', {
    target: z.string().min(1).describe('The host: "client" or a [[server]] (device = "disk": a server).'),
    device: z.enum(['nic', 'disk']).default('nic').describe('Whose DMA engine fails: the host\'s NIC, or every disk the server exports (its own disks and the volumes it exports).'),
    rate: fraction().refine((r) => r > 0, 'rate must be above 0').describe('Probability per DMA descriptor (one per packet, one per disk read or write), e.g. "1%".'),
    duration: heldFor.describe('How long the engine fails (default: to the end of the run).'),
  }),
  at('mem-bitflip', 'Hardware fault below TCP\'s checksum: one bit of a READ reply\'s data flips in the server\'s memory after its payload checksum was computed, before the send.', {
    target: server,
    rate: fraction().refine((r) => r > 0, 'rate must be above 0').describe('Probability per READ reply (e.g. "5%").'),
    duration: heldFor.describe('How long the memory is faulty (default: to the end of the run).'),
  }),
  at('volume-power-loss', 'A shared volume loses power for an instant: its write cache and the requests in it vanish (acknowledged, unflushed writes lost), the media keeps what was flushed; every server exporting it stays up.', {
    target: z.string().min(1).describe('The [[volume]] that loses power.'),
  }),
  at('re-export', 'The server\'s NBD program restarts (its connections close in order) serving the export from another [[volume]]: an operator\'s mistake. Its export description names the new backend, so the driver must refuse it rather than mix two stores behind one device.', {
    target: server,
    export: z.string().optional().describe('The export that changes store (default: the server\'s first export).'),
    volume: z.string().min(1).describe('The [[volume]] it serves from now on (of the export\'s size).'),
  }),
  at('mgmt', 'Runs a management command of the driver and prints its output.', {
    command: z.union([z.string().min(1), z.array(z.string()).min(1)])
      .describe('The command line, e.g. "nbd-connection-info", or its words as an array (["nbd-connection-reset", "1"]); one command per [[at]]. Checked against the command\'s usage when the file loads.'),
  }),
]);

export type TimelineAction = z.output<typeof timelineSchema>['action'];
