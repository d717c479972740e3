import type { AnyActorRef } from 'xstate';

/**
 * Keys whose values never leave the process through the inspector, whatever they hold:
 * shared secrets, keys of any kind, passwords, tokens, and the handshake's nonces and
 * proofs (a proof is an HMAC keyed by the secret; a nonce with its proof is an offline
 * guessing oracle). Matched on the key's words, so `privateKey`, `sessionKey`,
 * `client_secret` and `authToken` are all caught; a false positive only hides a value.
 */
export const SENSITIVE_KEY =
  /secret|passw|token|proof|nonce|private|key|seed|mnemonic|credential|cookie|signature|hmac|mac$/i;

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/** Arrays longer than this are shown as their length (a session's RTT list has 30,000). */
const MAX_ARRAY = 16;
const MAX_DEPTH = 3;
/** Strings longer than this are cut: the inspector shows, it does not archive. */
const MAX_STRING = 200;
/** Shorter configured secrets are still redacted, but never learned from a value. */
const MIN_LEARNED = 6;
const MAX_LEARNED = 64;

export interface RedactorOptions {
  /** Values to redact wherever they appear (a `--secret`), with their hex and base64. */
  secrets?: readonly string[];
}

export interface Redactor {
  /** A small, JSON-safe, redacted copy of `value`: never the live object itself. */
  value(value: unknown): unknown;
  /** Replaces every known secret (and encoding of one) in `text`: the last line of defence. */
  text(text: string): string;
  /** Adds a secret value to redact from now on. */
  learn(secret: string): void;
}

const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** The forms a secret can take in a message: itself, hex, base64 and base64url of its bytes. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [
    secret,
    bytes.toString('hex'),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    JSON.stringify(secret).slice(1, -1),
  ];
  return [...new Set(forms.filter((form) => form.length > 0))];
}

/**
 * A generic redactor for everything the inspector sends out (snapshots, events, contexts):
 * values under a {@link SENSITIVE_KEY} key are replaced, bytes (Buffer, typed arrays,
 * ArrayBuffer) are shown only by length, any string containing a configured secret (or its
 * hex/base64) is replaced, and strings found under a secret-named key are learned, so they
 * are also caught where they appear under an innocent key later. The copy is bounded
 * (depth, array and string lengths) and holds no live object: actors, sockets, subjects
 * and class instances become their names.
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const known: string[] = [];
  const learned = new Set<string>();

  const learn = (secret: string) => {
    if (secret.length === 0 || learned.has(secret) || learned.size >= MAX_LEARNED) return;
    learned.add(secret);
    for (const form of encodings(secret)) if (!known.includes(form)) known.push(form);
    // Longest first, so a form that contains another is replaced whole.
    known.sort((a, b) => b.length - a.length);
  };
  for (const secret of options.secrets ?? []) learn(secret);

  const text = (input: string): string => {
    let out = input;
    for (const form of known) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };

  const redactString = (input: string): string => {
    const clean = text(input);
    return clean.length > MAX_STRING ? `${clean.slice(0, MAX_STRING)}…` : clean;
  };

  const sensitive = (key: string, item: unknown): unknown => {
    if (typeof item === 'string' && item.length >= MIN_LEARNED && /secret|passw|token/i.test(key))
      learn(item);
    return item === undefined || item === null ? item : REDACTED;
  };

  const value = (input: unknown, depth = 0): unknown => {
    if (input === null || input === undefined) return input;
    switch (typeof input) {
      case 'string':
        return redactString(input);
      case 'number':
        return Number.isFinite(input) ? input : String(input);
      case 'boolean':
        return input;
      case 'bigint':
        return String(input);
      case 'function':
      case 'symbol':
        return undefined;
    }
    const object = input as object;
    if (ArrayBuffer.isView(object)) return `[bytes(${object.byteLength}) ${REDACTED}]`;
    if (object instanceof ArrayBuffer) return `[bytes(${object.byteLength}) ${REDACTED}]`;
    if (Array.isArray(object)) {
      if (object.length > MAX_ARRAY || depth >= MAX_DEPTH) return `[Array(${object.length})]`;
      return object.map((item) => value(item, depth + 1) ?? null);
    }
    if (object instanceof Map) return `[Map(${object.size})]`;
    if (object instanceof Set) return `[Set(${object.size})]`;
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
    if (object instanceof Error) {
      const code = (object as { code?: unknown }).code;
      return {
        name: redactString(object.name),
        message: redactString(object.message),
        ...(typeof code === 'string' ? { code: redactString(code) } : {}),
      };
    }
    if (!isPlain(object)) {
      const actor = object as Partial<AnyActorRef>;
      if (typeof actor.sessionId === 'string')
        return `[Actor ${redactString(String(actor.id ?? actor.sessionId))}]`;
      return `[${redactString(object.constructor?.name ?? 'Object')}]`;
    }
    if (depth >= MAX_DEPTH) return '[Object]';
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const shown = SENSITIVE_KEY.test(key) ? sensitive(key, item) : value(item, depth + 1);
      if (shown !== undefined) out[redactString(key)] = shown;
    }
    return out;
  };

  return { value: (input) => value(input), text, learn };
}
