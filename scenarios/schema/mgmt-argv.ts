import { MGMT_COMMANDS, MGMT_COMMAND_NAMES } from '../../drivers/nbd/mgmt/index.ts';
import { addressProblem } from './address.ts';

/**
 * Load-time check of a management command line from `[[at]] command`, against the command's
 * usage line (`nbd-server-add NAME [PORT] [EXPORT] [ADDRESS]`): the word count, and the words
 * whose kind the usage names (PORT, CONN, a POLICY from its listed choices). What needs the
 * running device (does connection 3 exist?) is still checked when the command runs.
 * Returns the problem, or undefined.
 */
export function mgmtArgvProblem(argv: readonly string[], servers: readonly string[]): string | undefined {
  const [name, ...args] = argv;
  const cmd = MGMT_COMMANDS.find((c) => c.name === name);
  if (!cmd) return `unknown management command "${name ?? ''}" (one of: ${MGMT_COMMAND_NAMES.join(', ')})`;
  const usage = `(usage: ${cmd.usage})`;
  const second = args.find((a) => MGMT_COMMAND_NAMES.includes(a));
  if (second !== undefined) {
    return `"${second}" is a second command: an array is the words of one command, so give each command its own [[at]] ${usage}`;
  }
  const choices = /\(([^)]*)\)\s*$/.exec(cmd.usage)?.[1]?.split('|').map((c) => c.trim());
  const slots = cmd.usage.replace(/\([^)]*\)\s*$/, '').trim().split(/\s+/).slice(1);
  const required = slots.filter((w) => !w.startsWith('[')).length;
  if (args.length < required) return `needs ${slots.slice(args.length).filter((w) => !w.startsWith('[')).join(' ')} ${usage}`;
  if (args.length > slots.length) return `too many arguments: "${args.slice(slots.length).join(' ')}" ${usage}`;
  for (let i = 0; i < args.length; i++) {
    const slot = slots[i]!.replace(/[[\]]/g, '');
    const v = args[i]!;
    if (slot === 'PORT' && !(/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535)) return `PORT must be 1..65535, got "${v}" ${usage}`;
    if (slot === 'CONN' && !/^\d+$/.test(v)) return `CONN must be a connection index (0, 1, ...), got "${v}" ${usage}`;
    if (slot === 'POLICY' && choices && !choices.includes(v)) return `POLICY must be one of ${choices.join(', ')}, got "${v}" ${usage}`;
  }
  if (name === 'nbd-server-add' && args[3] !== undefined && args[3] !== '-') {
    const bad = addressProblem(args[3], servers);
    if (bad) return `ADDRESS: ${bad} ${usage}`;
  }
  // Without an ADDRESS the simulator resolves NAME as a scenario host.
  if (name === 'nbd-server-add' && (args[3] === undefined || args[3] === '-') && !servers.includes(args[0]!)) {
    return `no [[server]] named "${args[0]}" (servers: ${servers.map((s) => `"${s}"`).join(', ') || 'none'}) ${usage}`;
  }
  return undefined;
}
