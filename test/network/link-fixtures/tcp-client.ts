// Runs in a host namespace: one tcpConnectFd with the given options, then a
// ping/pong over net.Socket({ fd }). Reports the socket's TTL as getsockopt
// sees it.
// usage: node tcp-client.ts '{"remote":…,"port":…,"local"?,"md5Key"?,"ttl"?,"timeoutMs":…}'
import net from "node:net";
import { errnoCode, getSocketTtl, tcpConnectFd } from "../../../speaker/link/index.ts";
import { MetallbError } from "../../../core/errors.ts";
import { emit } from "./stdin-close.ts";

const { timeoutMs, ...options } = JSON.parse(process.argv[2] ?? "{}") as {
  remote: string;
  port: number;
  local?: string;
  md5Key?: string;
  ttl?: number;
  timeoutMs: number;
};

try {
  const fd = await tcpConnectFd({ ...options, signal: AbortSignal.timeout(timeoutMs) });
  emit("connected", { ttl: getSocketTtl(fd) });
  const socket = new net.Socket({ fd, readable: true, writable: true });
  socket.once("data", (d: Buffer) => {
    emit("reply", { data: d.toString(), local: socket.localAddress, remote: socket.remoteAddress });
    socket.destroy();
  });
  socket.write("ping");
} catch (e: unknown) {
  const code = e instanceof MetallbError ? e.code : "unknown";
  emit("failed", {
    code,
    errno: errnoCode(e instanceof Error ? e.cause : undefined) ?? null,
    message: String(e),
  });
}
