// RFC 4271 §4.1 message header: 16-octet all-ones marker, 2-octet length, 1-octet type.

import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderError,
  MARKER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MIN_LENGTH,
  type MessageTypeCode,
} from "./constants.ts";
import { fail, u16Bytes } from "./notification-error.ts";

/** Frames `body` as a whole message; throws RangeError over 4096 octets. */
export function frameMessage(type: MessageTypeCode, body: Uint8Array): Uint8Array {
  const length = HEADER_LENGTH + body.length;
  if (length > MAX_MESSAGE_LENGTH) {
    throw new RangeError(`BGP message of ${length} octets exceeds ${MAX_MESSAGE_LENGTH}`);
  }
  const out = new Uint8Array(length);
  out.fill(0xff, 0, MARKER_LENGTH);
  out[16] = length >> 8;
  out[17] = length & 0xff;
  out[18] = type;
  out.set(body, HEADER_LENGTH);
  return out;
}

/** Marker check (1/1) and length range check (1/2, data = the length). Needs ≥ 19 octets. */
export function checkHeader(header: Uint8Array): number {
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (header[i] !== 0xff) fail(ErrorCode.messageHeader, HeaderError.connectionNotSynchronized);
  }
  const length = ((header[16] ?? 0) << 8) | (header[17] ?? 0);
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
    fail(ErrorCode.messageHeader, HeaderError.badMessageLength, u16Bytes(length));
  }
  return length;
}

function isKnownType(type: number): type is MessageTypeCode {
  return type >= 1 && type <= 5;
}

/**
 * Full header check of one whole frame: marker, length equals the frame size,
 * known type (1/3, data = the type octet) and the per-type minimum length.
 */
export function checkFrame(frame: Uint8Array): MessageTypeCode {
  if (frame.length < HEADER_LENGTH) {
    fail(ErrorCode.messageHeader, HeaderError.badMessageLength, u16Bytes(frame.length));
  }
  const length = checkHeader(frame);
  if (length !== frame.length) {
    fail(ErrorCode.messageHeader, HeaderError.badMessageLength, u16Bytes(length));
  }
  const type = frame[18] ?? 0;
  if (!isKnownType(type))
    fail(ErrorCode.messageHeader, HeaderError.badMessageType, Uint8Array.of(type));
  if (length < MIN_LENGTH[type]) {
    fail(ErrorCode.messageHeader, HeaderError.badMessageLength, u16Bytes(length));
  }
  return type;
}
