import type { ByteChannel } from './connection';

export interface ListenOptions {
  host: string;
  /** 0 asks the OS for a free port; read the chosen one back from {@link ChannelListener.port}. */
  port: number;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Local address to bind before connecting (distinct loopback addresses give distinct IPs). */
  localAddress?: string;
  signal?: AbortSignal;
}

/** A bound listener. Accepted channels go to the handler given to {@link ChannelListener.accept}. */
export interface ChannelListener {
  readonly host: string;
  readonly port: number;
  /**
   * Sets the one handler for accepted channels; channels accepted before it are held.
   * `dropped`, if given, hears of each connection closed at accept because the process is at
   * its open-file limit (TCP; see tcp.ts), with the peer's address.
   */
  accept(handler: (channel: ByteChannel) => void, dropped?: (address: string) => void): void;
  /** Stops accepting; existing channels are untouched. */
  close(): Promise<void>;
}

/**
 * How actors reach the network. Production uses TCP ({@link tcpTransport}); tests and
 * embedders can use an in-memory network ({@link createMemoryNetwork}) with the same machines.
 */
export interface Transport {
  listen(options: ListenOptions): Promise<ChannelListener>;
  connect(options: ConnectOptions): Promise<ByteChannel>;
}

/** `::ffff:127.0.0.2` → `127.0.0.2`: dual-stack sockets report IPv4 peers in mapped form. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
