import { newRequest, type NbdRequest as WireRequest } from '../protocol/request-check.ts';
import type { NegotiatedExport } from '../protocol/handshake-types.ts';
import { TransmissionSession } from '../protocol/transmission.ts';
import { Errno } from '../ports.ts';
import type { ReplySink, Transmission } from '../protocol-port.ts';

const SUBMIT_ERRNO: Readonly<Record<string, number>> = {
  EOPNOTSUPP: Errno.ENOTSUP, EINVAL: Errno.EINVAL, EPERM: Errno.EPERM, EOVERFLOW: Errno.EOVERFLOW, ESHUTDOWN: Errno.ESHUTDOWN, EAGAIN: Errno.EIO,
};

/**
 * The driver's Transmission over E4's TransmissionSession. The session's tags are the driver's
 * tags (unique per device, so unique per connection); one wire request record per tag is made
 * once and refilled per submit, so nothing is allocated per request.
 */
export class SessionTransmission implements Transmission {
  private readonly session: TransmissionSession;
  private readonly reqs: WireRequest[] = [];

  constructor(x: NegotiatedExport, sink: ReplySink, generation: number, tags: number, send: (bytes: Uint8Array) => void) {
    for (let t = 0; t < tags; t++) this.reqs.push(newRequest(0));
    this.session = new TransmissionSession(x, {
      send,
      complete: (req) => sink.done(req.tag, req.error),
      stateChanged: (st, why) => {
        if (st === 'dead') sink.fatal(why?.message ?? 'transmission session died');
        else if (st === 'draining' && why === null) sink.shutdown();
      },
    }, { generation, maxInFlight: tags });
  }

  submit(tag: number, cmd: number, flags: number, offset: number, length: number, data: Uint8Array | null): number {
    const r = this.reqs[tag];
    if (r === undefined) return Errno.EINVAL;
    r.type = cmd; r.flags = flags; r.offset = offset; r.length = length; r.data = data; r.tag = tag;
    const bad = this.session.submit(r);
    return bad === null ? 0 : (SUBMIT_ERRNO[bad.errno] ?? Errno.EIO);
  }

  feed(bytes: Uint8Array): void {
    this.session.feed(bytes);
    // The caller reuses `bytes`: keep only a copy of the undecoded tail.
    this.session.detachInput();
  }

  disconnect(): void {
    this.session.disconnect();
  }

  abort(): void {
    this.session.abort();
  }
}
