/**
 * Opens a report page in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
 * what the page logged as errors, and what each chart drew. Used by the browser test and by
 * `npx tsx tools/report/screenshot.ts` (tools only; wall time is fine here).
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['ORION_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ChartCheck {
  readonly id: string;
  /** Data points the page handed to the chart. */
  readonly points: number;
  /** Pixels of the chart's canvas that are not blank. */
  readonly inked: number;
}

export interface PageCheck {
  readonly errors: string[];
  readonly charts: ChartCheck[];
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Loads the page offline (every request but the file itself is refused) and inspects it. */
export async function checkReport(browser: Browser, htmlFile: string, screenshot?: string): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  const url = pathToFileURL(htmlFile).href;
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url);
  // Page-side code as text: this project compiles without the DOM types.
  await page.waitForFunction('window.reportReady === true', undefined, { timeout: 30_000 });
  const charts = await page.evaluate<ChartCheck[]>(`window.reportCharts.map((c) => {
    let inked = 0;
    for (const canvas of document.querySelectorAll('#' + c.id + ' canvas')) {
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
    }
    return { id: c.id, points: c.points, inked };
  })`);
  if (screenshot !== undefined) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { errors, charts };
}
