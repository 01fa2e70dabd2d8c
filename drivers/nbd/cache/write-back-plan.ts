/**
 * Picks what to write back next: the oldest dirty block (tail of the dirty list) whose data is
 * not already on the wire, grown backward and forward over adjacent dirty blocks into one
 * contiguous extent of at most `maxBytes`. The extent's bytes are copied into the caller's
 * buffer at once, so writes absorbed later never change what is on the wire; its sectors move
 * from dirty to writing until `complete`.
 */
import { BlockCache, CACHE_BLOCK, CACHE_SECTORS_FULL, copyRange } from './block-cache.ts';

const SECTOR = 512;

/** One write-back in flight: up to maxBytes / 4 KiB blocks, preallocated. */
export class WriteBackExtent {
  offset = 0;
  length = 0;
  count = 0;
  readonly slots: Int32Array;
  readonly masks: Uint8Array;
  readonly data: Uint8Array;
  /** On the wire now. */
  busy = false;

  constructor(readonly maxBytes: number) {
    const n = Math.max(1, Math.floor(maxBytes / CACHE_BLOCK));
    this.slots = new Int32Array(n);
    this.masks = new Uint8Array(n);
    this.data = new Uint8Array(n * CACHE_BLOCK);
  }
}

/** Contiguous sector run [first, end) of slot `s` that can be written, starting at its first dirty sector. */
function runOf(c: BlockCache, s: number): [number, number] {
  const d = c.dirty[s]!;
  const v = c.valid[s]!;
  let first = 0;
  while ((d & (1 << first)) === 0) first++;
  if (v === CACHE_SECTORS_FULL) {
    // Clean sectors of a fully valid block equal the server's: the run may span them.
    let last = 7;
    while ((d & (1 << last)) === 0) last--;
    return [first, last + 1];
  }
  let end = first;
  while (end < 8 && (d & (1 << end)) !== 0) end++;
  return [first, end];
}

/**
 * Fills `x` with the next extent to write back, or answers false. `blocked(offset, length)`
 * vetoes ranges that may not be written now (a TRIM or FUA write to them is on the wire).
 */
export function planWriteBack(c: BlockCache, x: WriteBackExtent, blocked: (offset: number, length: number) => boolean): boolean {
  const maxBlocks = x.slots.length;
  let s = c.dirtyList.tail;
  for (; s >= 0; s = c.dirtyList.newer(s)) {
    if (c.dirty[s] === 0 || c.writing[s] !== 0) continue;
    const b = c.block(s);
    if (!blocked(b * CACHE_BLOCK, CACHE_BLOCK)) break;
  }
  if (s < 0) return false;
  const b0 = c.block(s);
  const [f0, e0] = runOf(c, s);
  let firstBlock = b0;
  let lastBlock = b0;
  let startSector = f0;
  let endSector = e0;
  // Forward: the run reaches the block's end and the next block's run starts at its sector 0.
  while (endSector === 8 && lastBlock - firstBlock + 1 < maxBlocks) {
    const n = c.slotOf(lastBlock + 1);
    if (n < 0 || c.dirty[n] === 0 || c.writing[n] !== 0 || blocked((lastBlock + 1) * CACHE_BLOCK, CACHE_BLOCK)) break;
    const [f, e] = runOf(c, n);
    if (f !== 0) break;
    lastBlock++;
    endSector = e;
  }
  // Backward: the previous block's run ends at its last sector.
  while (startSector === 0 && lastBlock - firstBlock + 1 < maxBlocks) {
    const p = c.slotOf(firstBlock - 1);
    if (firstBlock === 0 || p < 0 || c.dirty[p] === 0 || c.writing[p] !== 0 || blocked((firstBlock - 1) * CACHE_BLOCK, CACHE_BLOCK)) break;
    const [f, e] = runOf(c, p);
    if (e !== 8) break;
    firstBlock--;
    startSector = f;
  }
  x.offset = firstBlock * CACHE_BLOCK + startSector * SECTOR;
  x.length = (lastBlock - firstBlock) * CACHE_BLOCK + endSector * SECTOR - startSector * SECTOR;
  x.count = 0;
  for (let blk = firstBlock; blk <= lastBlock; blk++) {
    const slot = c.slotOf(blk);
    const from = blk === firstBlock ? startSector : 0;
    const to = blk === lastBlock ? endSector : 8;
    const m = ((1 << to) - 1) & ~((1 << from) - 1);
    copyRange(c.seg(slot), c.segOff(slot) + from * SECTOR, x.data, blk * CACHE_BLOCK + from * SECTOR - x.offset, (to - from) * SECTOR);
    x.slots[x.count] = slot;
    x.masks[x.count] = c.startWriteBack(slot, m);
    x.count++;
  }
  x.busy = true;
  return true;
}

/** The extent's write was answered: its sectors are clean (ok) or dirty again (failed). */
export function completeWriteBack(c: BlockCache, x: WriteBackExtent, ok: boolean): void {
  for (let i = 0; i < x.count; i++) c.endWriteBack(x.slots[i]!, x.masks[i]!, ok);
  x.busy = false;
  x.count = 0;
}
