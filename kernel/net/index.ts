/**
 * kernel/net: one host's IPv4 + TCP + UDP stack, driven by callbacks on the engine loop.
 *
 *   const stack = createKernelNetStack(kernel)            // or new NetStack({ host, engine })
 *   driver: const ifc = stack.addInterface(dev, '10.0.0.1', 24); ifc.receive(p); ifc.wake();
 *   server: const l = stack.listen(port, { noDelay: true }); l.onAccept = (s) => { s.onData = ... }
 *   client: const s = stack.tcpSocket({ noDelay: true }); s.onConnect = ...; s.connect(ip, port)
 *   s.send(buf) → bytes accepted (0 when full: wait for onWritable); s.onData(view) or s.read(buf)
 *   s.shutdown() (FIN), s.close(), s.abort() (RST); failures: s.onError(NetError{code}) then onClose
 *
 * Sequence numbers live as stream offsets inside TCP and are wrapped to 32 bits on the wire only.
 * Loss recovery is NewReno plus loss probes (tcp/probe.ts: tail loss probe, lost retransmission
 * in recovery), so random loss costs RTTs, not 200 ms timeouts. Send-queue chunk buffers are
 * pooled under the rule in tcp/send-queue.ts; in-order data for an onData owner skips the ring.
 * Timers go through NetClock (the kernel's timer device under createKernelNetStack). Counters
 * are in NetStats, published under `net/` in the kernel stats tree.
 */
export * from './errors.ts';
export * from './clock.ts';
export * from './device.ts';
export * from './stats.ts';
export * from './stack.ts';
export * from './udp.ts';
export * from './tcp/config.ts';
export * from './tcp/state.ts';
export * from './tcp/socket.ts';
export * from './tcp/listener.ts';
export type { NetRoute } from './tcp/tcb.ts';
export * from './kernel-glue.ts';
export * from './tcp/options.ts';
