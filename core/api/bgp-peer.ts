// BGPPeer (metallb.io v1beta2 storage, v1beta1 served and deprecated): one BGP
// session per selected node (metallb-reference.md §1.4).
import { Type, type Static } from "typebox";
import { parseGoDuration } from "../validation/go-duration.ts";
import type { CelRule } from "./cel-rule.ts";
import {
  Duration,
  Int64,
  LabelSelectors,
  StringEnum,
  withCel,
  type LabelSelector,
} from "./schema-building-blocks.ts";

const Asn = (description: string, minimum = 0) =>
  Int64({ minimum, maximum: 4294967295, description });

const PeerPort = (options: Record<string, unknown>) =>
  Type.Integer({
    minimum: 0,
    maximum: 16384,
    description: "TCP port of the peer (179).",
    ...options,
  });

const sharedFields = {
  myASN: Asn("AS number of this speaker (4-octet allowed, RFC 6793)."),
  peerASN: Type.Optional(Asn("AS number of the peer.")),
  peerAddress: Type.Optional(Type.String({ description: "IPv4 or IPv6 address of the peer." })),
  sourceAddress: Type.Optional(
    Type.String({ description: "Local address the session is opened from." }),
  ),
  holdTime: Type.Optional(Duration("Proposed hold time (RFC 4271 §4.2): 0 or at least 3s.")),
  keepaliveTime: Type.Optional(Duration("Keepalive interval; at most the hold time.")),
  routerID: Type.Optional(Type.String({ description: "BGP identifier sent in OPEN (IPv4)." })),
  password: Type.Optional(Type.String({ description: "TCP MD5 key (RFC 2385)." })),
  bfdProfile: Type.Optional(Type.String({ description: "Name of a BFDProfile for this session." })),
  ebgpMultiHop: Type.Optional(
    Type.Boolean({ description: "The eBGP peer is more than one hop away (TTL 255)." }),
  ),
};

// Duration checks mirror MetalLB's parseTimers (internal/config/config.go): hold time
// truncated to seconds must be 0 or >= 3 s (RFC 4271 §4.2), keepalive <= hold.
function holdSeconds(s: { holdTime?: string | undefined }): number | undefined {
  const d = s.holdTime === undefined ? undefined : parseGoDuration(s.holdTime);
  return d === undefined ? undefined : Math.trunc(d / 1000);
}

/** Fields both versions have, which the shared rules read. */
interface SessionBasics {
  myASN: number;
  peerASN?: number | undefined;
  ebgpMultiHop?: boolean | undefined;
  holdTime?: string | undefined;
  keepaliveTime?: string | undefined;
}

// Rules both versions carry: a v1beta1 object is checked against the v1beta1
// schema only (CEL runs per served version), so without them there it would
// pass what v1beta2 refuses, as it would not in MetalLB (its webhook checks both).
const LocalAsnMissing: CelRule<SessionBasics> = {
  code: "BGPPEER_LOCAL_ASN_MISSING",
  rule: "self.myASN != 0",
  message: "missing local ASN: myASN must be set and non-zero",
  fieldPath: ".myASN",
  holds: (s) => s.myASN !== 0,
};

const IbgpMultihop: CelRule<SessionBasics> = {
  code: "BGPPEER_IBGP_MULTIHOP",
  rule: "!(has(self.ebgpMultiHop) && self.ebgpMultiHop && has(self.peerASN) && self.peerASN == self.myASN)",
  message: "invalid ebgp-multihop parameter set for an ibgp peer",
  fieldPath: ".ebgpMultiHop",
  holds: (s) => !(s.ebgpMultiHop === true && s.peerASN === s.myASN),
};

const HoldTime: CelRule<SessionBasics> = {
  code: "BGPPEER_HOLD_TIME",
  rule: "!has(self.holdTime) || duration(self.holdTime).getSeconds() == 0 || duration(self.holdTime).getSeconds() >= 3",
  message: "invalid hold time: must be 0 or >=3s",
  fieldPath: ".holdTime",
  holds: (s) => {
    const h = holdSeconds(s);
    return h === undefined || h === 0 || h >= 3;
  },
};

const KeepaliveAboveHold: CelRule<SessionBasics> = {
  code: "BGPPEER_KEEPALIVE_ABOVE_HOLD",
  rule: "!has(self.holdTime) || !has(self.keepaliveTime) || duration(self.keepaliveTime) <= duration(self.holdTime)",
  message: "invalid keepaliveTime: must be lower than holdTime",
  fieldPath: ".keepaliveTime",
  holds: (s) => {
    if (s.holdTime === undefined || s.keepaliveTime === undefined) return true;
    const h = parseGoDuration(s.holdTime);
    const k = parseGoDuration(s.keepaliveTime);
    return h === undefined || k === undefined || k <= h;
  },
};

