// One speaker's liveness layer, alone, for test/network/liveness-*.test.ts:
// `ip netns exec NS node liveness-node.ts '<json config>'`. Logs JSON lines
// (pino, epoch-ms `time`) on stdout: "started", the liveness layer's own peer
// and candidate lines, and "stats" every 250 ms. SIGTERM → graceful leave.
import { pino } from "pino";
import { deriveHeartbeatKey } from "../../speaker/liveness/heartbeat-codec.ts";
import { startLiveness } from "../../speaker/liveness/udp-transport.ts";

interface DriverConfig {
  readonly node: string;
  readonly secret: string;
  readonly peers: Record<string, string>;
  readonly port: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as DriverConfig;
const logger = pino({ base: { node: config.node }, timestamp: pino.stdTimeFunctions.epochTime });
const liveness = await startLiveness({
  node: config.node,
  keys: [deriveHeartbeatKey(Buffer.from(config.secret))],
  port: config.port,
  bindAddress6: false,
  logger,
});
liveness.setPeers(new Map(Object.entries(config.peers)));
logger.info({ candidates: [...liveness.candidates()] }, "started");
const stats = setInterval(() => {
  logger.info({ stats: liveness.stats(), stage: liveness.selfStage() }, "stats");
}, 250);
process.once("SIGTERM", () => {
  clearInterval(stats);
  logger.info("leaving");
  void liveness.leave().then(() => {
    logger.info("left");
    process.exit(0);
  });
});
