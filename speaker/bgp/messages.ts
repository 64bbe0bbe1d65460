// KEEPALIVE (§4.4), ROUTE-REFRESH (RFC 2918) and the one entry point that
// decodes any whole frame into a message or the NOTIFICATION to answer with.

import { ByteWriter } from "./bytes.ts";
import type { AttributeOptions } from "./attributes.ts";
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderError,
  MessageType,
  RouteRefreshError,
} from "./constants.ts";
import { checkFrame, frameMessage } from "./header.ts";
import { asDecoded, fail, u16Bytes, type Decoded } from "./notification-error.ts";
import { decodeNotificationBody, type NotificationMessage } from "./notification.ts";
import { decodeOpenBody, type OpenMessage } from "./open.ts";
import { decodeUpdateBody, type UpdateMessage } from "./update.ts";

export interface KeepaliveMessage {
  readonly type: "keepalive";
}

export interface RouteRefreshMessage {
  readonly type: "routeRefresh";
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype (0 = plain route refresh); the reserved octet in RFC 2918. */
  readonly subtype: number;
}

export type BgpMessage =
  OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

export function encodeKeepalive(): Uint8Array {
  return frameMessage(MessageType.keepalive, new Uint8Array(0));
}

export function encodeRouteRefresh(m: Omit<RouteRefreshMessage, "type">): Uint8Array {
  const body = new ByteWriter()
    .u16(m.afi, "AFI")
    .u8(m.subtype, "subtype")
    .u8(m.safi, "SAFI")
    .finish();
  return frameMessage(MessageType.routeRefresh, body);
}

function decodeKeepalive(frame: Uint8Array): KeepaliveMessage {
  if (frame.length !== HEADER_LENGTH) {
    fail(ErrorCode.messageHeader, HeaderError.badMessageLength, u16Bytes(frame.length));
  }
  return { type: "keepalive" };
}

function decodeRouteRefresh(frame: Uint8Array): RouteRefreshMessage {
  const body = frame.subarray(HEADER_LENGTH);
  // RFC 7313 §5: a ROUTE-REFRESH of the wrong length gets 7/1 carrying the whole message.
  if (body.length !== 4) {
    fail(ErrorCode.routeRefreshMessage, RouteRefreshError.invalidMessageLength, frame.slice());
  }
  const afi = ((body[0] ?? 0) << 8) | (body[1] ?? 0);
  return { type: "routeRefresh", afi, subtype: body[2] ?? 0, safi: body[3] ?? 0 };
}

function decodeBody(frame: Uint8Array, opts: AttributeOptions): BgpMessage {
  const type = checkFrame(frame);
  const body = frame.subarray(HEADER_LENGTH);
  switch (type) {
    case MessageType.open:
      return decodeOpenBody(body);
    case MessageType.update:
      return decodeUpdateBody(body, opts);
    case MessageType.notification:
      return decodeNotificationBody(body);
    case MessageType.keepalive:
      return decodeKeepalive(frame);
    case MessageType.routeRefresh:
      return decodeRouteRefresh(frame);
  }
}

/**
 * Decodes one whole frame (as yielded by MessageSplitter). Never throws on
 * bad input: `{ ok: false, notification }` is what RFC 4271 §6 says to send.
 * `fourOctetAs` selects the AS_PATH width negotiated for the session.
 */
export function decodeMessage(frame: Uint8Array, opts: AttributeOptions): Decoded<BgpMessage> {
  return asDecoded(() => decodeBody(frame, opts));
}
