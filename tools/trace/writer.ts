import { createWriteStream, type WriteStream } from 'node:fs';
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import { headerLine, recordLine, type TraceHeader } from './format.ts';

/** Streams a JSONL trace to a file, buffering lines so a record costs no syscall. */
export class TraceWriter {
  private readonly out: WriteStream;
  private buf = '';

  constructor(path: string, header: TraceHeader) {
    this.out = createWriteStream(path);
    this.buf = headerLine(header);
  }

  readonly write = (r: TraceRecord): void => {
    this.buf += recordLine(r);
    if (this.buf.length > 1 << 20) this.flush();
  };

  private flush(): void {
    this.out.write(this.buf);
    this.buf = '';
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }
}
