import { z } from 'zod';
import { duration, int, size } from '../../drivers/nbd/config/fields.ts';
import { impairmentFields } from './topology.ts';

const time = duration();
const server = z.string().min(1);
/** A link: its name or a host pair "a<->client" (either order). */
const link = z.string().min(1);
const heldFor = duration(undefined, { min: 1 }).optional();

const at = <A extends string, S extends z.core.$ZodLooseShape>(action: A, shape: S) =>
  z.strictObject({ time, action: z.literal(action), ...shape });

/** `[[at]]`: one timed fault or management command. Times are virtual, from boot. */
export const timelineSchema = z.discriminatedUnion('action', [
  at('crash', { target: server }),
  at('restart', { target: server }),
  /** `direction = "a->client"`: only traffic from a to the client is dropped (default both ways). */
  at('partition', { target: link, duration: heldFor, direction: z.string().min(1).optional() }),
  at('heal', { target: link }),
  at('link-down', { target: link, duration: heldFor }),
  at('link-up', { target: link }),
  at('set-link', {
    target: link,
    rate: impairmentFields.rate.optional(),
    delay: impairmentFields.delay.optional(),
    jitter: impairmentFields.jitter.optional(),
    loss: impairmentFields.loss.optional(),
    duplicate: impairmentFields.duplicate.optional(),
    reorder: impairmentFields.reorder.optional(),
    corrupt: impairmentFields.corrupt.optional(),
  }),
  at('disk-eio', {
    target: server,
    export: z.string().optional(),
    offset: size().default(0),
    length: size({ min: 1 }),
    ops: z.array(z.enum(['read', 'write', 'flush', 'trim', 'zero'])).default(['read', 'write']),
    duration: heldFor,
  }),
  at('slow', { target: server, delay: duration(), duration: heldFor }),
  at('hang', { target: server, duration: heldFor }),
  at('malformed', {
    target: server,
    count: int(1, 1_000_000).default(1),
    kind: z.enum(['bad-magic', 'bad-cookie', 'short', 'oversized']).default('bad-magic'),
  }),
  at('mgmt', { command: z.union([z.string().min(1), z.array(z.string()).min(1)]) }),
]);

export type TimelineAction = z.output<typeof timelineSchema>['action'];
