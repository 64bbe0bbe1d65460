// RFC 5492 capabilities inside OPEN optional parameter type 2:
// multiprotocol (RFC 4760), route refresh (RFC 2918), graceful restart
// (RFC 4724) and 4-octet AS (RFC 6793). Unknown ones are kept raw (RFC 5492 §3: ignore).

import { ByteReader, ByteWriter } from "./bytes.ts";
import { CapabilityCode, ErrorCode, MAX_ASN, OpenError } from "./constants.ts";
import { fail } from "./notification-error.ts";

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export interface GracefulRestartFamily extends AfiSafi {
  /** F bit: forwarding state was preserved for this family. */
  readonly forwardingState: boolean;
}

export type Capability =
  | ({ readonly kind: "multiprotocol" } & AfiSafi)
  | { readonly kind: "routeRefresh" }
  | {
      readonly kind: "gracefulRestart";
      /** The 4 restart-flag bits (0x8 = R restarting, 0x4 = N per RFC 8538). */
      readonly flags: number;
      /** Restart time in seconds, 12 bits (0..4095). */
      readonly restartTime: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: "fourOctetAs"; readonly asn: number }
  | { readonly kind: "unknown"; readonly code: number; readonly value: Uint8Array };

export const GracefulRestartFlag = { restarting: 0x8, notification: 0x4 } as const;

function capabilityValue(cap: Capability): [number, Uint8Array] {
  const w = new ByteWriter();
  switch (cap.kind) {
    case "multiprotocol":
      w.u16(cap.afi, "AFI").u8(0).u8(cap.safi, "SAFI");
      return [CapabilityCode.multiprotocol, w.finish()];
    case "routeRefresh":
      return [CapabilityCode.routeRefresh, w.finish()];
    case "gracefulRestart":
      return [CapabilityCode.gracefulRestart, gracefulRestartValue(cap, w)];
    case "fourOctetAs":
      if (cap.asn > MAX_ASN) throw new RangeError(`ASN ${cap.asn} exceeds ${MAX_ASN}`);
      w.u32(cap.asn, "ASN");
      return [CapabilityCode.fourOctetAs, w.finish()];
    case "unknown":
      return [cap.code, cap.value];
  }
}

function gracefulRestartValue(
  cap: Extract<Capability, { kind: "gracefulRestart" }>,
  w: ByteWriter,
): Uint8Array {
  if (!Number.isInteger(cap.flags) || cap.flags < 0 || cap.flags > 0xf) {
    throw new RangeError(`graceful restart flags ${cap.flags} do not fit in 4 bits`);
  }
  if (!Number.isInteger(cap.restartTime) || cap.restartTime < 0 || cap.restartTime > 0xfff) {
    throw new RangeError(`restart time ${cap.restartTime} does not fit in 12 bits`);
  }
  w.u16((cap.flags << 12) | cap.restartTime);
  for (const f of cap.families) {
    w.u16(f.afi, "AFI")
      .u8(f.safi, "SAFI")
      .u8(f.forwardingState ? 0x80 : 0);
  }
  return w.finish();
}

export function encodeCapability(cap: Capability): Uint8Array {
  const [code, value] = capabilityValue(cap);
  return new ByteWriter()
    .u8(code, "capability code")
    .u8(value.length, "capability length")
    .bytes(value)
    .finish();
}

function malformed(): never {
  return fail(ErrorCode.openMessage, OpenError.unspecific);
}

function decodeValue(code: number, value: Uint8Array): Capability {
  const r = new ByteReader(value);
  switch (code) {
    case CapabilityCode.multiprotocol: {
      if (value.length !== 4) malformed();
      const afi = r.u16();
      r.u8();
      return { kind: "multiprotocol", afi, safi: r.u8() };
    }
    case CapabilityCode.routeRefresh:
      if (value.length !== 0) malformed();
      return { kind: "routeRefresh" };
    case CapabilityCode.gracefulRestart:
      return decodeGracefulRestart(r, value.length);
    case CapabilityCode.fourOctetAs:
      if (value.length !== 4) malformed();
      return { kind: "fourOctetAs", asn: r.u32() };
    default:
      return { kind: "unknown", code, value: value.slice() };
  }
}

function decodeGracefulRestart(r: ByteReader, length: number): Capability {
  if (length < 2 || (length - 2) % 4 !== 0) malformed();
  const head = r.u16();
  const families: GracefulRestartFamily[] = [];
  while (r.remaining >= 4) {
    const afi = r.u16();
    const safi = r.u8();
    families.push({ afi, safi, forwardingState: (r.u8() & 0x80) !== 0 });
  }
  return { kind: "gracefulRestart", flags: head >> 12, restartTime: head & 0xfff, families };
}

/** Decodes the capabilities packed in one optional parameter's value. */
export function decodeCapabilities(data: Uint8Array): Capability[] {
  const r = new ByteReader(data);
  const out: Capability[] = [];
  while (r.remaining > 0) {
    if (!r.has(2)) malformed();
    const code = r.u8();
    const length = r.u8();
    if (!r.has(length)) malformed();
    out.push(decodeValue(code, r.take(length)));
  }
  return out;
}
