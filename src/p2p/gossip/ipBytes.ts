import { isIP } from 'node:net';

/**
 * IP addresses as the bytes a signed peer record carries: 4 bytes for IPv4, 16 for IPv6.
 * Text forms are for people and sockets; the bytes are canonical (one spelling per address),
 * so a record cannot smuggle two spellings of one address past a de-duplication.
 */
export function ipToBytes(host: string): Buffer | null {
  const family = isIP(host);
  if (family === 4) return Buffer.from(host.split('.').map(Number));
  if (family !== 6 || host.includes('%')) return null; // zone IDs are local to one host
  let text = host;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    const hex = (i: number) => ((tail[i]! << 8) | tail[i + 1]!).toString(16);
    text = `${text.slice(0, -v4[1]!.length)}${hex(0)}:${hex(2)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  const groups = rest === undefined ? left : [...left, ...Array(missing).fill('0'), ...right];
  if (groups.length !== 8) return null;
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

/** The text of 4 or 16 address bytes (IPv6 in RFC 5952 form, IPv4-mapped as `::ffff:a.b.c.d`). */
export function bytesToIp(bytes: Uint8Array): string | null {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return null;
  const buf = Buffer.from(bytes);
  if (buf.subarray(0, 10).every((b) => b === 0) && buf[10] === 0xff && buf[11] === 0xff) {
    return `::ffff:${[...buf.subarray(12)].join('.')}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(i * 2));
  // RFC 5952: the longest run (≥ 2) of zero groups, the first one on a tie, becomes '::'.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else the input. */
export function unmapIPv4(host: string): string {
  const bytes = isIP(host) === 6 ? ipToBytes(host) : null;
  const text = bytes ? bytesToIp(bytes) : null;
  return text?.startsWith('::ffff:') && text.includes('.') ? text.slice('::ffff:'.length) : host;
}
