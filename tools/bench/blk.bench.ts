// Block layer only: 4 KiB randread on the RAM disk (E2's kernel/block + drivers/ramdisk +
// scenarios/workload), simulated I/Os per wall second, trace off and on.
import { runRamdiskRandread } from '../../scenarios/workload/ramdisk-bench.ts';
import { cpuShare, measureCounts, perSecond, printTable } from './table.ts';

const IOS = 20_000;

export function benchBlk(): void {
  const rows: (string | number)[][] = [];
  for (const iodepth of [1, 32]) {
    for (const trace of [false, true]) {
      let simNs = 0;
      const m = measureCounts(() => {
        const r = runRamdiskRandread({ ios: IOS, iodepth, trace });
        simNs = r.simNs;
        return [r.ios, r.events];
      });
      const wallIops = perSecond(m, 0);
      const simIops = (IOS * 1e9) / simNs;
      rows.push([`QD${iodepth} trace ${trace ? 'on' : 'off'}`, wallIops, perSecond(m, 1), simIops, `${(wallIops / simIops).toFixed(3)}×`, cpuShare(m)]);
    }
  }
  printTable(
    `Block layer: 4 KiB randread on the RAM disk (5 µs + 0.1 ns/B service, 4 hw queues), ${IOS / 1000}k I/Os per run`,
    ['run', 'sim I/Os per wall s', 'events per wall s', 'sim IOPS (virtual)', 'wall/virtual', 'CPU share'],
    rows,
  );
}
