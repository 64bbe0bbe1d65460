// When FRR saw a BGP session come up, from bgpd's own log: with
// `bgp log-neighbor-changes` (on under `frr defaults datacenter`) it logs
// "%ADJCHANGE: neighbor A(...) in vrf default Up" as the session reaches
// Established (RFC 4271 §8.2.2), and with `log timestamp precision 3` each
// line starts with local time to the millisecond.

/** The config line that gives bgpd's log timestamps milliseconds. */
export const LOG_MS_TIMESTAMPS = "log timestamp precision 3";

const LINE =
  /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? .*%ADJCHANGE: neighbor ([^\s(]+)\S* in vrf \S+ Up\b/;

/** Epoch ms of the last "Up" of `neighbor` in bgpd log text (local time, as bgpd writes it). Pure. */
export function lastAdjacencyUp(text: string, neighbor: string): number | undefined {
  let at: number | undefined;
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (m?.[8] !== neighbor) continue;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
    at = new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, s, ms).getTime();
  }
  return at;
}
