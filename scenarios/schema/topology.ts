import { z } from 'zod';
import { ipv4Of } from './address.ts';
import { duration, fraction, int, rate, size } from '../../drivers/nbd/config/fields.ts';

/** A host's TCP settings (its net.ipv4.tcp_* sysctls), on `[machine]` and on each `[[server]]`. */
const hostTcp = () => z
  .strictObject({
    autocorking: z.boolean().default(true)
      .describe('net.ipv4.tcp_autocorking (Linux default on): a small send waits while the socket still has packets in the NIC, and leaves with what joined it at the next transmit completion; false: every send leaves at once.'),
  })
  .default({ autocorking: true })
  .describe('TCP settings of this host (Linux sysctls).');

const name = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a name of letters, digits, "_", "." or "-"');

/** `[machine]`: the client host that runs the NBD driver and the workloads. */
export const machineSchema = z.strictObject({
  cores: int(1, 256).default(4).describe('CPU cores of the client host.'),
  nic: z
    .strictObject({
      rx_ring: int(8, 65536).default(1024).describe('Receive ring size of the client NIC, in descriptors (one per wire frame).'),
      tx_ring: int(8, 65536).default(1024).describe('Transmit ring size of the client NIC, in descriptors.'),
      rate: rate().optional().describe('Line rate of the NIC; the link\'s rate limits the wire in any case.'),
    })
    .default({ rx_ring: 1024, tx_ring: 1024, rate: undefined })
    .describe('The client\'s network card.'),
  irq_coalescing: z
    .strictObject({
      delay: duration(undefined, { max: 10_000_000 }).default(0).describe('Raise the receive interrupt at most this long after the first unsignalled frame.'),
      frames: int(1, 4096).default(1).describe('... or once this many frames are pending, whichever comes first (frames).'),
    })
    .default({ delay: 0, frames: 1 })
    .describe('Interrupt coalescing of the client NIC.'),
  io_scheduler: z.enum(['none', 'mq-deadline']).default('none')
    .describe('blk-mq I/O scheduler of the client block devices (the NBD device and RAM disks).'),
  plug: z.boolean().default(false)
    .describe('Plug client submissions: the bios a submitter issues in one go (one engine event) gather in a plug, merge there, and reach the scheduler together (blk_finish_plug).'),
  cpu_cost_scale: z.number().min(0).max(1000).default(1)
    .describe('Scale of the CPU cost of the I/O path on every host (hw-sim/cpu/costs.ts: block layer, NBD driver, per-packet protocol work, timer callbacks, server program, copies, checksums, compression, TLS); 0 turns it off, 1 is the documented model.'),
  tcp: hostTcp(),
}).describe('The client host that runs the NBD driver and the workloads.');

const diskOp = z.enum(['read', 'write', 'flush', 'trim', 'zero']);

/** A static EIO/ENOSPC range on one export of a server disk. */
export const eioRangeSchema = z.strictObject({
  export: z.string().optional().describe('Export the range is on (default: the server\'s first export).'),
  offset: size().default(0).describe('Start of the failing range in the export.'),
  length: size({ min: 1 }).describe('Length of the failing range.'),
  ops: z.array(diskOp).default(['read', 'write']).describe('Disk operations that fail in the range.'),
  rate: fraction().default(1).describe('Share of the matching requests that fail.'),
  error: z.enum(['EIO', 'ENOSPC']).default('EIO').describe('Error the server replies with.'),
});

/** A client identity in an access list: `psk:<TLS-PSK identity>` or an IPv4 address. */
const clientId = () => z.string().regex(/^(psk:.+|\d{1,3}(\.\d{1,3}){3})$/, 'must be "psk:<identity>" or an IPv4 address')
  .refine((v) => v.startsWith('psk:') || ipv4Of(v) !== undefined, 'must be "psk:<identity>" or an IPv4 address (each part 0..255)');

const exportSchema = z.strictObject({
  name: z.string().describe('Export name a client asks for in NBD_OPT_GO.'),
  size: size({ min: 512, multipleOf: 512 }).optional().describe('Size of the export (default with `volume`: the volume\'s size; required otherwise).'),
  volume: name().optional().describe('Serve this [[volume]] (a shared, dual-ported disk) instead of a disk of the server\'s own.'),
  read_only: z.boolean().default(false).describe('Serve the export read-only (NBD_FLAG_READ_ONLY).'),
  prefill: z.enum(['zeros', 'pattern']).default('zeros')
    .describe('What the export holds before its first write: "zeros" (holes) or "pattern" (data naming its own offset).'),
  allow: z.array(clientId()).min(1).optional()
    .describe('Clients allowed to use the export: "psk:<identity>" (TLS-PSK identity) or a client IPv4 address; others get NBD_REP_ERR_POLICY. Absent: everyone.'),
  read_only_for: z.array(clientId()).min(1).optional()
    .describe('Clients (same forms as allow) granted read-only access: the export is read-only for them, writes fail with EPERM.'),
});

