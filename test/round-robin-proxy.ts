// A TCP proxy on 127.0.0.1 that hands each new connection to the next backend
// in turn: what a Service in front of two webhook replicas does in a cluster.
// TLS passes through untouched, so the API server still checks the
// replicas' certificate.
import {
  createConnection,
  createServer,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";

export interface RoundRobinProxy {
  readonly port: number;
  /** Connections handed to each backend, by index. */
  readonly connections: number[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(
  backendPorts: readonly number[],
): Promise<RoundRobinProxy> {
  const connections = backendPorts.map(() => 0);
  const open = new Set<Socket>();
  let next = 0;
  // noDelay on both sides, as kube-proxy's in-kernel forwarding adds no
  // buffering: with Nagle on, a request or response split into two TLS records
  // waits for the peer's delayed ACK (40 ms on Linux) between them.
  const server: Server = createServer({ noDelay: true }, (client) => {
    const index = next++ % backendPorts.length;
    connections[index] = (connections[index] ?? 0) + 1;
    const upstream = createConnection({
      host: "127.0.0.1",
      port: backendPorts[index] ?? 0,
      noDelay: true,
    });
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    // The API server keeps connections alive; close() would wait for them forever.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of open) socket.destroy();
      }),
  };
}
