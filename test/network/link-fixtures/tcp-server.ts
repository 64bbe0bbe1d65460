// Runs in a host namespace: a TCP listener made by tcpListen with MD5 keys
// for the given peers; echoes "pong:<data>" to every connection. On stdin,
// "key PEER KEY" sets a peer's key on the listener ("key PEER -" removes it).
// usage: node tcp-server.ts ADDRESS PORT [PEER=KEY…]
import { setTcpMd5, tcpListen } from "../../../speaker/link/index.ts";
import { emit } from "./stdin-close.ts";

const [address = "::", port = "1790", ...peers] = process.argv.slice(2);
const md5Peers = peers.map((p) => {
  const [peer = "", key = ""] = p.split("=");
  return { address: peer, key };
});

const { server, fd } = await tcpListen({ address, port: Number(port), md5Peers }, (socket) => {
  emit("accepted", { remote: socket.remoteAddress });
  socket.on("data", (d: Buffer) => socket.write(`pong:${d.toString()}`));
  socket.on("error", () => socket.destroy());
});
emit("listening", { fd, address: server.address() });

process.stdin.setEncoding("utf8");
process.stdin.on("data", (d: string) => {
  for (const line of d.split("\n")) {
    const [command, peer = "", key = ""] = line.trim().split(" ");
    if (command === "key") {
      setTcpMd5(fd, peer, key === "-" ? "" : key);
      emit("keyed", { peer, removed: key === "-" });
    } else if (command === "close") {
      server.close();
      emit("closed");
    }
  }
});
process.stdin.on("end", () => server.close());
