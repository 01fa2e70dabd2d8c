/**
 * Classic pcap with nanosecond timestamps (magic 0xa1b23c4d) and LINKTYPE_RAW (101): each
 * packet is an IPv4 datagram, as the virtual wire carries them (no Ethernet header).
 */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_RAW = 101;
const SNAPLEN = 262144;

export function pcapHeader(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(PCAP_MAGIC_NS, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8); // thiszone
  b.writeUInt32LE(0, 12); // sigfigs
  b.writeUInt32LE(SNAPLEN, 16);
  b.writeUInt32LE(LINKTYPE_RAW, 20);
  return b;
}

/** One packet record: virtual time in ns since boot becomes seconds + nanoseconds. */
export function pcapRecord(tNs: number, packet: Uint8Array): Buffer {
  const len = Math.min(packet.length, SNAPLEN);
  const b = Buffer.alloc(16 + len);
  b.writeUInt32LE(Math.floor(tNs / 1e9), 0);
  b.writeUInt32LE(tNs % 1e9, 4);
  b.writeUInt32LE(len, 8);
  b.writeUInt32LE(packet.length, 12);
  b.set(packet.subarray(0, len), 16);
  return b;
}

/** Collects packets into one pcap file image. */
export class PcapBuilder {
  private readonly parts: Buffer[] = [pcapHeader()];
  count = 0;

  add(tNs: number, packet: Uint8Array): void {
    this.parts.push(pcapRecord(tNs, packet));
    this.count++;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}
