import { describe, expect, it } from 'vitest';
import type { ShowSection, SimSession } from '../../../scenarios/runner/types.ts';
import { showText } from '../../../tools/cli/show.ts';

const data = { statecharts: { nbd0: 'ready' }, nbdInflight: [{ cookie: 4294967296, cmd: 0 }], device: { state: 'ready' } };
const view: ShowSection[] = [
  { name: 'statecharts', raw: 'statecharts', title: 'statecharts — device nbd0 ready', table: { columns: ['machine', 'state'], rows: [['nbd0', 'ready']] } },
  { name: 'nbd', raw: 'nbdInflight', title: 'NBD commands in flight on nbd0: 0', table: { columns: ['cookie', 'cmd'], rows: [] } },
];

function session(withView: boolean): SimSession {
  return {
    now: 0, records: 0, step: () => undefined, machines: () => ['nbd0'], show: () => data,
    mgmt: () => { throw new Error('no'); }, finish: () => { throw new Error('no'); },
    ...(withView ? { view: () => view } : {}),
  };
}

describe('show: tables by default, JSON on request', () => {
  it('every section as a titled table, an empty one as (none)', () => {
    expect(showText(session(true), [])).toBe(
      'statecharts — device nbd0 ready\n  machine  state\n  nbd0     ready\n\nNBD commands in flight on nbd0: 0\n  (none)\n',
    );
  });

  it('one section by its name or its data key', () => {
    expect(showText(session(true), ['nbd'])).toBe('NBD commands in flight on nbd0: 0\n  (none)\n');
    expect(showText(session(true), ['nbdInflight'])).toBe('NBD commands in flight on nbd0: 0\n  (none)\n');
  });

  it('--json and raw: the full data, or one section of it (view names map to their data)', () => {
    expect(JSON.parse(showText(session(true), ['--json']))).toEqual(data);
    expect(JSON.parse(showText(session(true), ['raw']))).toEqual(data);
    expect(JSON.parse(showText(session(true), ['--json', 'nbd']))).toEqual([{ cookie: 4294967296, cmd: 0 }]);
    expect(JSON.parse(showText(session(true), ['nbd', '--json']))).toEqual([{ cookie: 4294967296, cmd: 0 }]);
    expect(JSON.parse(showText(session(true), ['--json', 'device']))).toEqual({ state: 'ready' });
  });

  it('a session without a view prints JSON', () => {
    expect(JSON.parse(showText(session(false), ['statecharts']))).toEqual({ nbd0: 'ready' });
  });

  it('bad sections name the choices', () => {
    expect(() => showText(session(true), ['tcp'])).toThrow('no section "tcp" (sections: statecharts, nbd; or show raw)');
    expect(() => showText(session(false), ['tcp'])).toThrow('no section "tcp" (sections: statecharts, nbdInflight, device)');
    expect(() => showText(session(true), ['nbd', 'tcp'])).toThrow('show takes one section, got "nbd tcp"');
  });
});
