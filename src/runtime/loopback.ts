import net from 'node:net';

/**
 * True when this host can bind `address` (Linux routes all of 127.0.0.0/8 to loopback;
 * macOS and Windows only 127.0.0.1 unless aliases are added).
 */
export function canBindAddress(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, address, () => probe.close(() => resolve(true)));
  });
}

/**
 * Distinct loopback addresses for `count` local clients: 127.0.0.2, 127.0.0.3, … where the
 * OS allows it, so that each client shows its own IP in the files; 127.0.0.1 otherwise.
 */
export async function loopbackAddresses(count: number): Promise<string[]> {
  const wanted = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
  const usable = await Promise.all(wanted.map(canBindAddress));
  return wanted.map((address, i) => (usable[i] ? address : '127.0.0.1'));
}
