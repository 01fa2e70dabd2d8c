// Worker thread of the mutant hunt: hunts the bugs it is given and posts their rows.
import { parentPort, workerData } from 'node:worker_threads';
import type { BugName } from '../../hw-sim/engine/bugs.ts';
import { hunt, type MutantRow } from './hunt.ts';

const { bugs } = workerData as { bugs: BugName[] };
const rows: MutantRow[] = bugs.map(hunt);
parentPort!.postMessage(rows);
