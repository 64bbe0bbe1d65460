import { describe, expect, it } from "vitest";
import { bulkIp } from "./services.ts";

describe("bulkIp", () => {
  it("counts through 100.64.64.0/18 from its first address", () => {
    expect(bulkIp(0)).toBe("100.64.64.0");
    expect(bulkIp(255)).toBe("100.64.64.255");
    expect(bulkIp(256)).toBe("100.64.65.0");
    expect(bulkIp(9_999)).toBe("100.64.103.15");
  });
});
