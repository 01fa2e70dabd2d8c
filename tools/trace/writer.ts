import { closeSync, existsSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { InputError } from '../../drivers/nbd/config/errors.ts';
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import { headerLine, recordLine, type TraceHeader } from './format.ts';

/** Opens a file for writing; failure is an InputError naming the file. */
export function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, '', code === 'ENOENT' ? 'cannot create file: no such directory' : `cannot write file (${code ?? String(e)})`);
  }
}

/**
 * Checks now that `path` can be written later, leaving it as it was: opened for appending (so an
 * existing file keeps its bytes), and removed again if this made it. Failure is openOutput's.
 */
export function checkOutput(path: string): void {
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, '', code === 'ENOENT' ? 'cannot create file: no such directory' : `cannot write file (${code ?? String(e)})`);
  }
  if (!existed) unlinkSync(path);
}

/** Writes `data` to `fd` (a descriptor or a path: `path`); failure (a full disk, /dev/full) is an InputError naming the file. */
export function writeOutput(fd: number | string, path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(fd, data);
  } catch (e) {
    throw new InputError(path, '', `cannot write file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/**
 * Writes a JSONL trace as the run goes. The run is one synchronous loop, so writes are
 * synchronous too (an async stream would hold the whole trace in memory until the run ends);
 * lines are batched so a record costs no syscall.
 */
export class TraceWriter {
  private readonly fd: number;
  private buf: string;

  /** Opens the file now, so an unwritable path is bad input before the run starts. */
  constructor(private readonly path: string, header: TraceHeader) {
    this.fd = openOutput(path);
    this.buf = headerLine(header);
  }

  readonly write = (r: TraceRecord): void => {
    this.buf += recordLine(r);
    if (this.buf.length > 1 << 20) this.flush();
  };

  private flush(): void {
    if (this.buf.length > 0) writeOutput(this.fd, this.path, this.buf);
    this.buf = '';
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}
