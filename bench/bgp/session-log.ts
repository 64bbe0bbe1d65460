// When a speaker's BGP session came up, from its own JSON log: both
// systems log "BGP session established" when they consider the session
// Established (metallb-ts through pino, time in `time`; MetalLB's native
// speaker through go-kit, RFC 3339 with nanoseconds in `ts`).

const ESTABLISHED = '"BGP session established"';

/** Epoch ms of an RFC 3339 timestamp, any number of fractional digits (Date.parse wants at most 3). Pure. */
export function parseLogTime(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const m = /^(.+T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1] ?? ""}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}${m[3] ?? ""}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Epoch ms of the first "BGP session established" line in a speaker's log text. Pure. */
export function sessionEstablishedAt(text: string): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.includes(ESTABLISHED)) continue;
    try {
      const entry = JSON.parse(line) as { time?: unknown; ts?: unknown };
      const at = parseLogTime(entry.time ?? entry.ts);
      if (at !== undefined) return at;
    } catch {
      // A line cut short (the log is read while written): the next read has it whole.
    }
  }
  return undefined;
}
