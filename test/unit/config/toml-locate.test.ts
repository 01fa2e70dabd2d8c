import { describe, expect, it } from 'vitest';
import { locateKey, parseToml } from '../../../scenarios/schema/toml.ts';

const DOC = `# comment
title = "x"

[nbd]
tcp_enabled = true
reconnect = { base = "1s", cap = "2s" }
tls.psk = "00"

[[server]]
name = "a"

[[server]]
name = "b"
[[server.export]]
name = "d0"
[[server.export]]
"name" = "d1"
[server.faults]
extra_latency = "1ms"

[[at]]
time = "1s"
`;

describe('locateKey: the line of a key path in TOML text', () => {
  it.each([
    [['title'], 2],
    [['nbd'], 4],
    [['nbd', 'tcp_enabled'], 5],
    // Inside an inline table: the line of the enclosing key.
    [['nbd', 'reconnect', 'cap'], 6],
    // Dotted keys.
    [['nbd', 'tls', 'psk'], 7],
    [['server', 0, 'name'], 10],
    [['server', 1, 'name'], 13],
    // Nested arrays of tables count per parent element; quoted keys match.
    [['server', 1, 'export', 1, 'name'], 17],
    [['server', 1, 'faults', 'extra_latency'], 19],
    [['at', 0, 'time'], 22],
    // A key that is not there: its table's header.
    [['at', 0, 'target'], 21],
    [['server', 1, 'export', 0, 'size'], 14],
  ] as const)('%j → line %d', (path, line) => {
    expect(locateKey(DOC, path)).toBe(line);
  });

  it('nothing matches: undefined', () => {
    expect(locateKey(DOC, ['expect', 'safety'])).toBeUndefined();
  });
});

describe('parseToml', () => {
  it('a syntax error is data with line and column, not a throw', () => {
    const r = parseToml('a = 1\nb = [1,\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.line).toBeGreaterThanOrEqual(2);
      expect(r.reason).toMatch(/^TOML syntax error: /);
      expect(r.reason).not.toContain('\n');
    }
  });

  it('a duplicate key is a syntax error on its line', () => {
    const r = parseToml('[nbd]\ntcp_enabled = true\ntcp_enabled = false\n');
    expect(r.ok ? 0 : r.line).toBe(3);
  });
});
