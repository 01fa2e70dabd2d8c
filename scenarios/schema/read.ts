import { readFileSync, statSync } from 'node:fs';

/**
 * Reads a user's input file; a missing or unreadable file becomes `fail(reason)`. Tools only.
 * Only a regular file is read: a device (/dev/zero) or a FIFO never ends, and reading one hung.
 */
export function readInputText(path: string, fail: (reason: string) => Error): string {
  let kind: 'file' | 'directory' | 'other';
  try {
    const st = statSync(path);
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
    if (kind === 'file') return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read file (${code ?? String(e)})`);
  }
  throw fail(kind === 'directory' ? 'is a directory' : 'is not a regular file (a device, FIFO or socket): give a file');
}
