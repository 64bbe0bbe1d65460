// Runs in the client namespace (`ip netns exec … node failover-probe.ts URL`):
// one HTTP request every 10 ms, each on a new connection (so each resolves
// the VIP through the kernel's neighbour table as a real client would), and
// one JSON line per answered request: {"at": ms since epoch, "node": name}.
// Failed or timed-out requests print nothing. Stops when stdin closes.
import http from "node:http";

const url = process.argv[2];
if (url === undefined) {
  console.error("usage: failover-probe.ts URL");
  process.exit(2);
}
const PERIOD_MS = 10;
const TIMEOUT_MS = 3_000;

const timer = setInterval(() => {
  const request = http.get(url, { agent: false, timeout: TIMEOUT_MS }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (body += chunk));
    res.on("end", () => {
      process.stdout.write(`${JSON.stringify({ at: Date.now(), node: body.trim() })}\n`);
    });
  });
  request.on("timeout", () => request.destroy());
  request.on("error", () => undefined);
}, PERIOD_MS);

process.stdin.resume();
process.stdin.on("end", () => {
  clearInterval(timer);
  setTimeout(() => process.exit(0), 100);
});
