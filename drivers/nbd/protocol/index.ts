/** The NBD protocol engine, sans-I/O: wire constants, codec, decoders, handshake, transmission. */
export * from './uapi.ts';
export * from './errors.ts';
export { ByteQueue } from './byte-queue.ts';
export * from './encode-handshake.ts';
export * from './encode-transmission.ts';
export * from './decode-handshake-replies.ts';
export * from './decode-replies.ts';
export * from './decode-requests.ts';
export * from './handshake-types.ts';
export { handshakeMachine, type HandshakeContext } from './handshake-machine.ts';
export { NbdHandshake, type HandshakeHost, type HandshakeStatus, type ActorFactory, type HandshakeActor } from './handshake.ts';
export * from './request-check.ts';
export { TransmissionSession, type SessionState, type TransmissionHost, type TransmissionOptions } from './transmission.ts';
