// Child of the sustained bench (sustained.bench.ts hugePageRows): virtual seconds 1 and 2 of
// perf-seq-write-10g in a process started with GLIBC_TUNABLES=glibc.malloc.hugetlb=1; prints the
// rows as one JSON line.
import { nbdRows } from './sustained.bench.ts';

const rows: (string | number)[][] = [];
nbdRows(rows, 2, `, huge pages (${process.env.GLIBC_TUNABLES ?? 'GLIBC_TUNABLES unset'})`);
process.stdout.write(`${JSON.stringify(rows)}\n`);
