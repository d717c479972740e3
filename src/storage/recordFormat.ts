/** How a session ended, as the last line of its files records it. */
export interface EndInfo {
  /** Real duration of the session, from the monotonic clock. */
  durationMs: number;
  /** Set when the session ended before its planned duration: why. */
  endedEarly?: string;
  /** What a reader should know about gaps, e.g. `1 reconnection, 212 slots skipped while disconnected`. */
  notes?: string;
}

/**
 * How records of type `R` become lines of a file: a header, one line per record (numbered
 * from 1 in the order written) and a footer. The file writer is generic over this.
 */
export interface RecordFormat<R> {
  readonly header: string;
  line(record: R, index: number): string;
  footer(end: EndInfo): string;
}
