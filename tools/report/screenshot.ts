// `npx tsx tools/report/screenshot.ts REPORT.html OUT.png`: a full-page screenshot of a run report
// in headless Chromium, with the chart check the browser test makes.
import { checkReport, launch } from './browser.ts';

const [html, png] = process.argv.slice(2);
if (html === undefined || png === undefined) {
  console.error('usage: npx tsx tools/report/screenshot.ts REPORT.html OUT.png');
  process.exit(2);
}
const browser = await launch();
try {
  const r = await checkReport(browser, html, png);
  for (const c of r.charts) console.log(`${c.id}: ${c.points} points, ${c.inked} pixels drawn`);
  for (const e of r.errors) console.error(`page error: ${e}`);
  console.log(`wrote ${png}`);
  process.exitCode = r.errors.length > 0 ? 1 : 0;
} finally {
  await browser.close();
}
