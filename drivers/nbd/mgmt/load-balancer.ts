import { LB_POLICIES, type LbPolicy } from '../managers/load-balancer.ts';
import { devPrefix, indexedRows, tableOf } from './rows.ts';
import { MgmtUsageError, type MgmtCommand } from './types.ts';

export const loadBalancerInfo: MgmtCommand = {
  name: 'nbd-load-balancer-info',
  usage: 'nbd-load-balancer-info',
  summary: 'Policy, decisions, and how requests spread over connections.',
  run(ctx, args) {
    const p = devPrefix(ctx);
    const policy = ctx.stats.read(`${p}/lb/policy`) ?? null;
    const decisions = ctx.stats.read(`${p}/lb/decisions`) ?? 0;
    const rows = indexedRows(ctx, `${p}/conn`, ['server', 'state', 'lb_picks', 'outstanding']);
    return tableOf([this.name, ...args], `${ctx.device.opts.name}: load balancer (${String(policy)}, ${String(decisions)} decisions)`,
      ['index', 'server', 'state', 'lb_picks', 'outstanding'], rows, { policy, decisions, connections: rows });
  },
};

export const loadBalancerConfig: MgmtCommand = {
  name: 'nbd-load-balancer-config',
  usage: `nbd-load-balancer-config POLICY (${LB_POLICIES.join(' | ')})`,
  summary: 'Sets the connection-choice policy.',
  run(ctx, args) {
    const policy = args[0];
    if (!policy || !(LB_POLICIES as readonly string[]).includes(policy)) {
      throw new MgmtUsageError(this.name, this.usage, `unknown policy '${policy ?? ''}'`);
    }
    const before = ctx.device.lb.policy;
    ctx.device.setPolicy(policy as LbPolicy);
    return { command: [this.name, ...args], title: `${ctx.device.opts.name}: load balancing ${before} → ${policy}`, data: { before, policy } };
  },
};
