// Parsing of flag values shared by the subcommands; a bad value is an
// INVALID_FLAG error that names the flag and the value.
import { MetallbError } from "../core/errors.ts";
import { parseGoDuration } from "../core/validation/go-duration.ts";

/** A Go duration ("60s", "500ms", "2m") in milliseconds, as the flags take it. */
export function parseDuration(text: string): number {
  const ms = parseGoDuration(text.trim());
  if (ms === undefined || ms < 0) {
    throw new MetallbError("INVALID_FLAG", `invalid duration "${text}" (use e.g. 60s, 500ms, 2m)`);
  }
  return ms;
}

/** A TCP/UDP port number; 0 where the flag allows "none" or "any". */
export function parsePort(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new MetallbError("INVALID_FLAG", `${flag}: "${text}" is not a port (0–65535)`);
  }
  return value;
}
