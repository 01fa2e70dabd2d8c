import { z } from 'zod';
import { duration, fraction, int, rate, size } from '../../drivers/nbd/config/fields.ts';

const name = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a name of letters, digits, "_", "." or "-"');

/** `[machine]`: the client host that runs the NBD driver and the workloads. */
export const machineSchema = z.strictObject({
  cores: int(1, 256).default(4),
  nic: z
    .strictObject({
      rx_ring: int(8, 65536).default(1024),
      tx_ring: int(8, 65536).default(1024),
      /** Line rate of the NIC; the link's rate limits the wire in any case. */
      rate: rate().optional(),
    })
    .default({ rx_ring: 1024, tx_ring: 1024, rate: undefined }),
  irq_coalescing: z
    .strictObject({
      /** Raise the interrupt at most this long after the first unsignalled frame. */
      delay: duration(undefined, { max: 10_000_000 }).default(0),
      /** ... or once this many frames are pending, whichever comes first. */
      frames: int(1, 4096).default(1),
    })
    .default({ delay: 0, frames: 1 }),
});

const diskOp = z.enum(['read', 'write', 'flush', 'trim', 'zero']);

/** A static EIO/ENOSPC range on one export of a server disk. */
export const eioRangeSchema = z.strictObject({
  export: z.string().optional(),
  offset: size().default(0),
  length: size({ min: 1 }),
  ops: z.array(diskOp).default(['read', 'write']),
  rate: fraction().default(1),
  error: z.enum(['EIO', 'ENOSPC']).default('EIO'),
});

const exportSchema = z.strictObject({
  name: z.string(),
  size: size({ min: 512, multipleOf: 512 }),
  read_only: z.boolean().default(false),
  /** What the export holds before its first write: "zeros" (holes) or "pattern" (data naming its own offset). */
  prefill: z.enum(['zeros', 'pattern']).default('zeros'),
});

/** `[[server]]`: a server host running the NBD server program on its own kernel. */
export const serverSchema = z.strictObject({
  name: name(),
  address: z.string().optional(),
  port: int(1, 65535).default(10809),
  cores: int(1, 256).default(2),
  disk: z.enum(['ram', 'nvme', 'ssd', 'hdd']).default('nvme'),
  /** Volatile write cache in the disk: unflushed writes are lost on a crash. */
  write_cache: z.boolean().default(true),
  /** Advertise NBD_FLAG_CAN_MULTI_CONN. */
  multi_conn: z.boolean().default(true),
  export: z.array(exportSchema).min(1, 'a server needs at least one [[server.export]]'),
  tls: z
    .strictObject({
      psk: z.string().regex(/^([0-9a-fA-F]{2}){16,}$/, 'must be hex, at least 32 hex digits (128 bits)'),
      identity: z.string().min(1).default('orion'),
      required: z.boolean().default(true),
    })
    .optional(),
  faults: z
    .strictObject({
      eio: z.array(eioRangeSchema).default([]),
      /** Extra service time added to every disk request. */
      extra_latency: duration().default(0),
    })
    .default({ eio: [], extra_latency: 0 }),
});

/** Impairments shared by `[[link]]` and the timeline's `set-link`. */
export const impairmentFields = {
  rate: rate(),
  delay: duration(),
  jitter: duration(),
  loss: fraction(),
  duplicate: fraction(),
  reorder: fraction(),
  corrupt: fraction(),
};

/** `[[link]]`: a full-duplex link between two hosts ("client" is the [machine]). */
export const linkSchema = z.strictObject({
  name: name().optional(),
  between: z.tuple([z.string(), z.string()]),
  rate: impairmentFields.rate.default(25_000_000_000),
  delay: impairmentFields.delay.default(20_000),
  jitter: impairmentFields.jitter.default(0),
  loss: impairmentFields.loss.default(0),
  duplicate: impairmentFields.duplicate.default(0),
  reorder: impairmentFields.reorder.default(0),
  corrupt: impairmentFields.corrupt.default(0),
  mtu: int(576, 9216).default(1500),
});
