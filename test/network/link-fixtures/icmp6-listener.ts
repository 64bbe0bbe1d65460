// Runs in a host namespace: reads ICMPv6 messages of TYPES on IFNAME and
// answers Neighbor Solicitations for OWNED with a Neighbor Advertisement.
// Joins OWNED's solicited-node group when JOIN is "join". SOURCE "owned"
// sends the NA from OWNED; "kernel" (default) lets the kernel pick.
// usage: node icmp6-listener.ts IFNAME TYPES(comma-separated) OWNED join|nojoin [owned|kernel]
import {
  answerNeighborSolicitation,
  decodeNeighborSolicitation,
  solicitedNodeMulticast,
} from "../../../speaker/layer2/ndp-codec.ts";
import { interfaceInfo, openIcmp6Socket } from "../../../speaker/link/index.ts";
import { emit, onClose } from "./stdin-close.ts";

const [
  ifname = "eth0",
  typeList = "135",
  owned = "2001:db8:1::100",
  join = "join",
  naSource = "kernel",
] = process.argv.slice(2);
const types = typeList.split(",").map(Number);
const { mac } = interfaceInfo(ifname);

const socket = openIcmp6Socket(
  ifname,
  types,
  (body, { hopLimit, source, destination }) => {
    emit("message", { type: body[0], hopLimit, source, destination });
    if (body[0] !== 135) return;
    const ns = decodeNeighborSolicitation(body, hopLimit, source);
    if (!ns.ok) {
      emit("drop", { reason: ns.reason });
      return;
    }
    emit("solicitation", { target: ns.message.target });
    if (ns.message.target !== owned) return;
    const reply = answerNeighborSolicitation(source, owned, mac);
    socket.send(reply.destination, reply.body, naSource === "owned" ? owned : undefined);
    emit("advertised", { to: reply.destination, from: naSource });
  },
  (error) => {
    emit("error", { code: error.code, message: error.message });
  },
);
const group = solicitedNodeMulticast(owned);
if (join === "join") socket.joinGroup(group);
emit("open", {
  ifname: socket.ifname,
  ifindex: socket.ifindex,
  mac,
  group,
  joined: join === "join",
});
onClose(() => {
  if (join === "join") socket.leaveGroup(group);
  socket.close();
  socket.close();
  emit("closed", { isOpen: socket.isOpen });
});
