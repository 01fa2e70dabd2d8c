/** Linux errno values the block layer and drivers report (positive; 0 is success). */
export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENXIO = 6;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EPIPE = 32;
/** Bad message: a TLS record that fails authentication (kernel TLS's sk_err). */
export const EBADMSG = 74;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
/** connect(2) to an address no route leads to. */
export const ENETUNREACH = 101;
export const ECONNRESET = 104;
export const ENOTCONN = 107;
export const ESHUTDOWN = 108;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
/** connect(2) to a host that cannot be found (a name that resolves to nothing). */
export const EHOSTUNREACH = 113;

const NAMES: Record<number, string> = {
  0: 'OK', 1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 6: 'ENXIO', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY',
  19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 32: 'EPIPE', 74: 'EBADMSG', 75: 'EOVERFLOW', 95: 'EOPNOTSUPP', 101: 'ENETUNREACH',
  104: 'ECONNRESET', 107: 'ENOTCONN', 108: 'ESHUTDOWN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH',
};

const BY_NAME: Record<string, number> = Object.fromEntries(Object.entries(NAMES).map(([n, name]) => [name, Number(n)]));

/** The errno of a symbolic name (`ECONNRESET` → 104); `fallback` when the name is unknown. */
export function errnoOf(name: string, fallback = EIO): number {
  return BY_NAME[name] ?? fallback;
}

/** Symbolic name of an errno, e.g. `EIO`, or `E<n>` when unknown. */
export function errnoName(e: number): string {
  return NAMES[e] ?? `E${e}`;
}
