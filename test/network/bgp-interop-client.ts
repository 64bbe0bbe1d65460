// Minimal scripted BGP client for the opt-in gobgpd interop test (not the
// session FSM). Usage: node interop-client.ts <peer> <local> <asn>
// Prints one line per event; reads "withdraw" / "close" lines on stdin.
import net from "node:net";
import { createInterface } from "node:readline";
import { community } from "../../speaker/bgp/attributes.ts";
import { decodeMessage, encodeKeepalive } from "../../speaker/bgp/messages.ts";
import { encodeNotification, shutdownNotification } from "../../speaker/bgp/notification.ts";
import { encodeOpen } from "../../speaker/bgp/open.ts";
import { MessageSplitter } from "../../speaker/bgp/splitter.ts";
import { encodeEndOfRib, packAnnouncements, packWithdrawals } from "../../speaker/bgp/update.ts";

export const INTEROP_V4 = Array.from({ length: 1200 }, (_, i) => `172.16.${i >> 8}.${i & 255}/32`);
export const INTEROP_PREFIXES = [
  ...INTEROP_V4,
  "198.51.100.0/24",
  "2001:db8:100::/48",
  "2001:db8:200::1/128",
];

function announce(sock: net.Socket, local: string, asn: number): void {
  const attributes = {
    origin: 0,
    asPath: [{ type: 2, asns: [asn] }],
    nextHop: local,
    communities: [community(64512, 100)],
    largeCommunities: [{ globalAdmin: asn, localData1: 1, localData2: 2 }],
  } as const;
  const four = { fourOctetAs: true };
  const msgs = packAnnouncements(
    { attributes, ipv6NextHops: ["2001:db8::2"], prefixes: INTEROP_PREFIXES },
    four,
  );
  for (const m of msgs) sock.write(m);
  sock.write(encodeEndOfRib(1));
  sock.write(encodeEndOfRib(2));
  console.log(`ANNOUNCED ${msgs.length}`);
}

function onFrame(
  sock: net.Socket,
  frame: Uint8Array,
  state: { announced: boolean },
  local: string,
): void {
  const d = decodeMessage(frame, { fourOctetAs: true });
  if (!d.ok) {
    console.log(`ERROR ${d.notification.code}/${d.notification.subcode}`);
    sock.end(encodeNotification(d.notification));
    return;
  }
  console.log(`RECV ${d.message.type}`);
  if (d.message.type === "open") sock.write(encodeKeepalive());
  if (d.message.type === "keepalive" && !state.announced) {
    state.announced = true;
    announce(sock, local, Number(process.argv[4]));
  }
}

function main(): void {
  const [peer = "10.0.0.1", local = "10.0.0.2", asnText = "65001"] = process.argv.slice(2);
  const asn = Number(asnText);
  const sock = net.connect({ host: peer, port: 179, localAddress: local });
  const splitter = new MessageSplitter();
  const state = { announced: false };
  sock.on("connect", () => {
    const caps = [
      { kind: "multiprotocol", afi: 1, safi: 1 },
      { kind: "multiprotocol", afi: 2, safi: 1 },
      { kind: "fourOctetAs", asn },
      { kind: "routeRefresh" },
    ] as const;
    sock.write(encodeOpen({ type: "open", asn, holdTime: 90, bgpId: local, capabilities: caps }));
  });
  sock.on("data", (chunk: Buffer) => {
    for (const f of splitter.push(chunk)) {
      if (f.ok) onFrame(sock, f.frame, state, local);
      else console.log(`ERROR ${f.notification.code}/${f.notification.subcode}`);
    }
  });
  sock.on("close", () => {
    console.log("CLOSED");
    process.exit(0);
  });
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line === "withdraw") {
      for (const m of packWithdrawals(INTEROP_PREFIXES)) sock.write(m);
      console.log("WITHDRAWN");
    }
    if (line === "close") sock.end(encodeNotification(shutdownNotification(2, "interop done")));
  });
}

if (import.meta.filename === process.argv[1]) main();
