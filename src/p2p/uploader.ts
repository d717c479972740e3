import { Subject } from 'rxjs';
import type { StoredFile } from '../storage/chunkStore';
import { manifestChunkCount } from '../storage/manifest';
import type { Clock } from '../time/clock';
import type { PeerMessage } from '../transport/peerProtocol';
import type { TokenBucket } from './tokenBucket';

/** Where an uploader's answers go: one connection to one remote peer. */
export interface UploadLink {
  send(message: PeerMessage): void;
  /** Bytes written and not yet taken by the OS; the uploader waits while this is high. */
  readonly bufferedBytes: number;
  readonly isClosed: boolean;
}

export interface UploaderOptions {
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** The files this peer may serve, by name: nothing else is ever read. */
  lookup: (name: string) => StoredFile | undefined;
  /** Caps the upload rate of every link together; `null` for no cap. */
  limiter: TokenBucket | null;
  /** Requests queued per link; beyond this a request is answered `ERR_BUSY`. */
  maxQueuePerLink?: number;
  /** A link with more than this waiting in its send buffer gets nothing more until it drains. */
  maxBufferedBytes?: number;
  /** Chunk reads in progress at once. */
  maxConcurrentReads?: number;
}

/** One chunk sent: who got it and how many payload bytes. */
export interface UploadEvent {
  link: string;
  name: string;
  index: number;
  bytes: number;
}

interface Link {
  sink: UploadLink;
  queue: Array<{ name: string; index: number }>;
}

/**
 * Serves chunk requests from every connection of one peer, fairly and within the upload cap.
 *
 * Requests queue per link; links are served round robin, one chunk per turn, so every
 * remote peer gets an equal share. A request is answered from the peer's own files only
 * (`lookup` by manifest name and chunk index). Tokens are taken when a chunk is dispatched;
 * a request cancelled before then costs nothing, which keeps end-game duplicates cheap.
 */
export class Uploader {
  readonly sent$ = new Subject<UploadEvent>();
  private readonly links = new Map<string, Link>();
  private order: string[] = [];
  private cursor = 0;
  private reading = 0;
  private timer: unknown = null;
  private stopped = false;
  private readonly maxQueue: number;
  private readonly maxBuffered: number;
  private readonly maxReads: number;
  /** Chunk payload bytes sent, by link. */
  readonly bytesByLink = new Map<string, number>();
  bytesSent = 0;
  chunksSent = 0;
  /** When the last chunk went out (clock ms), or -Infinity. */
  lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: UploaderOptions) {
    this.maxQueue = options.maxQueuePerLink ?? 64;
    this.maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.maxReads = options.maxConcurrentReads ?? 4;
  }

  attach(id: string, sink: UploadLink): void {
    if (this.links.has(id)) return;
    this.links.set(id, { sink, queue: [] });
    this.order.push(id);
  }

  /** Forgets a link and drops its queued requests. */
  detach(id: string): void {
    if (!this.links.delete(id)) return;
    this.order = this.order.filter((other) => other !== id);
  }

  /** Queues a request, or answers `reject` at once when it cannot be served. */
  request(id: string, name: string, index: number): void {
    const link = this.links.get(id);
    if (!link) return;
    const file = this.options.lookup(name);
    if (!file || index >= manifestChunkCount(file.manifest) || !file.have.has(index)) {
      link.sink.send({ type: 'reject', name, index, code: 'ERR_NO_CHUNK' });
      return;
    }
    if (link.queue.length >= this.maxQueue) {
      link.sink.send({ type: 'reject', name, index, code: 'ERR_BUSY' });
      return;
    }
    link.queue.push({ name, index });
    this.pump();
  }

  cancel(id: string, name: string, index: number): void {
    const link = this.links.get(id);
    if (!link) return;
    const at = link.queue.findIndex((r) => r.name === name && r.index === index);
    if (at >= 0) link.queue.splice(at, 1);
  }

  /** Requests waiting, all links together. */
  get queued(): number {
    let n = 0;
    for (const link of this.links.values()) n += link.queue.length;
    return n;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    this.links.clear();
    this.order = [];
    this.sent$.complete();
  }

  private later(ms: number): void {
    if (this.timer !== null) return;
    this.timer = this.options.clock.setTimeout(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  private pump(): void {
    if (this.stopped || this.timer !== null) return;
    const { clock, limiter } = this.options;
    while (this.reading < this.maxReads) {
      if (this.queued === 0) return;
      // Tokens first: the round-robin cursor moves only when a chunk is really dispatched.
      if (limiter) {
        const wait = limiter.delay(clock.now());
        if (wait > 0) {
          this.later(wait);
          return;
        }
      }
      const pick = this.nextLink();
      if (pick === 'empty') return;
      if (pick === 'blocked') {
        this.later(2);
        return;
      }
      const [id, link] = pick;
      const request = link.queue.shift()!;
      const file = this.options.lookup(request.name);
      if (!file) continue;
      const length = chunkBytes(file, request.index);
      limiter?.take(length, clock.now());
      this.reading += 1;
      file.read(request.index).then(
        (data) => this.deliver(id, request.name, request.index, data),
        () => this.deliver(id, request.name, request.index, null),
      );
    }
  }

  private deliver(id: string, name: string, index: number, data: Buffer | null): void {
    this.reading -= 1;
    const link = this.links.get(id);
    if (link && !link.sink.isClosed && !this.stopped) {
      if (data) {
        link.sink.send({ type: 'chunk', name, index, data });
        this.bytesSent += data.length;
        this.lastSentAt = this.options.clock.now();
        this.chunksSent += 1;
        this.bytesByLink.set(id, (this.bytesByLink.get(id) ?? 0) + data.length);
        this.sent$.next({ link: id, name, index, bytes: data.length });
      } else {
        link.sink.send({ type: 'reject', name, index, code: 'ERR_READ' });
      }
    }
    this.pump();
  }

  /** The next link in round-robin order with a request and room in its send buffer. */
  private nextLink(): [string, Link] | 'empty' | 'blocked' {
    let blocked = false;
    for (let n = 0; n < this.order.length; n++) {
      this.cursor = (this.cursor + 1) % this.order.length;
      const id = this.order[this.cursor]!;
      const link = this.links.get(id)!;
      if (link.queue.length === 0) continue;
      if (link.sink.isClosed) {
        link.queue = [];
        continue;
      }
      if (link.sink.bufferedBytes > this.maxBuffered) {
        blocked = true;
        continue;
      }
      return [id, link];
    }
    return blocked ? 'blocked' : 'empty';
  }
}

function chunkBytes(file: StoredFile, index: number): number {
  const { size, chunkSize } = file.manifest;
  return Math.max(0, Math.min(chunkSize, size - index * chunkSize));
}
