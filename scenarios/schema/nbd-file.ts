import { ConfigError } from '../../drivers/nbd/config/errors.ts';
import { nbdConfigFromTable } from '../../drivers/nbd/config/load.ts';
import type { NbdConfig } from '../../drivers/nbd/config/types.ts';
import { locateKey, parseToml } from './toml.ts';

/**
 * A driver config file (TOML whose `[nbd]` section is the driver config; other top-level tables
 * are ignored). Files are read and parsed here, above the driver: the driver only validates the
 * table it is given.
 */
export function parseNbdConfig(text: string, file: string): NbdConfig {
  const doc = parseToml(text);
  if (!doc.ok) throw new ConfigError(file, '', doc.reason, doc.line, doc.column);
  return nbdConfigFromTable(doc.doc['nbd'], { file, locate: (path) => locateKey(text, path), at: ['nbd'] });
}
