/** Characters of a token's tail a {@link TokenMap} hashes. */
const KEY_CHARS = 24;

/**
 * A Map keyed by token strings that hashes only their last {@link KEY_CHARS} characters. Every
 * request brings its token as a new string of several hundred characters, and V8 hashes a string
 * in full the first time it is a Map key: that was a visible part of validating a cached token.
 * The tail of a signed token is its signature, so tails do not repeat in practice; an entry
 * still answers only for the exact token it was stored with, so a token sharing another's tail
 * is a miss (and replaces it), never the other's answer.
 */
export class TokenMap<V> {
  private readonly entries = new Map<string, { token: string; value: V }>();

  get size(): number {
    return this.entries.size;
  }

  get(token: string): V | undefined {
    const e = this.entries.get(token.slice(-KEY_CHARS));
    return e !== undefined && e.token === token ? e.value : undefined;
  }

  set(token: string, value: V): void {
    this.entries.set(token.slice(-KEY_CHARS), { token, value });
  }

  delete(token: string): void {
    const key = token.slice(-KEY_CHARS);
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
