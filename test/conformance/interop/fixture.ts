import { afterEach } from 'vitest';
import type { BridgeClient } from '../../../tools/bridge/client.ts';
import type { Peer } from './peers.ts';

export interface PerTest {
  peer: Peer | null;
  client: BridgeClient | null;
}

/** A peer and a client per test, both torn down after it (even when the test fails). */
export function perTest(): PerTest {
  const t: PerTest = { peer: null, client: null };
  afterEach(async () => {
    await t.client?.close().catch(() => {});
    t.client = null;
    await t.peer?.stop();
    t.peer = null;
  });
  return t;
}
