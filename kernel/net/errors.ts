/** Error codes a socket owner receives; named after their POSIX errno. */
export type NetErrorCode =
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'ECONNREFUSED'
  | 'EPIPE'
  | 'ENOTCONN'
  | 'EISCONN'
  | 'EADDRINUSE'
  | 'ENETUNREACH'
  | 'EINVAL'
  | 'EMSGSIZE';

/** A socket error: `code` is what callers switch on, the message says what and where. */
export class NetError extends Error {
  constructor(
    readonly code: NetErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'NetError';
  }
}
