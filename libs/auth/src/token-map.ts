import { LRUCache } from 'lru-cache';

/** Characters of a token's tail a {@link TokenMap} hashes. */
const KEY_CHARS = 24;

interface Entry<V> {
  token: string;
  value: V;
}

/** The bounds of a {@link TokenMap}: at most `max` tokens, each for at most `ttl` ms when set (`perf`: the clock, for tests). */
export type TokenMapOptions<V extends {}> = Pick<LRUCache.Options<string, Entry<V>, unknown>, 'max' | 'ttl' | 'perf' | 'ttlResolution'> & { max: number };

/**
 * A cache keyed by token strings that hashes only their last {@link KEY_CHARS} characters. Every
 * request brings its token as a new string of several hundred characters, and V8 hashes a string
 * in full the first time it is a Map key: that was a visible part of validating a cached token.
 * The tail of a signed token is its signature, so tails do not repeat in practice; an entry
 * still answers only for the exact token it was stored with, so a token sharing another's tail
 * is a miss (and replaces it), never the other's answer. When full, the least recently used
 * token goes.
 */
export class TokenMap<V extends {}> {
  private readonly entries: LRUCache<string, Entry<V>>;

  constructor(options: TokenMapOptions<V>) {
    this.entries = new LRUCache(options);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The clock `ttl` is measured on (`start` of {@link set}). */
  now(): number {
    return this.entries.perf.now();
  }

  get(token: string): V | undefined {
    const e = this.entries.get(token.slice(-KEY_CHARS));
    return e !== undefined && e.token === token ? e.value : undefined;
  }

  /** `start`: when the value's time to live began ({@link now}), if before this call. */
  set(token: string, value: V, start?: number): void {
    this.entries.set(token.slice(-KEY_CHARS), { token, value }, start === undefined ? undefined : { start });
  }

  delete(token: string): void {
    const key = token.slice(-KEY_CHARS);
    if (this.entries.peek(key)?.token === token) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
