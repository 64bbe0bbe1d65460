// A Map for large, long-lived tables whose keys come and go. V8's Map keeps a
// deleted entry in its bucket chain until the table is rehashed, and a large
// table rehashes only after as many insertions as it has free slots: deleting
// and re-adding one key k times makes every lookup of that key walk k dead
// entries. Measured on Node 24 with 1,000,000 entries: 20,000 set/delete
// pairs of one key, then 77 µs per get of it (39 ns on a fresh table). An
// allocator holds and releases the same address and the same Service key
// over and over, so here a delete leaves `undefined` in place (the next set
// reuses the entry) and the table is rebuilt once such tombstones outnumber
// the live entries: O(1) amortised, chains never longer than hashing makes them.

/** Tombstones tolerated before a rebuild is considered at all. */
const MIN_TOMBSTONES = 1024;

export class ChurnSafeMap<K, V extends object | bigint | boolean | number | string> {
  #map = new Map<K, V | undefined>();
  #live = 0;

  get size(): number {
    return this.#live;
  }

  /** Entries in the underlying Map, tombstones included (for tests of the bound). */
  get tableSize(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.get(key) !== undefined;
  }

  set(key: K, value: V): this {
    if (this.#map.get(key) === undefined) this.#live++;
    this.#map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.#map.get(key) === undefined) return false;
    this.#map.set(key, undefined);
    this.#live--;
    const tombstones = this.#map.size - this.#live;
    if (tombstones > MIN_TOMBSTONES && tombstones > this.#live) this.#rebuild();
    return true;
  }

  *entries(): Generator<[K, V]> {
    for (const [key, value] of this.#map) if (value !== undefined) yield [key, value];
  }

  *keys(): Generator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): Generator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  #rebuild(): void {
    this.#map = new Map(this.entries());
  }
}
