// A connection whose reconnect attempts ran out (connection_retry_count) is given up: its server
// shows as given-up in nbd-server-info with the reason and when the next health check dials it
// again, the run summary marks it, and that health check does bring it back — also on a device
// still connecting because its only server was down when it was configured.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { deviceSummaries } from '../../../scenarios/runner/device-summary.ts';
import { runDeviceMgmt } from '../../../scenarios/runner/mgmt.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import type { World } from '../../../scenarios/runner/world.ts';

const BACKUP = readFileSync(join(import.meta.dirname, '../../../scenarios/multi-backup-failover.toml'), 'utf8');

function serverRow(w: World, name: string): Record<string, unknown> {
  const out = runDeviceMgmt(w.nbds, w.client.kernel, ['nbd-server-info']);
  const rows = out.data as Record<string, unknown>[];
  return rows.find((r) => r['name'] === name)!;
}

describe('given-up connections', () => {
  it('are shown with their reason and next dial, and the next health check brings the server back', () => {
    // One reconnect attempt, health checks every 500 ms; the primary is down 10 ms to 200 ms.
    const text = BACKUP.replace('connection_retry_count = 20', 'connection_retry_count = 1\nserver_health_check_interval = "500ms"')
      .replace('time = "40ms"\naction = "restart"', 'time = "200ms"\naction = "restart"');
    const w = buildWorld(parseScenario(text, 'g.toml'), 1, { trace: false });
    w.engine.runUntil(100_000_000);
    const down = serverRow(w, 'primary');
    expect(down['health']).toBe('given-up');
    expect(down['down_reason']).toBe('given up: 1 reconnect attempt (connection_retry_count) failed, the last: connect timed out');
    expect(down['redial_at']).toBe('500.000ms');
    expect(serverRow(w, 'backup')).toMatchObject({ health: 'up', redial_at: '-', down_reason: '' });
    // Still given up after its host is back (200 ms): nothing dials it before the health check.
    w.engine.runUntil(450_000_000);
    expect(serverRow(w, 'primary')['health']).toBe('given-up');
    // The run summary's devices table says so too.
    expect(deviceSummaries(w)[0]!.servers).toEqual(['primary (given-up)', 'backup (backup)']);
    w.engine.runUntil(520_000_000);
    expect(serverRow(w, 'primary')).toMatchObject({ health: 'up', carrying: true, down_reason: '', redial_at: '-' });
  });

  it('a device whose only server was down when configured connects at the next health check', () => {
    const text = `[scenario]
name = "late-server"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "4MiB"
[nbd]
connection_pool_size = 1
connection_timeout = "5ms"
connection_retry_count = 0
server_health_check_interval = "100ms"
[[job]]
name = "w"
rw = "randwrite"
bs = "4KiB"
ios = 10
`;
    const w = buildWorld(parseScenario(text, 'l.toml'), 1, { trace: false });
    const prog = w.servers.get('a')!;
    prog.crash();
    w.engine.runUntil(50_000_000);
    const dev = w.nbd!.device;
    expect(dev.state).toBe('connecting');
    expect(serverRow(w, 'a')['health']).toBe('given-up');
    prog.start();
    w.engine.runUntil(99_000_000);
    expect(dev.state).toBe('connecting');
    w.engine.runUntil(110_000_000);
    expect(dev.state).toBe('ready');
  });
});
