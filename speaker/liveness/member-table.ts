// Which speakers are alive, from the heartbeats they send
// (docs/adr/0006-l2-ownership-and-liveness.md). Pure: time is an input
// (`now`, milliseconds on a monotonic clock), so every transition is tested
// with a fake clock; the UDP adapter (udp-transport.ts) feeds it.
//
// Peers: alive while heard within missedBeats × interval + grace (the larger
// of our interval and the one the peer announces, so peers with different
// settings during a rollout agree); dead after that; left at once on a
// heartbeat with the leaving flag (graceful shutdown).
//
// Hold-down against flapping is declared by each node about itself, in its
// heartbeats, so every node computes the same candidate set:
// - `starting` for holdDownMs after the speaker starts;
// - `rejoining` for holdDownMs after it hears a peer again having heard none
//   (every known peer dead: its own link, or everyone else, went away — it
//   cannot tell which, VRRP's backup cannot either, RFC 5798 §6.4.2);
// - `ready` otherwise.
// candidates() = the live nodes of the best stage present: ready nodes if any,
// else rejoining ones, else starting ones. A node that flaps its link keeps
// rejoining while its peers stay ready, so it gets no IPs until it has stayed
// for holdDownMs; a node that crash-loops stays starting. When every node is
// in the same stage (cluster start, two nodes healing a partition) they are
// all candidates at once, so healing never leaves an IP without an owner.
import type { Heartbeat, Stage } from "./heartbeat-codec.ts";

export interface MemberTableConfig {
  /** This node's name. */
  readonly self: string;
  /** Heartbeat interval, ms (default 100). */
  readonly intervalMs: number;
  /** Heartbeats missed before a peer is dead (default 3). */
  readonly missedBeats: number;
  /** Allowance for scheduling and network jitter, ms (default 50). */
  readonly graceMs: number;
  /** How long a (re)joining node waits before it takes IPs, ms (default 2000). */
  readonly holdDownMs: number;
}

export const DEFAULT_LIVENESS_TIMING = {
  intervalMs: 100,
  missedBeats: 3,
  graceMs: 50,
  holdDownMs: 2000,
} as const;

export type PeerState = "alive" | "dead" | "left";

export interface Member {
  readonly name: string;
  readonly state: PeerState;
  readonly stage: Stage;
  readonly incarnation: number;
  readonly sequence: number;
  /** ms since the last accepted heartbeat. */
  readonly silentForMs: number;
}

export interface Transition {
  readonly node: string;
  readonly from: PeerState | "unknown";
  readonly to: PeerState;
}

export type RejectReason =
  /** Our own name: a loop, or another host using our name. */
  | "self"
  /** Not newer than the last accepted heartbeat of this incarnation: a duplicate or a replay. */
  | "replayed"
  /** An older incarnation while the newer one is alive: a replay. */
  | "stale-incarnation";

export type ReceiveResult =
  | { readonly accepted: true; readonly transition?: Transition }
  | { readonly accepted: false; readonly reason: RejectReason };

interface Peer {
  incarnation: number;
  sequence: number;
  intervalMs: number;
  stage: Stage;
  state: PeerState;
  lastHeard: number;
}

const STAGE_RANK: Readonly<Record<Stage, number>> = { ready: 0, rejoining: 1, starting: 2 };

export class MemberTable {
  readonly #config: MemberTableConfig;
  readonly #peers = new Map<string, Peer>();
  readonly #startedAt: number;
  /** Every known, not-left peer is dead. */
  #isolated = false;
  #rejoinedAt = Number.NEGATIVE_INFINITY;

  constructor(config: MemberTableConfig, now: number) {
    this.#config = config;
    this.#startedAt = now;
  }

  /** What this node says of itself in its heartbeats. */
  selfStage(now: number): Stage {
    const hold = this.#config.holdDownMs;
    if (now < this.#startedAt + hold) return "starting";
    if (this.#isolated || now < this.#rejoinedAt + hold) return "rejoining";
    return "ready";
  }

  /** Takes one authenticated heartbeat, or says why it is ignored. */
  receive(hb: Heartbeat, now: number): ReceiveResult {
    if (hb.node === this.#config.self) return { accepted: false, reason: "self" };
    const peer = this.#peers.get(hb.node);
    if (peer !== undefined) {
      const reason = staleness(peer, hb);
      if (reason !== undefined) return { accepted: false, reason };
    }
    const from = peer?.state ?? "unknown";
    const to: PeerState = hb.leaving ? "left" : "alive";
    this.#peers.set(hb.node, {
      incarnation: hb.incarnation,
      sequence: hb.sequence,
      intervalMs: hb.intervalMs,
      stage: hb.stage,
      state: to,
      lastHeard: now,
    });
    if (to === "alive" && this.#isolated) {
      this.#isolated = false;
      this.#rejoinedAt = now;
    }
    return from === to
      ? { accepted: true }
      : { accepted: true, transition: { node: hb.node, from, to } };
  }

  /** Declares peers dead whose heartbeats stopped; call at least every interval/2. */
  tick(now: number): Transition[] {
    const out: Transition[] = [];
    for (const [node, peer] of this.#peers) {
      if (peer.state === "alive" && now - peer.lastHeard > this.#deadAfter(peer)) {
        peer.state = "dead";
        out.push({ node, from: "alive", to: "dead" });
      }
    }
    if (!this.#isolated && this.#everyPeerDead()) this.#isolated = true;
    return out;
  }

  /** Nodes that may own IPs now: this node and live peers, of the best stage present. */
  candidates(now: number): ReadonlySet<string> {
    const live: [string, Stage][] = [[this.#config.self, this.selfStage(now)]];
    for (const [node, peer] of this.#peers) {
      if (peer.state === "alive") live.push([node, peer.stage]);
    }
    const best = Math.min(...live.map(([, stage]) => STAGE_RANK[stage]));
    return new Set(live.filter(([, stage]) => STAGE_RANK[stage] === best).map(([node]) => node));
  }

  /** Forgets peers whose Node is gone, so a deleted Node does not count as a dead peer. */
  retain(nodes: ReadonlySet<string>): void {
    for (const node of this.#peers.keys()) {
      if (!nodes.has(node)) this.#peers.delete(node);
    }
    if (this.#isolated && !this.#everyPeerDead()) this.#isolated = false;
  }

  members(now: number): Member[] {
    return [...this.#peers].map(([name, p]) => ({
      name,
      state: p.state,
      stage: p.stage,
      incarnation: p.incarnation,
      sequence: p.sequence,
      silentForMs: now - p.lastHeard,
    }));
  }

  #deadAfter(peer: Peer): number {
    const { intervalMs, missedBeats, graceMs } = this.#config;
    return missedBeats * Math.max(intervalMs, peer.intervalMs) + graceMs;
  }

  /** True when at least one peer is known and every one not left is dead. */
  #everyPeerDead(): boolean {
    let known = 0;
    for (const peer of this.#peers.values()) {
      if (peer.state === "alive") return false;
      if (peer.state === "dead") known++;
    }
    return known > 0;
  }
}

/**
 * Replay protection: within an incarnation the sequence must grow. A newer
 * incarnation (the peer restarted) is always taken; an older one only once the
 * newer is no longer alive (the peer rebooted with its clock set back).
 */
function staleness(peer: Peer, hb: Heartbeat): RejectReason | undefined {
  if (hb.incarnation === peer.incarnation) {
    return hb.sequence > peer.sequence ? undefined : "replayed";
  }
  if (hb.incarnation < peer.incarnation && peer.state === "alive") return "stale-incarnation";
  return undefined;
}
