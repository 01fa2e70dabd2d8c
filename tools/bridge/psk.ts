import { readFileSync } from 'node:fs';

/** One TLS pre-shared key: the identity (user name) and the key bytes. */
export interface PskEntry {
  identity: string;
  key: Buffer;
}

/**
 * Reads a PSK file in nbdkit's format (the same as GnuTLS psktool): one `username:hexkey` a line.
 * Blank lines and `#` comments are skipped. Errors name the file and line.
 */
export function readPskFile(path: string): PskEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read PSK file '${path}': ${(e as Error).message}`);
  }
  const out: PskEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const identity = line.slice(0, colon);
    const hex = line.slice(colon + 1);
    if (colon <= 0 || !/^([0-9a-fA-F]{2})+$/.test(hex)) {
      throw new Error(`${path}:${i + 1}: expected 'username:hexkey' (an even number of hex digits)`);
    }
    out.push({ identity, key: Buffer.from(hex, 'hex') });
  });
  if (out.length === 0) throw new Error(`PSK file '${path}' holds no 'username:hexkey' line`);
  return out;
}

/** The entry for `identity`, or the first one when no identity is asked for. */
export function pickPsk(entries: readonly PskEntry[], identity?: string): PskEntry {
  const e = identity === undefined ? entries[0] : entries.find((x) => x.identity === identity);
  if (!e) throw new Error(`PSK file has no key for user '${identity}'`);
  return e;
}

/** PSK cipher suites for TLS 1.2 (node:tls does PSK on TLS 1.2; PSK suites are off by default). */
export const PSK_CIPHERS = 'PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:PSK-CHACHA20-POLY1305:DHE-PSK-AES256-GCM-SHA384:DHE-PSK-AES128-GCM-SHA256:ECDHE-PSK-AES256-CBC-SHA384:ECDHE-PSK-AES128-CBC-SHA256';
