import type { Bugs } from '../../../hw-sim/engine/bugs.ts';
import type { NetClock } from '../clock.ts';
import type { TcpSocket } from '../tcp/socket.ts';
import { TlsSw } from './tls-sw.ts';
import type { TlsCpu, TlsLower, TlsUpper } from './types.ts';

export { TlsSw } from './tls-sw.ts';
export { TLS_NS_PER_BYTE, type TlsCpu, type TlsLower, type TlsUpper } from './types.ts';
export { frameRecord, TLS_HEADER, TLS_MAX_BODY, TLS_RECORD, TLS_TAG, type TlsCryptoInfo, type TlsKeys } from './record.ts';

/**
 * TCP_ULP "tls" on a kernel TCP socket. Linux swaps the socket's protocol operations; here the
 * layer takes the socket's receive and write-space callbacks and the owner sends, corks and closes
 * through the layer (setTx / setRx then install the keys). `clock` runs the layer's CPU waits.
 */
export function tcpUlpTls(sock: TcpSocket, clock: NetClock, cpu: TlsCpu | null, upper: TlsUpper, bugs?: Bugs): TlsSw {
  // After a close or the peer's FIN the socket takes nothing, as EPIPE would.
  const shut = (): boolean => sock.state === 'CLOSED' || sock.finQueued;
  const lower: TlsLower = {
    send: (d, off, len, more) => (shut() ? 0 : sock.send(d, off, len, more)),
    get writable() { return shut() ? 0 : sock.writable; },
    setCork: (on) => { sock.setCork(on); },
    wantWritable: () => { sock.writeBlocked = true; },
    markRequest: (rid) => { sock.markRequest(rid); },
  };
  const tls = new TlsSw(lower, clock, cpu, upper, bugs);
  sock.onData = (chunk) => tls.input(chunk);
  sock.onWritable = () => tls.writeSpace();
  return tls;
}
