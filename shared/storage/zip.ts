// A streaming ZIP writer (store method, no compression: PNG/JPEG/WebP are compressed already).
// Each member's size and CRC-32 follow its data in a data descriptor, so a member is written as
// its bytes arrive and nothing is held but the central directory (about 100 bytes a member).
// Limits (no ZIP64): at most 65,535 members, each member and the whole archive under 4 GiB.
import { crc32 } from "node:zlib";

const LIMIT = 0xffffffff;

interface Entry {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

const utf8 = new TextEncoder();

function dosDateTime(at: Date): { time: number; date: number } {
  const year = Math.max(at.getUTCFullYear(), 1980);
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

// Flags: bit 3 = sizes and CRC in the data descriptor, bit 11 = the name is UTF-8.
const FLAGS = 0x0008 | 0x0800;

export class ZipWriter {
  #entries: Entry[] = [];
  #offset = 0;
  #stamp = dosDateTime(new Date());

  /** Bytes written so far. */
  get offset(): number {
    return this.#offset;
  }

  #count(bytes: number): void {
    this.#offset += bytes;
    if (this.#offset > LIMIT) throw new Error("archive larger than 4 GiB (no ZIP64)");
  }

  /** Yields one member: its header, its data as it comes, then its data descriptor. */
  async *member(name: string, data: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    if (this.#entries.length >= 0xffff) throw new Error("more than 65535 members (no ZIP64)");
    const encoded = utf8.encode(name);
    const offset = this.#offset;
    const header = new Uint8Array(30 + encoded.length);
    const h = new DataView(header.buffer);
    h.setUint32(0, 0x04034b50, true);
    h.setUint16(4, 20, true);
    h.setUint16(6, FLAGS, true);
    h.setUint16(8, 0, true); // stored
    h.setUint16(10, this.#stamp.time, true);
    h.setUint16(12, this.#stamp.date, true);
    // CRC and sizes (14..25) stay zero: the data descriptor carries them.
    h.setUint16(26, encoded.length, true);
    header.set(encoded, 30);
    this.#count(header.length);
    yield header;

    let crc = 0;
    let size = 0;
    for await (const chunk of data) {
      crc = crc32(chunk, crc) >>> 0;
      size += chunk.length;
      this.#count(chunk.length);
      yield chunk;
    }
    const descriptor = new Uint8Array(16);
    const d = new DataView(descriptor.buffer);
    d.setUint32(0, 0x08074b50, true);
    d.setUint32(4, crc >>> 0, true);
    d.setUint32(8, size, true);
    d.setUint32(12, size, true);
    this.#count(descriptor.length);
    yield descriptor;
    this.#entries.push({ name: encoded, crc: crc >>> 0, size, offset });
  }

  /** The central directory and its end record; the archive is complete after these bytes. */
  finish(): Uint8Array {
    const size = this.#entries.reduce((n, e) => n + 46 + e.name.length, 0);
    const out = new Uint8Array(size + 22);
    const v = new DataView(out.buffer);
    let at = 0;
    for (const e of this.#entries) {
      v.setUint32(at, 0x02014b50, true);
      v.setUint16(at + 4, 20, true);
      v.setUint16(at + 6, 20, true);
      v.setUint16(at + 8, FLAGS, true);
      v.setUint16(at + 10, 0, true);
      v.setUint16(at + 12, this.#stamp.time, true);
      v.setUint16(at + 14, this.#stamp.date, true);
      v.setUint32(at + 16, e.crc, true);
      v.setUint32(at + 20, e.size, true);
      v.setUint32(at + 24, e.size, true);
      v.setUint16(at + 28, e.name.length, true);
      // extra, comment, disk, internal and external attributes (30..41) stay zero
      v.setUint32(at + 42, e.offset, true);
      out.set(e.name, at + 46);
      at += 46 + e.name.length;
    }
    v.setUint32(at, 0x06054b50, true);
    v.setUint16(at + 8, this.#entries.length, true);
    v.setUint16(at + 10, this.#entries.length, true);
    v.setUint32(at + 12, size, true);
    v.setUint32(at + 16, this.#offset, true);
    this.#count(out.length);
    return out;
  }
}
