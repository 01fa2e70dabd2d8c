// Read-only grants (docs/nbd-extensions.md, "Access control"): the export is read-only for the
// clients the grant names (by TLS-PSK identity or address) and writable for everyone else.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { NBD_CMD_READ, NBD_CMD_WRITE, NBD_EPERM, NBD_FLAG_READ_ONLY } from '../../../drivers/nbd/protocol/uapi.ts';
import { Conn } from './harness.ts';

const cfg = () => ({ exports: [{ name: 'd', store: new MemoryStore(1 << 20), readOnlyFor: ['psk:auditor', '10.0.0.7'] }], tls: 'optional' as const });

/** GO on 'd' (after a TLS upgrade as `identity`, when given); returns the transmission flags. */
function open(c: Conn, identity?: string): number {
  c.handshakeStart();
  if (identity) {
    c.option(5); // STARTTLS: ACK, then the host upgrades the socket
    c.session.tlsReady(identity);
  }
  const r = c.go('d');
  const info = r.optReply();
  info.data.u16(); // NBD_INFO_EXPORT
  info.data.u64(); // size
  return info.data.u16();
}

describe('read-only grants', () => {
  it('a granted TLS identity sees NBD_FLAG_READ_ONLY and its writes fail with EPERM; reads work', () => {
    const c = new Conn(cfg());
    expect(open(c, 'auditor') & NBD_FLAG_READ_ONLY).toBe(NBD_FLAG_READ_ONLY);
    expect(c.request(NBD_CMD_WRITE, 0, 4, { data: new Uint8Array(4) }).simple().error).toBe(NBD_EPERM);
    expect(c.request(NBD_CMD_READ, 0, 4).simple().error).toBe(0);
  });

  it('a granted address is read-only even without TLS', () => {
    const c = new Conn(cfg(), '10.0.0.7');
    expect(open(c) & NBD_FLAG_READ_ONLY).toBe(NBD_FLAG_READ_ONLY);
  });

  it('another identity may write', () => {
    const c = new Conn(cfg());
    expect(open(c, 'orion') & NBD_FLAG_READ_ONLY).toBe(0);
    expect(c.request(NBD_CMD_WRITE, 0, 4, { data: new Uint8Array(4) }).simple().error).toBe(0);
  });
});
