// The round-robin proxy of test/round-robin-proxy.ts as a process of its own,
// so `npm run lab` can leave it running in front of the two webhook replicas
// (what the webhook Service does in a cluster).
// usage: node webhook-proxy.ts BACKEND_PORT…   Prints "READY <port>" once listening.
import { startRoundRobinProxy } from "../round-robin-proxy.ts";

const ports = process.argv.slice(2).map(Number);
if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) {
  process.stderr.write("usage: webhook-proxy.ts BACKEND_PORT…\n");
  process.exit(2);
}

const proxy = await startRoundRobinProxy(ports);
process.stdout.write(`READY ${String(proxy.port)}\n`);
const stop = (): void => {
  void proxy.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
