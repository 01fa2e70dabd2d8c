/** TCP connection states (RFC 793). */
export type TcpState =
  | 'CLOSED'
  | 'SYN_SENT'
  | 'SYN_RCVD'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSING'
  | 'TIME_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK';

/** States in which the peer's data is accepted. */
export function receivesData(s: TcpState): boolean {
  return s === 'ESTABLISHED' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2';
}

/** States in which our data may go out. */
export function sendsData(s: TcpState): boolean {
  return s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK';
}

/** States after the handshake completed. */
export function isSynchronized(s: TcpState): boolean {
  return s !== 'CLOSED' && s !== 'SYN_SENT' && s !== 'SYN_RCVD';
}
