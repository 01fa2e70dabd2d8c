import { readFileSync } from 'node:fs';

/** Reads a user's input file; a missing or unreadable file becomes `fail(reason)`. Tools only. */
export function readInputText(path: string, fail: (reason: string) => Error): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read file (${code ?? String(e)})`);
  }
}
