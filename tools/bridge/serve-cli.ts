/** `serve` as a command: parse arguments, serve until SIGINT/SIGTERM. */
import { parseAccessSpec, parseExportSpec, parsePort, UsageError } from './args.ts';
import { startServe, type RunningServer } from './serve.ts';

export interface ServeCliOptions {
  port: string;
  export: string[];
  tlsPsk?: string;
  bind?: string;
  verbose?: boolean;
  /** EXPORT=ID[,ID...]: only these clients may open EXPORT (NBD_REP_ERR_POLICY for others). */
  allow?: string[];
  /** EXPORT=ID[,ID...]: EXPORT is read-only for these clients. */
  readOnlyFor?: string[];
}

export interface ServeCliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Validates and starts; resolves with the running server, or with an exit code on failure. */
export async function startServeCli(opts: ServeCliOptions, io: ServeCliIo): Promise<RunningServer | number> {
  let exports;
  let port;
  try {
    port = parsePort(opts.port);
    if (!opts.export || opts.export.length === 0) throw new UsageError('at least one --export NAME=SIZE is required');
    const specs = opts.export.map(parseExportSpec);
    const names = new Set<string>();
    for (const e of specs) {
      if (names.has(e.name)) throw new UsageError(`--export '${e.name}' is given twice`);
      names.add(e.name);
    }
    const policy = (list: string[] | undefined, flag: string) => {
      const out = new Map<string, string[]>();
      for (const text of list ?? []) {
        const a = parseAccessSpec(text, flag);
        if (!names.has(a.name)) throw new UsageError(`${flag} '${text}': no --export named '${a.name}'`);
        out.set(a.name, [...(out.get(a.name) ?? []), ...a.ids]);
      }
      return out;
    };
    const allow = policy(opts.allow, '--allow');
    const ro = policy(opts.readOnlyFor, '--read-only-for');
    exports = specs.map((e) => ({
      ...e, ...(allow.has(e.name) ? { allow: allow.get(e.name)! } : {}), ...(ro.has(e.name) ? { readOnlyFor: ro.get(e.name)! } : {}),
    }));
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`orion-sim serve: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    const s = await startServe({
      port, exports, ...(opts.bind ? { bind: opts.bind } : {}), ...(opts.tlsPsk ? { tlsPskFile: opts.tlsPsk } : {}),
      ...(opts.verbose ? { log: (l: string) => io.err(l + '\n') } : {}),
    });
    const bind = opts.bind ?? '127.0.0.1';
    io.out(`serving ${exports.map((e) => `'${e.name}' (${e.size} bytes)`).join(', ')} on nbd://${bind}:${s.port}${opts.tlsPsk ? ' (TLS-PSK required)' : ''}\n`);
    return s;
  } catch (e) {
    io.err(`orion-sim serve: ${(e as Error).message}\n`);
    return 1;
  }
}

/** Serves until SIGINT or SIGTERM; resolves with the exit code. */
export async function serveUntilSignal(opts: ServeCliOptions, io: ServeCliIo): Promise<number> {
  const s = await startServeCli(opts, io);
  if (typeof s === 'number') return s;
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await s.close();
  return 0;
}
