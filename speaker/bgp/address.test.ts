import { describe, expect, it } from "vitest";
import { formatPrefix, parseIPv4, parseIPv6, parsePrefix } from "./address.ts";

describe("address text", () => {
  it("rejects malformed addresses and prefixes with RangeError", () => {
    for (const bad of ["1.2.3", "1.2.3.4.5", "01.2.3.4", "256.0.0.0", "a.b.c.d", ""]) {
      expect(() => parseIPv4(bad), bad).toThrow(RangeError);
    }
    for (const bad of [
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "::1:2:3:4:5:6:7:8",
      "g::",
    ]) {
      expect(() => parseIPv6(bad), bad).toThrow(RangeError);
    }
    for (const bad of [
      "10.0.0.0",
      "10.0.0.0/33",
      "10.0.0.1/24",
      "2001:db8::1/64",
      "::/129",
      "10.0.0.0/-1",
    ]) {
      expect(() => parsePrefix(bad), bad).toThrow(RangeError);
    }
  });

  it("accepts the edge cases", () => {
    expect(formatPrefix(parsePrefix("0.0.0.0/0"))).toBe("0.0.0.0/0");
    expect(formatPrefix(parsePrefix("::/0"))).toBe("::/0");
    expect(formatPrefix(parsePrefix("2001:DB8:0:0:1:0:0:0/128"))).toBe("2001:db8:0:0:1::/128");
    expect(formatPrefix(parsePrefix("1:0:0:2:0:0:0:3/128"))).toBe("1:0:0:2::3/128");
    expect(formatPrefix(parsePrefix("1:2:3:4:5:6:7::/128"))).toBe("1:2:3:4:5:6:7:0/128");
  });
});
