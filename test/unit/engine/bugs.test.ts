import { describe, expect, it } from 'vitest';
import { BUGS, BUG_NAMES, Bugs, NO_BUGS } from '../../../hw-sim/engine/bugs.ts';
import { Engine } from '../../../hw-sim/engine/engine.ts';

describe('bug catalogue', () => {
  it('names are unique kebab-case and every bug names a killer and a description', () => {
    expect(new Set(BUG_NAMES).size).toBe(BUGS.length);
    for (const b of BUGS) {
      expect(b.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(b.description.length).toBeGreaterThan(10);
      expect(b.killers.length).toBeGreaterThan(0);
    }
  });

  it('an engine holds no bugs by default and the given ones otherwise', () => {
    expect(new Engine({ seed: 1 }).bugs.has('drop-acked-write')).toBe(false);
    const e = new Engine({ seed: 1, bugs: new Bugs(['drop-acked-write']) });
    expect(e.bugs.has('drop-acked-write')).toBe(true);
    expect(e.bugs.list()).toEqual(['drop-acked-write']);
    expect(NO_BUGS.any).toBe(false);
  });

  it('an unknown name is refused with the known ones', () => {
    expect(() => new Bugs(['early-everything'])).toThrow(/unknown bug 'early-everything' \(known: drop-acked-write/);
  });
});
