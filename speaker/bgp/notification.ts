// RFC 4271 §4.5 NOTIFICATION, with the RFC 9003 shutdown communication helper.

import { ByteWriter } from "./bytes.ts";
import { CeaseSubcode, ErrorCode, MessageType } from "./constants.ts";
import { frameMessage } from "./header.ts";
import type { NotificationValue } from "./notification-error.ts";

export interface NotificationMessage extends NotificationValue {
  readonly type: "notification";
}

export function encodeNotification(n: NotificationValue): Uint8Array {
  const body = new ByteWriter()
    .u8(n.code, "error code")
    .u8(n.subcode, "error subcode")
    .bytes(n.data)
    .finish();
  return frameMessage(MessageType.notification, body);
}

export function decodeNotificationBody(body: Uint8Array): NotificationMessage {
  return { type: "notification", code: body[0] ?? 0, subcode: body[1] ?? 0, data: body.slice(2) };
}

/**
 * Cease 6/2 (administrative shutdown) or 6/4 (administrative reset) with an
 * RFC 9003 shutdown communication: 1 length octet + UTF-8, at most 255 octets.
 */
export function shutdownNotification(
  subcode: typeof CeaseSubcode.administrativeShutdown | typeof CeaseSubcode.administrativeReset,
  message = "",
): NotificationValue {
  const text = new TextEncoder().encode(message);
  if (text.length > 255)
    throw new RangeError(`shutdown communication of ${text.length} octets (max 255)`);
  const data = new Uint8Array(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return { code: ErrorCode.cease, subcode, data: message === "" ? new Uint8Array(0) : data };
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: "Message Header Error",
  2: "OPEN Message Error",
  3: "UPDATE Message Error",
  4: "Hold Timer Expired",
  5: "Finite State Machine Error",
  6: "Cease",
  7: "ROUTE-REFRESH Message Error",
};

/** "Cease (6/2)"-style text for logs. */
export function describeNotification(n: NotificationValue): string {
  return `${CODE_NAMES[n.code] ?? "Unknown"} (${n.code}/${n.subcode})`;
}