/**
 * `[[volume]]`: a shared volume, a dual-ported disk in its own power domain that several server
 * hosts export (hw-sim/disk/shared-volume.ts). A server crash does not touch it.
 */
export const volumeSchema = z.strictObject({
  name: name().describe('Volume name, used by [[server.export]] volume and the timeline\'s power-loss.'),
  size: size({ min: 512, multipleOf: 512 }).describe('Size of the volume.'),
  disk: z.enum(['ram', 'nvme', 'ssd', 'hdd']).default('nvme').describe('Service-time model of the volume.'),
  write_cache: z.boolean().default(true).describe('Volatile write cache in the volume: unflushed writes are lost on its power loss (not on a server crash).'),
  prefill: z.enum(['zeros', 'pattern']).default('zeros')
    .describe('What the volume holds before its first write: "zeros" (holes) or "pattern" (data naming its own offset).'),
});

/** `[[server]]`: a server host running the NBD server program on its own kernel. */
export const serverSchema = z.strictObject({
  name: name().describe('Host name of the server, used by links, [[at]] targets and [nbd] servers.'),
  address: z.string().optional().describe('IPv4 address of the server host (default: assigned in order).'),
  port: int(1, 65535).default(10809).describe('TCP port the NBD server listens on.'),
  cores: int(1, 256).default(2).describe('CPU cores of the server host.'),
  disk: z.enum(['ram', 'nvme', 'ssd', 'hdd']).default('nvme').describe('Disk model behind the exports (service times and crash behaviour).'),
  write_cache: z.boolean().default(true).describe('Volatile write cache in the disk: unflushed writes are lost on a crash.'),
  multi_conn: z.boolean().default(true).describe('Advertise NBD_FLAG_CAN_MULTI_CONN.'),
  udp: z.boolean().default(true).describe('Grant the Orion UDP transport to clients that ask (docs/nbd-extensions.md); false: refuse it with NBD_REP_ERR_UNSUP, as a standard server does.'),
  export: z.array(exportSchema).min(1, 'a server needs at least one [[server.export]]').describe('The exports this server serves (at least one).'),
  tls: z
    .strictObject({
      psk: z.string().regex(/^([0-9a-fA-F]{2}){16,}$/, 'must be hex, at least 32 hex digits (128 bits)').describe('TLS pre-shared key, hex, at least 128 bits.'),
      identity: z.string().min(1).default('orion').describe('PSK identity the server expects.'),
      required: z.boolean().default(true).describe('Refuse transmission without STARTTLS.'),
    })
    .optional()
    .describe('STARTTLS with a pre-shared key.'),
  tcp: hostTcp(),
  faults: z
    .strictObject({
      eio: z.array(eioRangeSchema).default([]).describe('Ranges of the disk that fail with an error from the start of the run.'),
      extra_latency: duration().default(0).describe('Extra service time added to every disk request.'),
    })
    .default({ eio: [], extra_latency: 0 })
    .describe('Static disk faults of this server.'),
});

/** Impairments shared by `[[link]]` and the timeline's `set-link`. */
export const impairmentFields = {
  rate: rate().describe('Line rate of the link in each direction.'),
  delay: duration().describe('One-way propagation delay.'),
  jitter: duration().describe('Random extra delay per frame, up to this much (never reorders).'),
  loss: fraction().describe('Probability that a frame is dropped.'),
  duplicate: fraction().describe('Probability that a frame is delivered twice.'),
  reorder: fraction().describe('Probability that a frame is held back behind later ones.'),
  corrupt: fraction().describe('Probability that a frame has one bit flipped.'),
};

/** `[[link]]`: a full-duplex link between two hosts ("client" is the [machine]). */
export const linkSchema = z.strictObject({
  name: name().optional().describe('Name for [[at]] targets (default "a<->b" from `between`).'),
  between: z.tuple([z.string(), z.string()]).describe('The two hosts the link joins: "client" or a [[server]] name.'),
  rate: impairmentFields.rate.default(25_000_000_000),
  delay: impairmentFields.delay.default(20_000),
  jitter: impairmentFields.jitter.default(0),
  loss: impairmentFields.loss.default(0),
  duplicate: impairmentFields.duplicate.default(0),
  reorder: impairmentFields.reorder.default(0),
  corrupt: impairmentFields.corrupt.default(0),
  reorder_delay: duration().default(30_000).describe('How long a reordered frame is held back (default 30 µs); longer than a retransmission timeout makes late duplicates.'),
  mtu: int(576, 9216).default(1500).describe('Largest IP packet on the link, in bytes.'),
});
