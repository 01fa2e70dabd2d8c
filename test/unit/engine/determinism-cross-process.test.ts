import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The same seed must give the same digest in a separate process (no hidden process-wide state).
const script = `
import { Engine } from './hw-sim/engine/index.ts';
const e = new Engine({ seed: Number(process.env.SEED) });
const rng = e.rng.get('x');
for (let i = 0; i < 200; i++) e.schedule(rng.int(1000), () => e.trace.emit('p', 'k', { v: rng.next() }));
e.run();
console.log(e.trace.digest());
`;

function digestInChild(seed: number): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, SEED: String(seed) },
    cwd: new URL('../../../', import.meta.url).pathname,
    encoding: 'utf8',
  }).trim();
}

describe('determinism across processes', () => {
  it('two processes with one seed print the same digest', () => {
    const a = digestInChild(11);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(digestInChild(11)).toBe(a);
    expect(digestInChild(12)).not.toBe(a);
  });
});
