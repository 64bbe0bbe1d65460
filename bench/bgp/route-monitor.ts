// Watches a lab host's kernel routing table with `ip monitor route` and
// timestamps every change as it arrives, so the BGP bench can tell when a
// Service's prefix reached the router's FIB (FRR's RIB → zebra → kernel)
// without polling vtysh. Event driven: nothing runs between changes.
import { spawn, type ChildProcess } from "node:child_process";

export interface RouteEvent {
  /** performance.now() when the bench read the event. */
  readonly at: number;
  /** Destination as `ip` prints it, with "/32" or "/128" added for a host route. */
  readonly prefix: string;
  readonly deleted: boolean;
  /** Gateways listed (one `via`, or one per `nexthop` line); 0 when only a nexthop id is shown. */
  readonly nexthops: number;
}

/** One `ip monitor route` message (first line plus its indented nexthop lines). Pure. */
export function parseRouteMessage(text: string): Omit<RouteEvent, "at"> | undefined {
  const [head = "", ...rest] = text.split("\n");
  const words = head.trim().split(/\s+/);
  const deleted = words[0] === "Deleted";
  const destination = deleted ? words[1] : words[0];
  if (destination === undefined || destination === "" || !/^[0-9a-f.:]+(\/\d+)?$/.test(destination))
    return undefined;
  const host = destination.includes(":") ? "/128" : "/32";
  const prefix = destination.includes("/") ? destination : `${destination}${host}`;
  const nexthopLines = rest.filter((l) => /^\s+nexthop /.test(l)).length;
  const nexthops = nexthopLines > 0 ? nexthopLines : words.includes("via") ? 1 : 0;
  return { prefix, deleted, nexthops };
}

type Waiter = { match: (e: RouteEvent) => boolean; resolve: (at: number) => void };

export class RouteMonitor {
  readonly events: RouteEvent[] = [];
  readonly #child: ChildProcess;
  readonly #waiters = new Set<Waiter>();
  #buffer = "";

  /** `ns`: the network namespace to watch; `family`: "-4" or "-6". */
  constructor(ns: string, family: "-4" | "-6" = "-4") {
    this.#child = spawn("ip", ["netns", "exec", ns, "ip", family, "monitor", "route"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.#child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#read(chunk);
    });
  }

  // `ip monitor` flushes after every netlink message, so a chunk ends on a
  // message boundary; a message is its first line and the indented lines after it.
  #read(chunk: string): void {
    const at = performance.now();
    this.#buffer += chunk;
    const end = this.#buffer.lastIndexOf("\n");
    if (end < 0) return;
    const lines = this.#buffer.slice(0, end).split("\n");
    this.#buffer = this.#buffer.slice(end + 1);
    const messages: string[] = [];
    for (const line of lines) {
      const last = messages.length - 1;
      if (/^\s/.test(line) && last >= 0) messages[last] = `${messages[last] ?? ""}\n${line}`;
      else messages.push(line);
    }
    for (const message of messages) {
      const parsed = parseRouteMessage(message);
      if (parsed !== undefined) this.#emit({ at, ...parsed });
    }
  }

  #emit(event: RouteEvent): void {
    this.events.push(event);
    for (const w of this.#waiters) {
      if (w.match(event)) {
        this.#waiters.delete(w);
        w.resolve(event.at);
      }
    }
  }

  /**
   * Resolves with the time of the first event at or after `since` that
   * matches (one already seen included), or rejects after timeoutMs.
   */
  when(
    match: (e: RouteEvent) => boolean,
    since: number,
    opts: { timeoutMs: number; what: string },
  ): Promise<number> {
    const seen = this.events.find((e) => e.at >= since && match(e));
    if (seen !== undefined) return Promise.resolve(seen.at);
    const { timeoutMs, what } = opts;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  stop(): void {
    this.#child.kill("SIGTERM");
  }
}
