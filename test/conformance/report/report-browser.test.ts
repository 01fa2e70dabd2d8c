import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../tools/cli/context.ts';
import { main } from '../../../tools/cli/main.ts';
import { checkReport, chromiumAvailable, CHROMIUM, launch, type PageCheck } from '../../../tools/report/browser.ts';
import { scratch } from '../../unit/cli/harness.ts';

// `run --report` in a real browser: Debian's chromium, headless, offline. A missing chromium is a
// failure, never a skip (.ci/run installs it).
let browser: Browser;
let page: PageCheck;
let html: string;

beforeAll(async () => {
  if (!chromiumAvailable()) throw new Error(`chromium is not at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
  const dir = scratch();
  const file = join(dir, 'smoke.html');
  let err = '';
  const io: CliIo = {
    stdout: () => {}, stderr: (t) => void (err += t), stdoutBytes: () => {},
    stdin: Readable.from(['']), isTTY: false, terminal: process.stderr,
  };
  // smoke: two connections, a 50 ms partition that heals, a management command.
  const code = await main(['run', 'scenarios/smoke.toml', '--seed', '1', '--report', file], { io });
  expect([code, err]).toEqual([0, '']);
  html = readFileSync(file, 'utf8');
  browser = await launch();
  page = await checkReport(browser, file);
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('run --report FILE.html', () => {
  it('is one self-contained file: uPlot inlined, nothing fetched', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    expect(html).toContain('uPlot');
  });

  it('loads without console errors', () => {
    expect(page.errors).toEqual([]);
  });

  it('draws each chart: latency over time, CDF, throughput/IOPS, per connection, per server, states', () => {
    expect(page.charts.map((c) => c.id)).toEqual(['latency', 'cdf', 'rate', 'conns', 'servers', 'states']);
    for (const c of page.charts) {
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.inked, c.id).toBeGreaterThan(1000);
    }
    // smoke's pool of 2 connections to one server; device + 2 connection rows of states.
    expect(page.charts.find((c) => c.id === 'conns')!.points).toBe(2);
    expect(page.charts.find((c) => c.id === 'servers')!.points).toBe(1);
  });

  it('carries the fault timeline and the expectations table', () => {
    const data = JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as {
      marks: { atMs: number; kind: string }[]; expectations: { ok: boolean; name: string }[];
    };
    // smoke.toml: a partition at 5 ms healed at 55 ms, nbd-connection-info at 100 ms.
    expect(data.marks.map((m) => [m.atMs, m.kind])).toEqual([[5, 'fault'], [55, 'heal'], [100, 'mgmt']]);
    expect(data.expectations.length).toBeGreaterThan(0);
    expect(html).toContain('<th>expectation</th>');
  });
});
