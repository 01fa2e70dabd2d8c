import { NBD_CMD_DISC, NBD_CMD_FLAG_FUA, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from '../../../../drivers/nbd/protocol/uapi.ts';

/**
 * What one server received on the wire, counted without the trace: transmission commands (DISC
 * not counted), WRITEs carrying NBD_CMD_FLAG_FUA, and WRITE_ZEROES. Scenarios assert on them
 * (`[expect] wire_commands`): merging shows as fewer commands than bios, a per-job FUA as FUA
 * writes on the wire. Reads shaped like the driver's health probe (512 bytes at offset 0) are
 * also counted apart, so `[expect] backup_standby` can tell I/O from probing.
 */
export class WireCounts {
  commands = 0;
  fuaWrites = 0;
  writeZeroes = 0;
  probeShaped = 0;
  /** Commands that change data: WRITE, TRIM, WRITE_ZEROES. */
  dataWrites = 0;
  /** `dataWrites` at the last FLUSH (kept only by the injected flush-skipped-on-idle-port). */
  writesAtFlush = -1;

  count(type: number, flags: number, offset: number, length: number): void {
    if (type === NBD_CMD_DISC) return;
    this.commands++;
    if (type === NBD_CMD_READ) { if (offset === 0 && length === 512) this.probeShaped++; return; }
    if (type === NBD_CMD_WRITE || type === NBD_CMD_TRIM || type === NBD_CMD_WRITE_ZEROES) this.dataWrites++;
    if (type === NBD_CMD_WRITE && (flags & NBD_CMD_FLAG_FUA) !== 0) this.fuaWrites++;
    else if (type === NBD_CMD_WRITE_ZEROES) this.writeZeroes++;
  }
}
