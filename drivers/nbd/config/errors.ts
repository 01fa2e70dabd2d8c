/** A path into a TOML document: table keys and array indices, as in `at[2].target`. */
export type KeyPath = readonly (string | number)[];

/** Renders a key path the way users write it: `nbd.servers[0].port`, `at[2].target`. */
export function formatKeyPath(path: KeyPath): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}

/**
 * Bad user input (a config or scenario file): which file, which key, why, and the line when
 * known. The CLI turns any InputError into one line on stderr and exit status 2.
 */
export class InputError extends Error {
  readonly file: string;
  readonly keyPath: string;
  readonly reason: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(file: string, keyPath: string, reason: string, line?: number, column?: number) {
    super(formatInputError(file, keyPath, reason, line, column));
    this.name = 'InputError';
    this.file = file;
    this.keyPath = keyPath;
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

/** `file:line:col: key.path: reason` — parts that are unknown are left out. */
export function formatInputError(file: string, keyPath: string, reason: string, line?: number, column?: number): string {
  let where = file;
  if (line !== undefined) where += `:${line}`;
  if (line !== undefined && column !== undefined) where += `:${column}`;
  return keyPath === '' ? `${where}: ${reason}` : `${where}: ${keyPath}: ${reason}`;
}

/** A bad key, type or range in the driver's `[nbd]` configuration. */
export class ConfigError extends InputError {
  constructor(file: string, keyPath: string, reason: string, line?: number, column?: number) {
    super(file, keyPath, reason, line, column);
    this.name = 'ConfigError';
  }
}
