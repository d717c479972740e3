/** Limits on connections that have not yet said hello (nor, with a secret, proved it). */
export interface PreHelloLimits {
  /** Most such connections at once; one more is closed at accept (`ERR_TOO_MANY_PENDING`). */
  maxPending: number;
  /** Most such connections from one address (`ERR_TOO_MANY_FROM_ADDRESS`). */
  maxPendingPerAddress: number;
}

export const DEFAULT_PRE_HELLO_LIMITS: PreHelloLimits = {
  maxPending: 1024,
  maxPendingPerAddress: 128,
};

/**
 * Why a connection was closed at accept: the limits before the hello, or the process's
 * open-file limit (`EMFILE`: the listener closes it; see the TCP transport).
 */
export type PreHelloRefusal = 'ERR_TOO_MANY_PENDING' | 'ERR_TOO_MANY_FROM_ADDRESS' | 'EMFILE';

/**
 * Counts connections in their handshake, overall and per source address, in O(1) per
 * connection: what a flood of silent connections may hold at once. Plain data, owned by the
 * server's handler pool: `enter` at accept (or a refusal code), `leave` when the connection
 * asks for a client ID or ends before that.
 */
export class PreHelloGate {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: PreHelloLimits) {}

  /** Connections in their handshake now. */
  get pending(): number {
    return this.total;
  }

  /** Counts a new connection from `address`, or says why it may not have one. */
  enter(address: string): PreHelloRefusal | null {
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.maxPendingPerAddress) return 'ERR_TOO_MANY_FROM_ADDRESS';
    if (this.total >= this.limits.maxPending) return 'ERR_TOO_MANY_PENDING';
    this.byAddress.set(address, fromAddress + 1);
    this.total += 1;
    return null;
  }

  /** The connection from `address` left its handshake (registered, or ended). */
  leave(address: string): void {
    const fromAddress = this.byAddress.get(address);
    if (fromAddress === undefined) return;
    if (fromAddress <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, fromAddress - 1);
    this.total -= 1;
  }
}
