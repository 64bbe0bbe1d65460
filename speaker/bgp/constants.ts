// Wire constants for the BGP-4 codec (RFC 4271 and the RFCs named per block).

export const MARKER_LENGTH = 16;
export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1; larger only with RFC 8654 extended messages, which we never negotiate. */
export const MAX_MESSAGE_LENGTH = 4096;
export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet stand-in for an ASN above 65535. */
export const AS_TRANS = 23456;
export const MAX_ASN = 0xffff_ffff;

export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** Smallest legal total length per message type (RFC 4271 §4, §6.1; RFC 2918). */
export const MIN_LENGTH: Readonly<Record<MessageTypeCode, number>> = {
  [MessageType.open]: 29,
  [MessageType.update]: 23,
  [MessageType.notification]: 21,
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 for 7). */
export const ErrorCode = {
  messageHeader: 1,
  openMessage: 2,
  updateMessage: 3,
  holdTimerExpired: 4,
  fsm: 5,
  cease: 6,
  routeRefreshMessage: 7,
} as const;

export const HeaderError = {
  connectionNotSynchronized: 1,
  badMessageLength: 2,
  badMessageType: 3,
} as const;

export const OpenError = {
  unspecific: 0,
  unsupportedVersionNumber: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7,
} as const;

export const UpdateError = {
  malformedAttributeList: 1,
  unrecognizedWellKnownAttribute: 2,
  missingWellKnownAttribute: 3,
  attributeFlagsError: 4,
  attributeLengthError: 5,
  invalidOriginAttribute: 6,
  invalidNextHopAttribute: 8,
  optionalAttributeError: 9,
  invalidNetworkField: 10,
  malformedAsPath: 11,
} as const;

/** RFC 6608 FSM error subcodes. */
export const FsmError = {
  unspecified: 0,
  unexpectedMessageInOpenSent: 1,
  unexpectedMessageInOpenConfirm: 2,
  unexpectedMessageInEstablished: 3,
} as const;

/** RFC 4486 Cease subcodes. */
export const CeaseSubcode = {
  maximumPrefixesReached: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
} as const;

/** RFC 7313 §5. */
export const RouteRefreshError = {
  invalidMessageLength: 1,
} as const;

export const AttrType = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  multiExitDisc: 4,
  localPref: 5,
  communities: 8,
  mpReachNlri: 14,
  mpUnreachNlri: 15,
  largeCommunities: 32,
} as const;

export const AttrFlag = {
  optional: 0x80,
  transitive: 0x40,
  partial: 0x20,
  extendedLength: 0x10,
} as const;

export const Origin = { igp: 0, egp: 1, incomplete: 2 } as const;
export type OriginCode = (typeof Origin)[keyof typeof Origin];

export const AsPathSegmentType = { set: 1, sequence: 2 } as const;
export type AsPathSegmentTypeCode = (typeof AsPathSegmentType)[keyof typeof AsPathSegmentType];

export const Afi = { ipv4: 1, ipv6: 2 } as const;
export type AfiCode = (typeof Afi)[keyof typeof Afi];
export const Safi = { unicast: 1 } as const;

export const CapabilityCode = {
  multiprotocol: 1,
  routeRefresh: 2,
  gracefulRestart: 64,
  fourOctetAs: 65,
} as const;

/** RFC 5492 §4: the only optional parameter type in use. */
export const OPT_PARAM_CAPABILITIES = 2;

/** RFC 1997 well-known communities. */
export const WellKnownCommunity = {
  noExport: 0xffff_ff01,
  noAdvertise: 0xffff_ff02,
  noExportSubconfed: 0xffff_ff03,
} as const;
