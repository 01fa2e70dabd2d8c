// Prints the heaviest functions of a .cpuprofile written by `node --cpu-prof`:
//   npx tsx tools/bench/profile-top.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import { printProfile, type CpuProfile } from './profile.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-top.ts <file.cpuprofile> [top]');
  process.exit(2);
}
printProfile(file, JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25));
