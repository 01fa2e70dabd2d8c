import { cacheFlush, cacheInfo, cacheStats } from './cache.ts';
import { connectionInfo, connectionRemove, connectionReset } from './connection.ts';
import { loadBalancerConfig, loadBalancerInfo } from './load-balancer.ts';
import { networkStats, performanceStats } from './monitoring.ts';
import { serverAdd, serverInfo, serverRemove } from './server.ts';
import type { MgmtCommand, MgmtContext, MgmtOutput } from './types.ts';

export * from './types.ts';
export { renderJson, renderTable } from './render.ts';

/** The spec's 13 management commands, by name. */
export const MGMT_COMMANDS: readonly MgmtCommand[] = [
  connectionInfo, connectionReset, connectionRemove,
  serverInfo, serverAdd, serverRemove,
  cacheInfo, cacheFlush, cacheStats,
  performanceStats, networkStats,
  loadBalancerInfo, loadBalancerConfig,
];

export const MGMT_COMMAND_NAMES: readonly string[] = MGMT_COMMANDS.map((c) => c.name);

/** Runs `argv` (command name first) on the device; unknown names are an error listing the known ones. */
export function runMgmt(ctx: MgmtContext, argv: readonly string[]): MgmtOutput {
  const name = argv[0] ?? '';
  const cmd = MGMT_COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new Error(`unknown management command '${name}' (one of: ${MGMT_COMMAND_NAMES.join(', ')})`);
  return cmd.run(ctx, argv.slice(1));
}
