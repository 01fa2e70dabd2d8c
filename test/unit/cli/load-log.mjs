// `node --import ./load-log.mjs ...` with LOAD_LOG=FILE: appends the URL of every module the
// process loads to FILE, one a line. Imported on the main thread it registers itself as the
// module hooks, which node runs on their own thread (where isMainThread is false).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export async function load(url, context, next) {
  appendFileSync(process.env.LOAD_LOG, `${url}\n`);
  return next(url, context);
}
