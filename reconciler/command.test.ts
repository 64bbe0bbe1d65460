import { describe, expect, it } from "vitest";
import { reconcilerCommand } from "./command.ts";
import { poolStatusPatch } from "./pool-status.ts";

describe("reconciler flags", () => {
  it("documents every flag the issue names", () => {
    const help = reconcilerCommand().helpInformation();
    for (const flag of [
      "--namespace",
      "--kubeconfig",
      "--lb-class",
      "--service-ip-families",
      "--orphan-grace",
      "--metrics-port",
      "--no-leader-elect",
      "--lease-name",
      "--log-level",
    ]) {
      expect(help).toContain(flag);
    }
  });
});

describe("pool status", () => {
  const usage = { assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 6, availableIPv6: 0 };

  it("writes when the status differs or is missing", () => {
    expect(poolStatusPatch(undefined, usage)).toEqual({ status: usage });
    expect(poolStatusPatch({ ...usage, assignedIPv4: 1 }, usage)).toEqual({ status: usage });
  });

  it("writes nothing when the status already says it", () => {
    expect(poolStatusPatch({ ...usage }, usage)).toBeUndefined();
  });
});
