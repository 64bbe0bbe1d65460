import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_HEARTBEAT_LENGTH,
  MIN_HEARTBEAT_LENGTH,
  STAGES,
  decodeHeartbeat,
  deriveHeartbeatKey,
  encodeHeartbeat,
  type Heartbeat,
} from "./heartbeat-codec.ts";

const KEY = deriveHeartbeatKey(Buffer.from("c2VjcmV0LXNlY3JldC1zZWNyZXQ", "utf8"));
const OTHER_KEY = deriveHeartbeatKey(Buffer.from("another secret", "utf8"));

const SAMPLE: Heartbeat = {
  node: "worker-1.example",
  incarnation: 1_763_700_000_000,
  sequence: 42,
  intervalMs: 100,
  stage: "ready",
  leaving: false,
};

const nodeName = fc
  .array(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("."))
  .filter((name) => name.length <= 253);

const heartbeat: fc.Arbitrary<Heartbeat> = fc.record({
  node: nodeName,
  incarnation: fc.maxSafeNat(),
  sequence: fc.maxSafeNat(),
  intervalMs: fc.integer({ min: 1, max: 0xffff }),
  stage: fc.constantFrom(...STAGES),
  leaving: fc.boolean(),
});

describe("heartbeat codec", () => {
  it("layout: magic, version, flags, interval, incarnation, sequence, name, 32-byte MAC", () => {
    const bytes = encodeHeartbeat({ ...SAMPLE, stage: "starting", leaving: true }, KEY);
    const hex = Buffer.from(bytes).toString("hex");
    expect(hex.slice(0, 50)).toBe(
      "4d4c4248" + "01" + "05" + "0064" + "0000019aa4b64500" + "000000000000002a" + "10",
    );
    expect(Buffer.from(bytes.subarray(25, 41)).toString()).toBe("worker-1.example");
    expect(bytes.length).toBe(25 + 16 + 32);
  });

  it("round-trips every valid heartbeat, with a key list containing the key", () => {
    fc.assert(
      fc.property(heartbeat, (hb) => {
        const bytes = encodeHeartbeat(hb, KEY);
        expect(bytes.length).toBeGreaterThanOrEqual(MIN_HEARTBEAT_LENGTH);
        expect(bytes.length).toBeLessThanOrEqual(MAX_HEARTBEAT_LENGTH);
        expect(decodeHeartbeat(bytes, [OTHER_KEY, KEY])).toEqual({ ok: true, heartbeat: hb });
      }),
    );
  });

  it("another key: bad-mac", () => {
    expect(decodeHeartbeat(encodeHeartbeat(SAMPLE, OTHER_KEY), [KEY])).toEqual({
      ok: false,
      reason: "bad-mac",
    });
  });

  it("any single flipped bit is dropped with a reason", () => {
    const bytes = encodeHeartbeat(SAMPLE, KEY);
    fc.assert(
      fc.property(fc.nat(bytes.length * 8 - 1), (bit) => {
        const copy = Uint8Array.from(bytes);
        copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const result = decodeHeartbeat(copy, [KEY]);
        expect(result.ok).toBe(false);
      }),
    );
  });

  it("truncations and trailing bytes", () => {
    const bytes = encodeHeartbeat(SAMPLE, KEY);
    for (let n = 0; n < bytes.length; n++) {
      const result = decodeHeartbeat(bytes.subarray(0, n), [KEY]);
      expect(result.ok).toBe(false);
      if (!result.ok && n >= 5) expect(result.reason).toBe("truncated");
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(decodeHeartbeat(longer, [KEY])).toEqual({ ok: false, reason: "trailing-bytes" });
  });

  it("framing reasons: bad magic, unsupported version", () => {
    const bytes = encodeHeartbeat(SAMPLE, KEY);
    const magic = Uint8Array.from(bytes);
    magic[0] = 0;
    expect(decodeHeartbeat(magic, [KEY])).toEqual({ ok: false, reason: "bad-magic" });
    const version = Uint8Array.from(bytes);
    version[4] = 2;
    expect(decodeHeartbeat(version, [KEY])).toEqual({ ok: false, reason: "unsupported-version" });
  });

  it("authenticated but malformed fields are still dropped (a peer with a bug, or a newer version)", () => {
    // Re-signed after the edit, as a peer holding the key would send it.
    const forge = (edit: (b: Uint8Array) => void): Uint8Array => {
      const body = encodeHeartbeat(SAMPLE, KEY).slice(0, -32);
      edit(body);
      return Buffer.concat([body, createHmac("sha256", KEY).update(body).digest()]);
    };
    expect(
      decodeHeartbeat(
        forge((b) => (b[5] = 0x80)),
        [KEY],
      ).ok,
    ).toBe(false);
    expect(
      decodeHeartbeat(
        forge((b) => (b[5] = 0x06)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: "bad-field" });
    expect(
      decodeHeartbeat(
        forge((b) => ((b[6] = 0), (b[7] = 0))),
        [KEY],
      ),
    ).toEqual({
      ok: false,
      reason: "bad-field",
    });
    expect(
      decodeHeartbeat(
        forge((b) => (b[8] = 0xff)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: "bad-field" });
    expect(
      decodeHeartbeat(
        forge((b) => (b[16] = 0x01)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: "bad-field" });
    expect(
      decodeHeartbeat(
        forge((b) => (b[25] = 0x41)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: "bad-name" });
    expect(
      decodeHeartbeat(
        forge((b) => (b[25] = 0xe9)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: "bad-name" });
  });

  it("fuzz: any bytes decode or drop with a reason, never throw", () => {
    const valid = encodeHeartbeat(SAMPLE, KEY);
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
      .map((edits) => {
        const copy = Uint8Array.from(valid);
        for (const [at, value] of edits) copy[at] = value;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutated), (bytes) => {
        const result = decodeHeartbeat(bytes, [KEY]);
        if (!result.ok) expect(typeof result.reason).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });

  it("encode refuses what it could not express", () => {
    expect(() => encodeHeartbeat({ ...SAMPLE, node: "Not_A_Node" }, KEY)).toThrow(RangeError);
    expect(() => encodeHeartbeat({ ...SAMPLE, node: "" }, KEY)).toThrow(RangeError);
    expect(() => encodeHeartbeat({ ...SAMPLE, intervalMs: 0 }, KEY)).toThrow(RangeError);
    expect(() => encodeHeartbeat({ ...SAMPLE, sequence: 2 ** 53 }, KEY)).toThrow(RangeError);
    expect(() => encodeHeartbeat({ ...SAMPLE, incarnation: -1 }, KEY)).toThrow(RangeError);
  });

  it("the key derivation is pinned (peers of one version must agree)", () => {
    expect(deriveHeartbeatKey(Buffer.from("secret")).toString("hex")).toBe(PINNED_KEY);
  });
});

const PINNED_KEY = "08ce89085c2cf07b45c30312d12617c0c4aaeef3264b0c4153d4302e59590dcb";
