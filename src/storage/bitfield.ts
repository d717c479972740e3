/**
 * A fixed-size set of chunk indices, packed 8 per byte, most significant bit first (chunk 0
 * is the top bit of byte 0, as in BitTorrent). Spare bits in the last byte are always zero.
 */
export class Bitfield {
  private readonly bytes: Uint8Array;
  private ones = 0;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(Math.ceil(size / 8));
  }

  /** Reads a packed bitfield of `size` bits; `null` when its length or spare bits are wrong. */
  static fromBytes(bytes: Uint8Array, size: number): Bitfield | null {
    if (bytes.length !== Math.ceil(size / 8)) return null;
    const spare = bytes.length * 8 - size;
    if (spare > 0 && (bytes[bytes.length - 1]! & ((1 << spare) - 1)) !== 0) return null;
    const field = new Bitfield(size);
    field.bytes.set(bytes);
    let ones = 0;
    for (const byte of bytes) ones += popcount(byte);
    field.ones = ones;
    return field;
  }

  static full(size: number): Bitfield {
    const field = new Bitfield(size);
    for (let i = 0; i < size; i++) field.set(i);
    return field;
  }

  get count(): number {
    return this.ones;
  }

  get complete(): boolean {
    return this.ones === this.size;
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.size) return false;
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** Adds `index`; returns false when it was already there. */
  set(index: number): boolean {
    if (index < 0 || index >= this.size || this.has(index)) return false;
    this.bytes[index >> 3]! |= 0x80 >> (index & 7);
    this.ones += 1;
    return true;
  }

  /** Removes `index`; returns false when it was not there. */
  clear(index: number): boolean {
    if (!this.has(index)) return false;
    this.bytes[index >> 3]! &= ~(0x80 >> (index & 7));
    this.ones -= 1;
    return true;
  }

  /** A copy of the packed bytes (for the wire). */
  toBytes(): Buffer {
    return Buffer.from(this.bytes);
  }

  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.size; i++) if (this.has(i)) yield i;
  }
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b; b &= b - 1) n += 1;
  return n;
}