export const BGPPeerSpecV1beta2 = withCel(
  Type.Object({
    ...sharedFields,
    peerPort: Type.Optional(PeerPort({ minimum: 1, default: 179 })),
    dynamicASN: Type.Optional(
      StringEnum(["internal", "external"], {
        description: "Accept the peer's AS as iBGP (internal) or any eBGP AS (external).",
      }),
    ),
    localASN: Type.Optional(Asn("AS number presented to this peer instead of myASN.", 1)),
    interface: Type.Optional(
      Type.String({ description: "Interface for BGP unnumbered (instead of peerAddress)." }),
    ),
    connectTime: Type.Optional(Duration("Time between connection attempts (1s to 65535s).")),
    nodeSelectors: LabelSelectors("Nodes that open this session; empty means every node."),
    passwordSecret: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String()),
          namespace: Type.Optional(Type.String()),
        },
        {
          description:
            "Secret of type kubernetes.io/basic-auth holding the MD5 key under 'password', in the MetalLB namespace.",
          "x-kubernetes-map-type": "atomic",
        },
      ),
    ),
    enableGracefulRestart: Type.Optional(
      Type.Boolean({ description: "Graceful restart (RFC 4724); immutable." }),
    ),
    vrf: Type.Optional(Type.String({ description: "VRF the session is opened from." })),
    disableMP: Type.Optional(
      Type.Boolean({ default: false, description: "Deprecated; has no effect." }),
    ),
    dualStackAddressFamily: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Carry IPv4 and IPv6 unicast on this one session (RFC 4760).",
      }),
    ),
  }),
  [
    LocalAsnMissing,
    {
      code: "BGPPEER_PEER_ASN_MISSING",
      rule: "(has(self.peerASN) && self.peerASN != 0) || has(self.dynamicASN)",
      message: "missing peer ASN and dynamicASN: set exactly one of peerASN or dynamicASN",
      fieldPath: ".peerASN",
      holds: (s) => (s.peerASN ?? 0) !== 0 || s.dynamicASN !== undefined,
    },
    {
      code: "BGPPEER_PEER_ASN_AND_DYNAMIC",
      rule: "!(has(self.peerASN) && self.peerASN != 0 && has(self.dynamicASN))",
      message: "both peer ASN and dynamicASN specified: set exactly one of them",
      fieldPath: ".dynamicASN",
      holds: (s) => !((s.peerASN ?? 0) !== 0 && s.dynamicASN !== undefined),
    },
    {
      code: "BGPPEER_ADDRESS_MISSING",
      rule: "has(self.peerAddress) || has(self.interface)",
      message: "peer has no Address or Interface specified: set peerAddress or interface",
      fieldPath: ".peerAddress",
      holds: (s) => s.peerAddress !== undefined || s.interface !== undefined,
    },
    {
      code: "BGPPEER_ADDRESS_AND_INTERFACE",
      rule: "!(has(self.peerAddress) && has(self.interface))",
      message: "peer has both Address and Interface specified: set only one",
      fieldPath: ".interface",
      holds: (s) => !(s.peerAddress !== undefined && s.interface !== undefined),
    },
    {
      code: "BGPPEER_PASSWORD_AND_SECRET",
      rule: "!(has(self.password) && self.password != '' && has(self.passwordSecret))",
      message: "can not have both password and passwordSecret set",
      fieldPath: ".passwordSecret",
      holds: (s) => !((s.password ?? "") !== "" && s.passwordSecret !== undefined),
    },
    IbgpMultihop,
    {
      code: "BGPPEER_CONNECT_TIME_RANGE",
      rule: "!has(self.connectTime) || (duration(self.connectTime) >= duration('1s') && duration(self.connectTime) <= duration('65535s'))",
      message: "connect time should be between 1 seconds to 65535",
      fieldPath: ".connectTime",
      holds: (s) => {
        if (s.connectTime === undefined) return true;
        const ms = parseGoDuration(s.connectTime);
        return ms !== undefined && ms >= 1000 && ms <= 65535_000;
      },
    },
    {
      code: "BGPPEER_CONNECT_TIME_WHOLE",
      rule: "!has(self.connectTime) || duration(self.connectTime).getMilliseconds() % 1000 == 0",
      message: "connect time should contain a whole number of seconds",
      fieldPath: ".connectTime",
      holds: (s) => {
        const ms = s.connectTime === undefined ? 0 : parseGoDuration(s.connectTime);
        return ms === undefined || ms % 1000 === 0;
      },
    },
    HoldTime,
    KeepaliveAboveHold,
    {
      code: "BGPPEER_GRACEFUL_RESTART_IMMUTABLE",
      rule: "!has(oldSelf.enableGracefulRestart) || (has(self.enableGracefulRestart) && self.enableGracefulRestart == oldSelf.enableGracefulRestart)",
      message: "EnableGracefulRestart cannot be changed after creation",
      fieldPath: ".enableGracefulRestart",
      transition: true,
    },
  ],
);
export type BGPPeerSpecV1beta2 = Static<typeof BGPPeerSpecV1beta2>;

/** v1beta1's own node selector type: like LabelSelector, but every field of an expression is required. */
const LegacyNodeSelector = Type.Object({
  matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
  matchExpressions: Type.Optional(
    Type.Array(
      Type.Object({
        key: Type.String(),
        operator: Type.String(),
        values: Type.Array(Type.String(), { minItems: 1 }),
      }),
    ),
  ),
});

export const BGPPeerSpecV1beta1 = withCel(
  Type.Object({
    ...sharedFields,
    peerASN: Asn("AS number of the peer."),
    peerAddress: Type.String({ description: "IPv4 or IPv6 address of the peer." }),
    peerPort: Type.Optional(PeerPort({})),
    nodeSelectors: Type.Optional(
      Type.Array(LegacyNodeSelector, {
        description: "Nodes that open this session; empty means every node.",
      }),
    ),
  }),
  [
    LocalAsnMissing,
    {
      code: "BGPPEER_PEER_ASN_MISSING",
      rule: "self.peerASN != 0",
      message: "missing peer ASN: peerASN must be non-zero",
      fieldPath: ".peerASN",
      holds: (s) => s.peerASN !== 0,
    },
    IbgpMultihop,
    HoldTime,
    KeepaliveAboveHold,
  ],
);
export type BGPPeerSpecV1beta1 = Static<typeof BGPPeerSpecV1beta1>;

/** The legacy selector is a LabelSelector in JSON; the types differ only in optionality. */
export type LegacyNodeSelectorType = Static<typeof LegacyNodeSelector>;
export type { LabelSelector };
