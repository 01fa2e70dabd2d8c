// The timeline's hardware faults below TCP (nic-dma-corrupt, mem-bitflip) and [expect]
// corrupted_reads, and DMA engine faults (dma-error): normalised when right, refused with the
// key and the reason when wrong.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { scenarioRefusal as fail } from './refusal.ts';

const BASE = `[scenario]
name = "t"
seeds = [1]

[[server]]
name = "a"
[[server.export]]
name = "disk0"
size = "64MiB"

[[link]]
between = ["client", "a"]

[[job]]
name = "w"
rw = "randread"
bs = "4KiB"
ios = 10
`;


const at = (lines: string) => `${BASE}\n[[at]]\ntime = "1ms"\n${lines}\n`;

describe('hardware faults below TCP in the timeline', () => {
  it('normalised: host or server, rate as a fraction, optional duration', () => {
    const s = parseScenario(`${at('action = "nic-dma-corrupt"\ntarget = "client"\nrate = "2%"')}\n[[at]]\ntime = "2ms"\naction = "mem-bitflip"\ntarget = "a"\nrate = 0.5\nduration = "10ms"\n`, 's.toml');
    expect(s.timeline).toEqual([
      { index: 0, atNs: 1_000_000, action: 'nic-dma-corrupt', host: 'client', rate: 0.02, durationNs: undefined },
      { index: 1, atNs: 2_000_000, action: 'mem-bitflip', server: 'a', rate: 0.5, durationNs: 10_000_000 },
    ]);
  });

  it('a server NIC may be the target too', () => {
    const s = parseScenario(at('action = "nic-dma-corrupt"\ntarget = "a"\nrate = "1%"'), 's.toml');
    expect(s.timeline[0]).toMatchObject({ action: 'nic-dma-corrupt', host: 'a' });
  });

  it('refuses an unknown host, a rate of 0 or above 1, a missing rate, an unknown key', () => {
    expect(fail(at('action = "nic-dma-corrupt"\ntarget = "zz"\nrate = "1%"'))).toMatch(/at.*target.*unknown server "zz"/s);
    expect(fail(at('action = "mem-bitflip"\ntarget = "client"\nrate = "1%"'))).toMatch(/unknown server "client"/);
    expect(fail(at('action = "mem-bitflip"\ntarget = "a"\nrate = 0'))).toMatch(/rate.*above 0/s);
    expect(fail(at('action = "mem-bitflip"\ntarget = "a"\nrate = 1.5'))).toMatch(/rate/);
    expect(fail(at('action = "nic-dma-corrupt"\ntarget = "a"'))).toMatch(/rate/);
    expect(fail(at('action = "nic-dma-corrupt"\ntarget = "a"\nrate = "1%"\nbits = 2'))).toMatch(/bits/);
  });
});

describe('[expect] corrupted_reads', () => {
  it('needs safety = false, and is kept when given', () => {
    expect(fail(`${BASE}\n[expect]\ncorrupted_reads = true\n`)).toMatch(/corrupted_reads.*safety = false/s);
    const s = parseScenario(`${BASE}\n[expect]\nsafety = false\ncorrupted_reads = true\n`, 's.toml');
    expect(s.expect.corruptedReads).toBe(true);
    expect(parseScenario(BASE, 's.toml').expect.corruptedReads).toBeUndefined();
  });
});

describe('dma-error in the timeline', () => {
  it('normalised: the NIC by default, a server\'s disks with device = "disk", rate as a fraction', () => {
    expect(parseScenario(at('action = "dma-error"\ntarget = "client"\nrate = "1%"'), 's.toml').timeline[0])
      .toMatchObject({ action: 'dma-error', host: 'client', device: 'nic', rate: 0.01, durationNs: undefined });
    expect(parseScenario(at('action = "dma-error"\ntarget = "a"\ndevice = "disk"\nrate = 0.5\nduration = "10ms"'), 's.toml').timeline[0])
      .toMatchObject({ action: 'dma-error', host: 'a', device: 'disk', rate: 0.5, durationNs: 10_000_000 });
  });

  it('refuses disks on the client, an unknown host or device, and a missing or zero rate', () => {
    expect(fail(at('action = "dma-error"\ntarget = "client"\ndevice = "disk"\nrate = "1%"'))).toMatch(/target.*needs a server/s);
    expect(fail(at('action = "dma-error"\ntarget = "zz"\nrate = "1%"'))).toMatch(/target.*unknown server "zz"/s);
    expect(fail(at('action = "dma-error"\ntarget = "a"\ndevice = "gpu"\nrate = "1%"'))).toMatch(/device/);
    expect(fail(at('action = "dma-error"\ntarget = "a"'))).toMatch(/rate/);
    expect(fail(at('action = "dma-error"\ntarget = "a"\nrate = 0'))).toMatch(/rate/);
  });
});
