// RFC 4271 §4.2 OPEN, with capabilities in optional parameter type 2 (RFC 5492).

import { ByteReader, ByteWriter, concatBytes } from "./bytes.ts";
import { decodeCapabilities, encodeCapability, type Capability } from "./capabilities.ts";
import {
  AS_TRANS,
  BGP_VERSION,
  ErrorCode,
  MAX_ASN,
  MessageType,
  OPT_PARAM_CAPABILITIES,
  OpenError,
} from "./constants.ts";
import { formatIPv4, parseIPv4 } from "./address.ts";
import { frameMessage } from "./header.ts";
import { fail, u16Bytes } from "./notification-error.ts";

export interface OpenMessage {
  readonly type: "open";
  /**
   * The speaker's ASN: the 4-octet AS capability's value when present,
   * otherwise the 2-octet My AS field (RFC 6793 §4.1).
   */
  readonly asn: number;
  /** Seconds; 0 or ≥ 3. */
  readonly holdTime: number;
  /** Dotted-quad BGP Identifier. */
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
}

export function isValidHoldTime(seconds: number): boolean {
  return seconds === 0 || seconds >= 3;
}

function checkOpenFields(open: OpenMessage): void {
  if (!Number.isInteger(open.asn) || open.asn < 0 || open.asn > MAX_ASN) {
    throw new RangeError(`ASN ${open.asn} does not fit in 32 bits`);
  }
  const four = open.capabilities.find((c) => c.kind === "fourOctetAs");
  if (four !== undefined && four.asn !== open.asn) {
    throw new RangeError(`4-octet AS capability ${four.asn} differs from ASN ${open.asn}`);
  }
  if (open.asn > 0xffff && four === undefined) {
    throw new RangeError(`ASN ${open.asn} needs the 4-octet AS capability`);
  }
  if (!isValidHoldTime(open.holdTime)) {
    throw new RangeError(`hold time ${open.holdTime} must be 0 or ≥ 3`);
  }
}

/** Packs capabilities into as few type-2 optional parameters (≤ 255 octets each) as needed. */
function optionalParameters(capabilities: readonly Capability[]): Uint8Array {
  const params: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    params.push(Uint8Array.of(OPT_PARAM_CAPABILITIES, size), ...current);
    current = [];
    size = 0;
  };
  for (const cap of capabilities) {
    const encoded = encodeCapability(cap);
    if (size + encoded.length > 255) flush();
    current.push(encoded);
    size += encoded.length;
  }
  flush();
  return concatBytes(params);
}

export function encodeOpen(open: OpenMessage): Uint8Array {
  checkOpenFields(open);
  const params = optionalParameters(open.capabilities);
  const w = new ByteWriter()
    .u8(BGP_VERSION)
    .u16(open.asn > 0xffff ? AS_TRANS : open.asn, "My AS")
    .u16(open.holdTime, "hold time")
    .bytes(parseIPv4(open.bgpId))
    .u8(params.length, "optional parameters length")
    .bytes(params);
  return frameMessage(MessageType.open, w.finish());
}

function decodeOptionalParameters(r: ByteReader): Capability[] {
  const caps: Capability[] = [];
  while (r.remaining > 0) {
    if (!r.has(2)) fail(ErrorCode.openMessage, OpenError.unspecific);
    const type = r.u8();
    const length = r.u8();
    if (!r.has(length)) fail(ErrorCode.openMessage, OpenError.unspecific);
    const value = r.take(length);
    if (type !== OPT_PARAM_CAPABILITIES)
      fail(ErrorCode.openMessage, OpenError.unsupportedOptionalParameter);
    caps.push(...decodeCapabilities(value));
  }
  return caps;
}

/**
 * Decodes an OPEN body (after the header). Peer-AS and collision checks need
 * configuration and belong to the session; this checks what §6.2 can check
 * from the message alone: version (2/1, data = 2-octet version 4), hold time
 * (2/6), BGP Identifier non-zero (2/3, RFC 6286), optional parameter type (2/4).
 */
export function decodeOpenBody(body: Uint8Array): OpenMessage {
  const r = new ByteReader(body);
  const version = r.u8();
  if (version !== BGP_VERSION)
    fail(ErrorCode.openMessage, OpenError.unsupportedVersionNumber, u16Bytes(BGP_VERSION));
  const myAs = r.u16();
  const holdTime = r.u16();
  const id = r.take(4);
  const paramsLength = r.u8();
  if (paramsLength !== r.remaining) fail(ErrorCode.openMessage, OpenError.unspecific);
  const capabilities = decodeOptionalParameters(new ByteReader(r.take(paramsLength)));
  if (!isValidHoldTime(holdTime)) fail(ErrorCode.openMessage, OpenError.unacceptableHoldTime);
  if (id.every((b) => b === 0)) fail(ErrorCode.openMessage, OpenError.badBgpIdentifier);
  const four = capabilities.find((c) => c.kind === "fourOctetAs");
  return { type: "open", asn: four?.asn ?? myAs, holdTime, bgpId: formatIPv4(id), capabilities };
}
