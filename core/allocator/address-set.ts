// A set of addresses (bigints) stored as disjoint, non-adjacent closed
// intervals in a treap keyed by interval start. Memory follows the number of
// intervals, never the size of the address space: a /64 with a million used
// addresses scattered at random costs a million nodes, a /8 filled from the
// bottom costs one. Every operation is O(log n) expected in the number of
// intervals (the treap's random priorities come from a fixed-seed generator,
// so a run is reproducible).

interface Node {
  start: bigint;
  end: bigint;
  readonly priority: number;
  left: Node | undefined;
  right: Node | undefined;
}

type Tree = Node | undefined;

/** [start < key, start ≥ key] */
function split(tree: Tree, key: bigint): [Tree, Tree] {
  if (tree === undefined) return [undefined, undefined];
  if (tree.start < key) {
    const [less, rest] = split(tree.right, key);
    tree.right = less;
    return [tree, rest];
  }
  const [less, rest] = split(tree.left, key);
  tree.left = rest;
  return [less, tree];
}

/** Joins two trees where every start in `a` is below every start in `b`. */
function merge(a: Tree, b: Tree): Tree {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return a;
  }
  b.left = merge(a, b.left);
  return b;
}

function insertNode(tree: Tree, node: Node): Node {
  if (tree === undefined) return node;
  if (node.priority > tree.priority) {
    [node.left, node.right] = split(tree, node.start);
    return node;
  }
  if (node.start < tree.start) tree.left = insertNode(tree.left, node);
  else tree.right = insertNode(tree.right, node);
  return tree;
}

function removeStart(tree: Tree, start: bigint): Tree {
  if (tree === undefined) return undefined;
  if (tree.start === start) return merge(tree.left, tree.right);
  if (start < tree.start) tree.left = removeStart(tree.left, start);
  else tree.right = removeStart(tree.right, start);
  return tree;
}

function heightOf(tree: Tree): number {
  return tree === undefined ? 0 : 1 + Math.max(heightOf(tree.left), heightOf(tree.right));
}

export interface Interval {
  readonly first: bigint;
  readonly last: bigint;
}

/** Used addresses of one family (or of any bigint space) as merged intervals. */
export class AddressSet {
  #root: Tree;
  #size = 0n;
  #intervals = 0;
  // xorshift32 state: treap priorities need to be random-looking, not secret.
  #seed = 0x9e3779b9 | 0;

  /** Number of addresses in the set. */
  get size(): bigint {
    return this.#size;
  }

  /** Number of stored intervals (what memory is proportional to). */
  get intervalCount(): number {
    return this.#intervals;
  }

  /** Depth of the tree, for tests of the balance (O(n): not for hot paths). */
  get height(): number {
    return heightOf(this.#root);
  }

  has(x: bigint): boolean {
    const node = this.#floor(x);
    return node !== undefined && x <= node.end;
  }

  /** Adds x, merging with the neighbouring intervals; false when x was present. */
  add(x: bigint): boolean {
    const before = this.#floor(x);
    if (before !== undefined && x <= before.end) return false;
    const joinsBefore = before !== undefined && before.end + 1n === x;
    const after = this.#startingAt(x + 1n);
    if (joinsBefore && after !== undefined) {
      before.end = after.end;
      this.#root = removeStart(this.#root, after.start);
      this.#intervals--;
    } else if (joinsBefore) {
      before.end = x;
    } else if (after !== undefined) {
      // No other interval starts between `before` and x + 1, so the order holds.
      after.start = x;
    } else {
      this.#insert(x, x);
    }
    this.#size++;
    return true;
  }

  /** Removes x, splitting its interval when x is inside; false when x was absent. */
  delete(x: bigint): boolean {
    const node = this.#floor(x);
    if (node === undefined || x > node.end) return false;
    if (node.start === x && node.end === x) {
      this.#root = removeStart(this.#root, x);
      this.#intervals--;
    } else if (node.start === x) {
      node.start = x + 1n;
    } else if (node.end === x) {
      node.end = x - 1n;
    } else {
      const end = node.end;
      node.end = x - 1n;
      this.#insert(x + 1n, end);
    }
    this.#size--;
    return true;
  }

  /** The lowest address ≥ x and ≤ limit that is not in the set. */
  firstAbsentAtOrAfter(x: bigint, limit: bigint): bigint | undefined {
    const node = this.#floor(x);
    // Intervals never touch, so the address after an interval's end is absent.
    const candidate = node !== undefined && x <= node.end ? node.end + 1n : x;
    return candidate <= limit ? candidate : undefined;
  }

  /** The intervals in ascending order. */
  *intervals(): Generator<Interval> {
    const stack: Node[] = [];
    let node = this.#root;
    while (node !== undefined || stack.length > 0) {
      while (node !== undefined) {
        stack.push(node);
        node = node.left;
      }
      const top = stack.pop();
      if (top === undefined) return;
      yield { first: top.start, last: top.end };
      node = top.right;
    }
  }

  /** The interval with the greatest start ≤ x. */
  #floor(x: bigint): Node | undefined {
    let node = this.#root;
    let best: Node | undefined;
    while (node !== undefined) {
      if (node.start <= x) {
        best = node;
        node = node.right;
      } else {
        node = node.left;
      }
    }
    return best;
  }

  #startingAt(x: bigint): Node | undefined {
    const node = this.#floor(x);
    return node !== undefined && node.start === x ? node : undefined;
  }

  #insert(start: bigint, end: bigint): void {
    this.#root = insertNode(this.#root, {
      start,
      end,
      priority: this.#nextPriority(),
      left: undefined,
      right: undefined,
    });
    this.#intervals++;
  }

  #nextPriority(): number {
    let s = this.#seed;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#seed = s | 0;
    return s >>> 0;
  }
}
