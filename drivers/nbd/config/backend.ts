/**
 * Backend identity: NBD itself does not replicate, so a device may spread its requests over
 * several servers only when they all serve one backing store (a shared volume, or replicas the
 * driver mirrors itself). Each server's store has an identity string: configured per device
 * (`[nbd] backend`) or per server (`[[nbd.servers]] backend`), and advertised by the server as a
 * `backend=ID` token in its NBD_INFO_DESCRIPTION (docs/nbd-extensions.md, "Backend identity").
 * Linux's nbd guards the same way with NBD_ATTR_BACKEND_IDENTIFIER.
 */

/** What the config knows of a server for grouping: its export and optional identity. */
interface ServerRef {
  readonly name: string;
  readonly export: string;
  readonly backend?: string | undefined;
}

interface ExportRef {
  readonly name: string;
  readonly device?: string | undefined;
}

/**
 * The device (nbdN) a server's export becomes: the listed export's device (or nbd<position>),
 * or, without a list, one device per distinct export name in order of first appearance.
 */
export function deviceOfServer(s: ServerRef, servers: readonly ServerRef[], exports: readonly ExportRef[] | undefined): string {
  if (exports) {
    const k = exports.findIndex((e) => e.name === s.export);
    return k < 0 ? `nbd?${s.export}` : exports[k]!.device ?? `nbd${k}`;
  }
  const names = [...new Set(servers.map((x) => x.export))];
  return `nbd${names.indexOf(s.export)}`;
}

/**
 * The first server whose configured backend differs from another's on the same device (or from
 * the device's `backend`): its index and a reason naming both. Undefined when nothing is mixed.
 */
export function mixedBackend(
  servers: readonly ServerRef[], deviceBackend: string | undefined, exports: readonly ExportRef[] | undefined,
): { index: number; reason: string } | undefined {
  const first = new Map<string, { id: string; who: string }>();
  for (let i = 0; i < servers.length; i++) {
    const s = servers[i]!;
    const id = s.backend ?? deviceBackend;
    if (id === undefined) continue;
    const dev = deviceOfServer(s, servers, exports);
    const seen = first.get(dev) ?? (deviceBackend !== undefined ? { id: deviceBackend, who: '[nbd] backend' } : undefined);
    if (seen && seen.id !== id) {
      return { index: i, reason: mismatch(dev, `server "${s.name}"`, id, seen.who, seen.id) };
    }
    if (!seen) first.set(dev, { id, who: `server "${s.name}"` });
  }
  return undefined;
}

/** The one message for a mixed backend, at config time or on the wire. */
export function mismatch(device: string, who: string, id: string, otherWho: string, otherId: string): string {
  return `${device} would mix backends: ${who} serves backend "${id}" but ${otherWho} serves "${otherId}" ` +
    '(every server of a device must serve the same data: a shared volume or a mirror)';
}

const TOKEN = /(?:^|\s)backend=(\S+)/;

/** The identity a server advertises in its export description (`backend=ID` token), if any. */
export function backendOfDescription(description: string): string | undefined {
  return TOKEN.exec(description)?.[1];
}

const BOOT = /(?:^|\s)boot=(\S+)/;

/**
 * The server instance a description names (`boot=N` token, docs/nbd-extensions.md "Server
 * instance"): it changes when the server's host restarted, losing what its disks had not flushed.
 */
export function bootOfDescription(description: string): string | undefined {
  return BOOT.exec(description)?.[1];
}

/** `description` naming server instance `boot` (replacing an earlier token). */
export function withBoot(description: string, boot: number): string {
  const rest = description.replace(/(?:^|\s)boot=\S+/, '').trim();
  return rest === '' ? `boot=${boot}` : `${rest} boot=${boot}`;
}

/** An export description carrying `id` (and free text before it). */
export function describeBackend(id: string, text = ''): string {
  return text === '' ? `backend=${id}` : `${text} backend=${id}`;
}

/**
 * The device's side of the check when a server finished its handshake: its identity must be the
 * one the device has (configured, or learnt from the first server that advertised one). A server
 * that advertises none is taken on the configuration's word. Returns '' or why it is refused.
 */
export class BackendGuard {
  private id: string | undefined;
  private from: string;

  constructor(private readonly device: string, configured: string | undefined) {
    this.id = configured;
    this.from = '[nbd] backend';
  }

  /** The identity the device serves, once known. */
  get backend(): string | undefined {
    return this.id;
  }

  /** A server about to be added with identity `id` (nbd-server-add): '' or why it is refused. */
  conflict(server: string, id: string | undefined): string {
    if (id === undefined || this.id === undefined || id === this.id) return '';
    return mismatch(this.device, `server "${server}"`, id, this.from, this.id);
  }

  /** `configured`: the server's own `backend` key; `advertised`: what its description says. */
  admit(server: string, configured: string | undefined, advertised: string | undefined): string {
    if (configured !== undefined && advertised !== undefined && configured !== advertised) {
      return mismatch(this.device, `server "${server}"`, advertised, `its configuration`, configured);
    }
    const id = advertised ?? configured;
    if (id === undefined) return '';
    if (this.id === undefined) {
      this.id = id;
      this.from = `server "${server}"`;
      return '';
    }
    return id === this.id ? '' : mismatch(this.device, `server "${server}"`, id, this.from, this.id);
  }
}

/** Whether the device of these servers is a client-side mirror (its export has mode = "mirror"). */
export function isMirror(cfg: { readonly servers: readonly ServerRef[]; readonly exports: readonly (ExportRef & { readonly mode?: string })[] }): boolean {
  const first = cfg.servers[0];
  return first !== undefined && cfg.exports.some((e) => e.name === first.export && e.mode === 'mirror');
}
