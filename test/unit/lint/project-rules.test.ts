import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const cwd = new URL('../../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd });

async function messages(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('project lint rules', () => {
  it('the determinism rule bites on Date.now, Math.random, timers and async in kernel/', async () => {
    const out = await messages(
      [
        'export const t = Date.now();',
        'export const r = Math.random();',
        'setTimeout(() => {}, 1);',
        'export async function f(): Promise<void> { await g(); }',
        'declare function g(): Promise<void>;',
        'export const d = new Date();',
      ].join('\n'),
      'kernel/bad.ts',
    );
    expect(out.some((m) => m.includes('wall time'))).toBe(true);
    expect(out.some((m) => m.includes('real randomness'))).toBe(true);
    expect(out.some((m) => m.includes('real timers'))).toBe(true);
    expect(out.some((m) => m.includes('no async functions'))).toBe(true);
    expect(out.some((m) => m.includes('no await'))).toBe(true);
  });

  it('tools/ may use wall time', async () => {
    expect(await messages('export const t = Date.now();\n', 'tools/ok.ts')).toEqual([]);
  });

  it('imports only point down', async () => {
    const up = await messages("import { x } from '../../drivers/nbd/x.ts';\nexport const y = x;\n", 'kernel/block/bad.ts');
    expect(up.join('\n')).toMatch(/kernel\/ may not import drivers\//);
    const hw = await messages("export { x } from '../kernel/x.ts';\n", 'hw-sim/bad.ts');
    expect(hw.join('\n')).toMatch(/hw-sim\/ may not import kernel\//);
    const down = await messages("import { x } from '../../hw-sim/engine/index.ts';\nexport const y = x;\n", 'drivers/nbd/ok.ts');
    expect(down).toEqual([]);
  });
});
