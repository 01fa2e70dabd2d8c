// Access control scenarios (docs/nbd-extensions.md, "Access control"): an identity allowed on one
// export and refused on another, and a read-only grant.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const run = (file: string) => runScenario(loadScenario(join(DIR, file)), 1);

describe('per-export access lists', () => {
  it('identity orion on the allow list of "shared": verified I/O passes', () => {
    const r = run('security-acl-allowed.toml');
    expect(r.passed).toBe(true);
    expect(r.jobs.map((j) => [j.name, j.ios, j.errors])).toEqual([['randrw', 100, 0]]);
  });

  it('the same identity opening "vault": the device fails with NBD_REP_ERR_POLICY and no job I/O succeeds', () => {
    const r = run('security-acl-refused.toml');
    expect(r.passed).toBe(true);
    expect(r.expectations.find((e) => e.name === 'device')).toMatchObject({ ok: true });
    expect(String(r.expectations.find((e) => e.name === 'device')!.actual)).toMatch(/^failed: .*NBD_REP_ERR_POLICY.*'vault'/);
  });
});

describe('read-only grant', () => {
  it('every read succeeds, each of the 20 writes fails, the device stays ready', () => {
    const r = run('security-read-only.toml');
    expect(r.passed).toBe(true);
    expect(r.jobs.map((j) => [j.name, j.ios, j.errors])).toEqual([['read', 100, 0], ['write', 20, 20]]);
  });
});
