import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';

// `[[at]] action = "mgmt"`: the command line is checked against the command's usage when the file
// loads, so a bad one is exit 2 before the run instead of an error half-way through it.
const base = (command: string) => `[scenario]
name = "m"
[[volume]]
name = "v0"
size = "16MiB"
[[server]]
name = "a"
[[server.export]]
name = "disk0"
volume = "v0"
[[server]]
name = "c"
[[server.export]]
name = "disk0"
volume = "v0"
[[at]]
time = "1ms"
action = "mgmt"
command = ${command}
`;

function problem(command: string): string {
  try {
    parseScenario(base(command), 'm.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).keyPath).toBe('at[0].command');
    return (e as ScenarioError).reason;
  }
  return '';
}

describe('management commands in the timeline are checked at load time', () => {
  it('an array is one command\'s words; a second command in it is an error naming it', () => {
    expect(problem('["nbd-connection-info", "nbd-network-stats"]')).toBe(
      '"nbd-network-stats" is a second command: an array is the words of one command, so give each command its own [[at]] (usage: nbd-connection-info [CONN])');
    expect(problem('["nbd-connection-reset", "1"]')).toBe('');
  });

  it('the old README example (ADDRESS where PORT goes) is refused, naming PORT and the usage', () => {
    expect(problem('"nbd-server-add c 10.0.0.9 10809 disk0"')).toBe(
      'PORT must be 1..65535, got "10.0.0.9" (usage: nbd-server-add NAME [PORT] [EXPORT] [ADDRESS] [BACKEND])');
  });

  it('the schema README\'s example loads as written', () => {
    const readme = readFileSync('scenarios/schema/README.md', 'utf8');
    const example = /\| `mgmt` \| `command = ("[^"]+")`/.exec(readme)?.[1];
    expect(example).toBe('"nbd-server-add c 10809 disk0 10.0.0.9"');
    expect(problem(example!)).toBe('');
  });

  it('word counts, CONN, POLICY and an unknown server name', () => {
    expect(problem('"nbd-connection-remove"')).toBe('needs CONN (usage: nbd-connection-remove CONN)');
    expect(problem('"nbd-cache-info now"')).toBe('too many arguments: "now" (usage: nbd-cache-info)');
    expect(problem('"nbd-connection-reset first"')).toBe('CONN must be a connection index (0, 1, ...), got "first" (usage: nbd-connection-reset [CONN])');
    expect(problem('"nbd-load-balancer-config fastest"')).toBe(
      'POLICY must be one of single, round-robin, least-outstanding, latency-weighted, got "fastest" (usage: nbd-load-balancer-config POLICY (single | round-robin | least-outstanding | latency-weighted))');
    expect(problem('"nbd-server-add b"')).toBe('no [[server]] named "b" (servers: "a", "c") (usage: nbd-server-add NAME [PORT] [EXPORT] [ADDRESS] [BACKEND])');
    expect(problem('"ls -l"')).toMatch(/^unknown management command "ls" \(one of: nbd-connection-info, /);
  });
});
