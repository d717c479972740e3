import { MAX_CLIENT_ID } from '../../transport';
import { type Failure, failure } from '../errors';

/** The outcome of asking for a client ID. */
export type Claim = { clientId: number } | { refusal: Failure };

/**
 * Who holds which client ID: O(1) to claim and to release, however many clients there are
 * (a set rebuilt per registration made 3,000 registrations cost seconds of CPU).
 *
 * Rules: a client may ask for an ID, and gets it unless another client holds it
 * (`ERR_ID_IN_USE`); without one it gets the next free ID counting up from 1 (wrapping after
 * {@link MAX_CLIENT_ID}, skipping IDs in use); beyond `maxClients` at once, `ERR_SERVER_FULL`.
 * Plain data, owned by the server's handler pool; the pool reports each outcome to the server.
 */
export class ClientRegistry {
  private readonly byHandler = new Map<string, number>();
  private readonly holders = new Map<number, string>();
  private nextAutoId = 1;

  constructor(
    private readonly maxClients: number,
    private readonly maxId = MAX_CLIENT_ID,
  ) {}

  /** Clients holding an ID now. */
  get size(): number {
    return this.holders.size;
  }

  claim(handlerId: string, requestedId: number | undefined): Claim {
    if (this.holders.size >= Math.min(this.maxClients, this.maxId)) {
      return {
        refusal: failure('ERR_SERVER_FULL', `server is full (${this.maxClients} clients)`),
      };
    }
    if (requestedId !== undefined && this.holders.has(requestedId)) {
      return {
        refusal: failure('ERR_ID_IN_USE', `client ID ${requestedId} is in use by another client`),
      };
    }
    const clientId = requestedId ?? this.nextFreeId();
    this.holders.set(clientId, handlerId);
    this.byHandler.set(handlerId, clientId);
    return { clientId };
  }

  /** Frees the ID a handler held, if any; returns it. */
  release(handlerId: string): number | null {
    const clientId = this.byHandler.get(handlerId);
    if (clientId === undefined) return null;
    this.byHandler.delete(handlerId);
    this.holders.delete(clientId);
    return clientId;
  }

  /** Amortised O(1): each ID in use is skipped at most once per pass of the counter. */
  private nextFreeId(): number {
    while (this.holders.has(this.nextAutoId)) this.advance();
    const id = this.nextAutoId;
    this.advance();
    return id;
  }

  private advance(): void {
    this.nextAutoId = this.nextAutoId >= this.maxId ? 1 : this.nextAutoId + 1;
  }
}
