// The ARP flood for `npm run bench -- l2`, run by the bench inside the client
// namespace: `node bench/l2/arp-flood.ts IFNAME RATE SECONDS IP…`. Sends
// who-has requests for the IPs round-robin at RATE per second for SECONDS
// from one AF_PACKET socket (the speaker's own addon), reads the replies on
// the same socket, and prints one JSON line with what came back.
//
// Matching a reply to its request: the request's sender IP carries a 24-bit
// sequence number in 10.0.0.0/8, and an ARP reply's target IP is the
// request's sender IP (RFC 826), so each reply names the request it answers.
// No real host is in 10.0.0.0/8 on the lab LAN, and the client's kernel
// ignores replies for addresses it does not have.
import { openPacketSocket, type ReceivedFrame } from "../../speaker/link/index.ts";
import { percentile } from "../bench-stats.ts";
import { BROADCAST_MAC, encodeArpFrame, ZERO_MAC } from "../../speaker/layer2/arp-codec.ts";

/** Sends are paced from this timer: rate × 5 ms frames per tick (100 at 20,000/s). */
const TICK_MS = 5;
/** How long to wait for late replies after the last request. */
const DRAIN_MS = 1_000;
const SENDER_IP_OFFSET = 28;
const TARGET_IP_OFFSET = 38;

export interface FloodResult {
  readonly sent: number;
  readonly answered: number;
  readonly duplicates: number;
  readonly wrongAnswers: number;
  readonly sendSeconds: number;
  /** Replies received while requests were being sent, per second of sending. */
  readonly repliesPerSecond: number;
  /** Reply latency of every answered request, ms. */
  readonly latenciesMs: number[];
  readonly replyMacs: string[];
}

/** What the flood process prints: the result without the samples. */
export type FloodSummary = Omit<FloodResult, "latenciesMs"> & {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
};

interface Flood {
  readonly sentAt: Float64Array;
  readonly answered: Uint8Array;
  readonly templates: Uint8Array[];
  readonly ips: readonly string[];
  readonly latencies: number[];
  readonly macs: Set<string>;
  sent: number;
  duplicates: number;
  wrong: number;
  repliesWhileSending: number;
  sending: boolean;
}

function ipBytes(bytes: Uint8Array, offset: number): string {
  return `${String(bytes[offset])}.${String(bytes[offset + 1])}.${String(bytes[offset + 2])}.${String(bytes[offset + 3])}`;
}

function macText(bytes: Uint8Array, offset: number): string {
  return Array.from(bytes.subarray(offset, offset + 6), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join(":");
}

function isReply(bytes: Uint8Array): boolean {
  // EtherType 0x0806, operation 2, target IP in 10.0.0.0/8.
  return (
    bytes.length >= 42 &&
    bytes[12] === 0x08 &&
    bytes[13] === 0x06 &&
    bytes[21] === 2 &&
    bytes[TARGET_IP_OFFSET] === 10
  );
}

function receive(flood: Flood, frames: readonly ReceivedFrame[]): void {
  const now = performance.now();
  for (const { frame } of frames) {
    if (!isReply(frame)) continue;
    const seq = ((frame[39] ?? 0) << 16) | ((frame[40] ?? 0) << 8) | (frame[41] ?? 0);
    if (seq >= flood.sent) continue;
    if (ipBytes(frame, SENDER_IP_OFFSET) !== flood.ips[seq % flood.ips.length]) {
      flood.wrong++;
      continue;
    }
    if (flood.answered[seq] === 1) {
      flood.duplicates++;
      continue;
    }
    flood.answered[seq] = 1;
    flood.latencies.push(now - (flood.sentAt[seq] ?? now));
    flood.macs.add(macText(frame, 6));
    if (flood.sending) flood.repliesWhileSending++;
  }
}

function sendOne(flood: Flood, send: (frame: Uint8Array) => void): void {
  const seq = flood.sent;
  const frame = flood.templates[seq % flood.templates.length];
  if (frame === undefined) return;
  frame[SENDER_IP_OFFSET + 1] = (seq >> 16) & 0xff;
  frame[SENDER_IP_OFFSET + 2] = (seq >> 8) & 0xff;
  frame[SENDER_IP_OFFSET + 3] = seq & 0xff;
  flood.sentAt[seq] = performance.now();
  flood.sent++;
  // The addon sends synchronously, so the template can be changed again at once.
  send(frame);
}

export async function arpFlood(
  ifname: string,
  rate: number,
  seconds: number,
  ips: readonly string[],
): Promise<FloodResult> {
  const total = Math.min(Math.round(rate * seconds), 1 << 24);
  const flood: Flood = {
    sentAt: new Float64Array(total),
    answered: new Uint8Array(total),
    templates: [],
    ips,
    latencies: [],
    macs: new Set(),
    sent: 0,
    duplicates: 0,
    wrong: 0,
    repliesWhileSending: 0,
    sending: true,
  };
  const socket = openPacketSocket(
    ifname,
    (frames) => {
      receive(flood, frames);
    },
    (error) => {
      process.stderr.write(`receive error: ${error.message}\n`);
    },
  );
  for (const ip of ips) {
    flood.templates.push(
      encodeArpFrame({
        destinationMac: BROADCAST_MAC,
        sourceMac: socket.mac,
        op: "request",
        senderMac: socket.mac,
        senderIp: "10.0.0.0",
        targetMac: ZERO_MAC,
        targetIp: ip,
      }),
    );
  }
  const send = (frame: Uint8Array): void => {
    socket.send(frame);
  };
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Catch up on the schedule: the average rate holds even when a tick is late.
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (flood.sent < due) sendOne(flood, send);
      if (flood.sent < total) return;
      clearInterval(timer);
      resolve();
    }, TICK_MS);
  });
  const sendSeconds = (performance.now() - start) / 1000;
  flood.sending = false;
  await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
  socket.close();
  return {
    sent: flood.sent,
    answered: flood.latencies.length,
    duplicates: flood.duplicates,
    wrongAnswers: flood.wrong,
    sendSeconds,
    repliesPerSecond: flood.repliesWhileSending / sendSeconds,
    latenciesMs: flood.latencies,
    replyMacs: [...flood.macs],
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const [ifname = "eth0", rate = "20000", seconds = "10", ...ips] = process.argv.slice(2);
  const { latenciesMs, ...result } = await arpFlood(ifname, Number(rate), Number(seconds), ips);
  const summary: FloodSummary = {
    ...result,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: latenciesMs.reduce((a, b) => Math.max(a, b), 0),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
