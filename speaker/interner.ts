// Shares equal immutable values between Services. On one node most Services
// have the same eligible nodes, the same interfaces and the same endpoint
// nodes; a copy of each per Service was about 1 KB of the speaker's heap per
// Service (issue 5; docs/adr/0009-speaker-memory.md). Values handed out are
// shared, so nobody may change them.
export class Interner<T> {
  readonly #values = new Map<string, T>();
  readonly #limit: number;

  /** `limit` distinct keys at most: beyond that the table starts over. */
  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /**
   * The value kept for `key`, else `make()`, kept from now on. Sharing saves
   * memory and means nothing else, so forgetting (past the limit) is safe.
   */
  get(key: string, make: () => T): T {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    if (this.#values.size >= this.#limit) this.#values.clear();
    const value = make();
    this.#values.set(key, value);
    return value;
  }

  get size(): number {
    return this.#values.size;
  }
}
