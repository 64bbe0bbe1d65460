// A tiny HTTP server for the lab's node namespaces: answers every request
// with the host's name, so a client can tell which node served it.
// usage: node http-listener.ts NAME PORT   (run inside the namespace)
import { createServer } from "node:http";

const [name, portText] = process.argv.slice(2);
const port = Number(portText);
if (name === undefined || !Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write("usage: http-listener.ts NAME PORT\n");
  process.exit(2);
}

const server = createServer((req, res) => {
  res.setHeader("Content-Type", "text/plain");
  res.setHeader("X-Served-By", name);
  // Connection: close keeps each curl a separate flow (separate ECMP hash).
  res.setHeader("Connection", "close");
  res.end(`${name}\n`);
  process.stdout.write(
    `${req.socket.remoteAddress ?? "?"} ${req.method ?? "?"} ${req.url ?? "?"}\n`,
  );
});
// "::" without ipv6Only accepts IPv4 too (as ::ffff:a.b.c.d), on every address
// of the namespace, VIPs on lo included.
server.listen({ host: "::", port }, () => {
  process.stdout.write(`READY ${name} ${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
