import { describe, expect, it } from "vitest";
import { memoryFromStatus } from "./process-memory.ts";

const SPEAKER_STATUS =
  "Name:\tspeaker\nVmPeak:\t 1300000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   40960 kB\n";

describe("memoryFromStatus (/proc/PID/status)", () => {
  it("reads VmRSS and VmHWM in MB", () => {
    expect(memoryFromStatus(SPEAKER_STATUS)).toEqual({ rssMb: 40, hwmMb: 80 });
  });

  it("is NaN for a process that has exited (no such lines)", () => {
    const m = memoryFromStatus("Name:\tzombie\nState:\tZ (zombie)\n");
    expect(m.rssMb).toBeNaN();
    expect(m.hwmMb).toBeNaN();
  });
});
