// The link addon's TCP sockets for BGP between two namespaces: MD5 (RFC
// 2385) keys set before the SYN on both ends, TTL on the SYN itself, a
// source address bind, and Node's net.Socket / net.Server on the fds.
// Needs root. Own namespaces, removed in afterAll.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fixture, lanDown, lanUp, waitUntil } from "./link-fixtures/lan.ts";

const PREFIX = `lkt${process.pid}`;
const CLIENT = `${PREFIX}-client`;
const N1 = `${PREFIX}-n1`;
const PORT = 1790;

async function connect(options: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const client = new Fixture(CLIENT, "tcp-client.ts", [
    JSON.stringify({ port: PORT, timeoutMs: 1500, ...options }),
  ]);
  await new Promise((resolve) => client.child.once("exit", resolve));
  return client.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("tcpConnect / tcpListen with MD5 and TTL", () => {
  let server: Fixture | undefined;

  beforeAll(async () => {
    lanUp(PREFIX, { client: 10, n1: 11 });
    // Dual-stack listener: the IPv4 peer's key goes on as its v4-mapped address.
    server = new Fixture(N1, "tcp-server.ts", [
      "::",
      String(PORT),
      "192.0.2.10=s3cret",
      "2001:db8:1::10=s3cret6",
    ]);
    await server.waitFor('"event":"listening"');
  });

  afterAll(async () => {
    await server?.stop();
    lanDown(PREFIX);
  });

  it("connects over IPv4 with the right key, from the bound source, and bytes flow", async () => {
    const events = await connect({ remote: "192.0.2.11", local: "192.0.2.10", md5Key: "s3cret" });
    expect(events).toContainEqual({ event: "connected", ttl: 64 });
    expect(events).toContainEqual({
      event: "reply",
      data: "pong:ping",
      local: "192.0.2.10",
      remote: "192.0.2.11",
    });
  });

  it("connects over IPv6 with the IPv6 peer's key", async () => {
    const events = await connect({ remote: "2001:db8:1::11", md5Key: "s3cret6" });
    expect(events).toContainEqual(expect.objectContaining({ event: "reply", data: "pong:ping" }));
  });

  it("does not connect with a wrong key or without one: the SYN is dropped, the connect times out", async () => {
    for (const md5Key of ["wrong", undefined]) {
      const events = await connect({
        remote: "192.0.2.11",
        ...(md5Key === undefined ? {} : { md5Key }),
      });
      expect(events).toEqual([
        expect.objectContaining({ event: "failed", code: "LINK_CONNECT_ABORTED" }),
      ]);
    }
  });

  it("removing the listener's key with setTcpMd5(fd, peer, '') lets an unsigned connect in", async () => {
    server?.child.stdin?.write("key 192.0.2.10 -\n");
    await server?.waitFor('"removed":true');
    const events = await connect({ remote: "192.0.2.11" });
    expect(events).toContainEqual(expect.objectContaining({ event: "reply", data: "pong:ping" }));
    server?.child.stdin?.write("key 192.0.2.10 s3cret\n");
    await server?.waitFor('"removed":false');
  });

  it("puts the TTL on the SYN (seen on the wire) and getsockopt reports it", async () => {
    const capture = spawn("ip", [
      "netns",
      "exec",
      N1,
      "tcpdump",
      "-i",
      "eth0",
      "-n",
      "-v",
      "-l",
      "-c",
      "1",
      `tcp dst port ${PORT} and tcp[tcpflags] & tcp-syn != 0`,
    ]);
    let captured = "";
    capture.stdout.on("data", (d: Buffer) => (captured += d.toString()));
    capture.stderr.on("data", (d: Buffer) => (captured += d.toString()));
    try {
      await waitUntil(
        () => captured.includes("listening on"),
        5000,
        () => captured,
      );
      const events = await connect({ remote: "192.0.2.11", md5Key: "s3cret", ttl: 7 });
      expect(events).toContainEqual({ event: "connected", ttl: 7 });
      await waitUntil(
        () => captured.includes("Flags [S]"),
        5000,
        () => captured,
      );
      expect(captured).toContain("ttl 7");
      expect(captured).toMatch(/md5/i);
    } finally {
      if (capture.exitCode === null) capture.kill();
    }
  });
});
