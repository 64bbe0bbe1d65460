// Go's time.ParseDuration, which MetalLB (and the API server's CEL duration())
// use for BGPPeer timers: "90s", "1m30s", "1.5h", "300ms". Returns
// milliseconds, or undefined when the text is not a Go duration.
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

export function parseGoDuration(text: string): number | undefined {
  const sign = text.startsWith("-") ? -1 : 1;
  const rest = text.startsWith("-") || text.startsWith("+") ? text.slice(1) : text;
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  const total = sumOfParts(rest);
  return total !== undefined && Number.isFinite(total) ? sign * total : undefined;
}

/** "1h30m" → the sum of its parts in ms; undefined when anything else is in the text. */
function sumOfParts(text: string): number | undefined {
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null) return undefined;
    const [, amount, unit] = m;
    if (amount === undefined || unit === undefined) return undefined;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return total;
}
