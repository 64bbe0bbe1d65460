// Runs BgpSessions for the network tests, inside a namespace:
//   ip netns exec NS node driver.ts '<json: { sessions: SessionOptions[], routes: AdvertisedRoute[] }>'
// stdout: one JSON event per line ({"event":"established","peer":…}, "state", "down", "counters").
// stdin: one JSON command per line: {"routes":[…]} (all sessions), {"counters":true}, {"stop":"reason"}.
import { createInterface } from "node:readline";
import type { AdvertisedRoute } from "../../../speaker/bgp/adj-rib-out.ts";
import { BgpSession, describeDown, type SessionOptions } from "../../../speaker/bgp/session.ts";

interface DriverConfig {
  readonly sessions: readonly SessionOptions[];
  readonly routes: readonly AdvertisedRoute[];
}

interface Command {
  readonly routes?: readonly AdvertisedRoute[];
  readonly counters?: boolean;
  readonly stop?: string;
}

const say = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

function main(): void {
  const config = JSON.parse(process.argv[2] ?? "{}") as DriverConfig;
  const sessions = config.sessions.map((o) => new BgpSession(o));
  for (const s of sessions) {
    const peer = s.options.peerAddress;
    s.on("state", (from, to) => {
      say({ event: "state", peer, from, to });
    });
    s.on("established", (n) => {
      say({ event: "established", peer, holdTime: n.holdTime });
    });
    s.on("down", (r) => {
      say({ event: "down", peer, reason: describeDown(r) });
    });
    s.setRoutes(config.routes);
    s.start();
  }
  createInterface({ input: process.stdin }).on("line", (line) => {
    const cmd = JSON.parse(line) as Command;
    if (cmd.routes !== undefined) for (const s of sessions) s.setRoutes(cmd.routes);
    if (cmd.counters === true) {
      for (const s of sessions)
        say({ event: "counters", peer: s.options.peerAddress, ...s.counters });
    }
    if (cmd.stop !== undefined) {
      void Promise.all(sessions.map((s) => s.stop(cmd.stop))).then(() => {
        say({ event: "stopped" });
        process.exit(0);
      });
    }
  });
}

main();
