// A plain byte relay that lets processes in the lab's node namespaces reach
// the test kube-apiserver, which listens on 127.0.0.1:PORT of the machine's
// own namespace, without anything listening on the machine's real interfaces.
// A filesystem Unix socket is visible from every network namespace, so:
//
//   node ns: 127.0.0.1:PORT --(relay "ns")--> unix socket --(relay "host")--> 127.0.0.1:PORT (apiserver)
//
// The same port inside the namespace keeps the kubeconfig and the serving
// certificate's 127.0.0.1 SAN valid. TLS passes through untouched.
//
// usage: node api-relay.ts host SOCKET_PATH TARGET_PORT   (machine's namespace)
//        node api-relay.ts ns   SOCKET_PATH LISTEN_PORT   (inside a node namespace)
// Prints "READY" once listening.
import { rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";

function splice(a: Socket, b: Socket): void {
  // Either side failing or closing tears down both: a half-dead relay
  // connection would look like a hung apiserver to the client.
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on("error", close).on("close", close);
  b.on("error", close).on("close", close);
  a.pipe(b);
  b.pipe(a);
}

function usage(): never {
  process.stderr.write("usage: api-relay.ts host|ns SOCKET_PATH PORT\n");
  process.exit(2);
}

const [mode, socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if ((mode !== "host" && mode !== "ns") || socketPath === undefined || !Number.isInteger(port))
  usage();

const server =
  mode === "host"
    ? createServer((c) => {
        splice(c, connect({ host: "127.0.0.1", port }));
      })
    : createServer((c) => {
        splice(c, connect({ path: socketPath }));
      });
server.on("error", (e) => {
  process.stderr.write(`api-relay ${mode}: ${e.message}\n`);
  process.exit(1);
});

const ready = (): void => {
  process.stdout.write(`READY ${mode} ${socketPath} ${port}\n`);
};
if (mode === "host") {
  rmSync(socketPath, { force: true });
  server.listen({ path: socketPath }, ready);
} else {
  server.listen({ host: "127.0.0.1", port }, ready);
}
const stop = (): void => {
  server.close();
  if (mode === "host") rmSync(socketPath, { force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
