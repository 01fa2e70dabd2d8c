/**
 * `fork ACTION key=value...`: one `[[at]]` event written on the stepper's command line, checked by
 * the scenario schema exactly as in a file (so `fork partition target=client<->a duration=20ms
 * direction=a->client` means what the same keys mean in TOML), or `fork nbd-...` for a management
 * command.
 */
import { timelineSchema } from '../../../scenarios/schema/timeline.ts';
import { normaliseTimeline, RefProblem } from '../../../scenarios/schema/normalise.ts';
import type { Scenario, TimelineEvent } from '../../../scenarios/schema/types.ts';

export const FORK_HELP = 'fork ACTION key=value...  e.g. fork crash target=a | fork partition target=client<->a duration=20ms direction=a->client | fork nbd-...';

export function parseFork(s: Scenario, args: readonly string[]): TimelineEvent {
  const [action, ...rest] = args;
  if (action === undefined) throw new Error(`fork needs an event: ${FORK_HELP}`);
  const raw: Record<string, unknown> = { time: '0ns', action };
  if (action.startsWith('nbd-')) {
    raw['action'] = 'mgmt';
    raw['command'] = [...args];
  } else {
    for (const kv of rest) {
      const m = /^([a-z_-]+)=(.+)$/.exec(kv);
      if (!m) throw new Error(`fork: expected key=value, got "${kv}" (${FORK_HELP})`);
      const [, k, v] = m as unknown as [string, string, string];
      raw[k] = k === 'ops' ? v.split(',') : /^[0-9]+$/.test(v) && k !== 'duration' && k !== 'delay' ? Number(v) : v;
    }
  }
  const parsed = timelineSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const where = i.path.length > 0 ? `'${i.path.join('.')}'` : 'event';
    throw new Error(`fork ${action}: ${where}: ${i.message}`);
  }
  try {
    return normaliseTimeline([parsed.data], s.servers, s.links, undefined, s.volumes)[0]!;
  } catch (e) {
    if (e instanceof RefProblem) throw new Error(`fork ${action}: '${e.path.slice(2).join('.') || 'event'}': ${e.reason}`);
    throw e;
  }
}
