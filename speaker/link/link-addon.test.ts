// The wrapper over the built addon, on loopback only (no namespace, no
// CAP_NET_RAW needed except where noted): argument checks, errno mapping,
// idempotent close, TCP with MD5 and TTL between two loopback sockets.
import { describe, expect, it } from "vitest";
import { MetallbError } from "../../core/errors.ts";
import {
  errnoCode,
  getSocketTtl,
  interfaceInfo,
  openIcmp6Socket,
  openPacketSocket,
  tcpConnect,
  tcpListen,
} from "./index.ts";
import { linkAddon } from "./link-addon.ts";

const ignore = (): void => undefined;
const isRoot = process.getuid?.() === 0;

describe("link addon wrapper", () => {
  it("loads a Node-API 8 addon", () => {
    expect(linkAddon().napiVersion).toBe(8);
  });

  it("reads loopback's facts", () => {
    expect(interfaceInfo("lo")).toMatchObject({
      ifname: "lo",
      ifindex: 1,
      loopback: true,
      up: true,
    });
  });

  it("turns errno into a MetallbError naming the interface, the call and the errno", () => {
    const e = (() => {
      try {
        interfaceInfo("nosuch0");
      } catch (error: unknown) {
        return error;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(MetallbError);
    expect(e).toMatchObject({ code: "LINK_INTERFACE_FAILED" });
    expect((e as Error).message).toBe(
      "cannot read interface nosuch0: ioctl(SIOCGIFINDEX) nosuch0: No such device (ENODEV)",
    );
    expect(errnoCode((e as Error).cause)).toBe("ENODEV");
    expect(() => openPacketSocket("nosuch0", ignore, ignore)).toThrow(
      /^cannot open an ARP socket on nosuch0: .*\(ENODEV\)$/,
    );
  });

  it("passes argument errors through as TypeError / RangeError", () => {
    expect(() => interfaceInfo("x".repeat(16))).toThrow(TypeError);
    expect(() => interfaceInfo(7 as unknown as string)).toThrow("ifname must be a string");
    expect(() => openIcmp6Socket("lo", [300], ignore, ignore)).toThrow(
      "types[i] must be an integer in [0, 255]",
    );
    expect(() => {
      linkAddon().setTcpMd5(0, "not-an-ip", "k");
    }).toThrow('not an IP address: "not-an-ip"');
    expect(() =>
      linkAddon().tcpListen({
        address: "127.0.0.1",
        port: 0,
        md5Peers: [{ address: "127.0.0.1", key: "k".repeat(81) }],
      }),
    ).toThrow("MD5 key must have at most 80 bytes, got 81");
  });

  it.runIf(isRoot)("closes idempotently; a closed socket refuses to send with LINK_CLOSED", () => {
    const packet = openPacketSocket("lo", ignore, ignore);
    const icmp = openIcmp6Socket("lo", [135], ignore, ignore);
    expect(packet.isOpen).toBe(true);
    expect(() => {
      packet.send(new Uint8Array(10));
    }).toThrow(RangeError);
    packet.close();
    packet.close();
    icmp.close();
    icmp.close();
    expect(packet.isOpen).toBe(false);
    expect(() => {
      packet.send(new Uint8Array(60));
    }).toThrow(expect.objectContaining({ code: "LINK_CLOSED" }));
    expect(() => {
      icmp.send("::1", new Uint8Array(24));
    }).toThrow(expect.objectContaining({ code: "LINK_CLOSED" }));
    expect(() => {
      icmp.joinGroup("ff02::1:ff00:1");
    }).toThrow(expect.objectContaining({ code: "LINK_CLOSED" }));
  });

  it("connects with MD5 and TTL over loopback; a wrong key times out as LINK_CONNECT_ABORTED", async () => {
    const { server } = await tcpListen(
      { address: "127.0.0.1", port: 0, md5Peers: [{ address: "127.0.0.1", key: "k1" }] },
      (socket) => {
        socket.on("data", (d: Buffer) => socket.end(`pong:${d.toString()}`));
      },
    );
    try {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no port");
      const socket = await tcpConnect({
        remote: "127.0.0.1",
        port: address.port,
        md5Key: "k1",
        ttl: 9,
      });
      const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
      expect(getSocketTtl(fd)).toBe(9);
      const reply = await new Promise<string>((resolve) => {
        socket.once("data", (d: Buffer) => {
          resolve(d.toString());
        });
        socket.write("ping");
      });
      expect(reply).toBe("pong:ping");
      socket.destroy();
      await expect(
        tcpConnect({
          remote: "127.0.0.1",
          port: address.port,
          md5Key: "k2",
          signal: AbortSignal.timeout(500),
        }),
      ).rejects.toMatchObject({ code: "LINK_CONNECT_ABORTED" });
    } finally {
      server.close();
    }
  });

  it("reports a refused connect as LINK_CONNECT_FAILED with ECONNREFUSED", async () => {
    const { server } = await tcpListen({ address: "127.0.0.1", port: 0 }, ignore);
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (address === null || typeof address === "string") throw new Error("no port");
    const error: unknown = await tcpConnect({ remote: "127.0.0.1", port: address.port }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "LINK_CONNECT_FAILED" });
    expect(errnoCode((error as Error).cause)).toBe("ECONNREFUSED");
  });
});
