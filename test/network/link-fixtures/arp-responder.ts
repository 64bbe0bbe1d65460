// Runs in a host namespace: answers ARP requests for OWNED_IP on IFNAME
// through a PacketSocket, and reports every frame it reads.
// usage: node arp-responder.ts IFNAME OWNED_IP
import { decodeArpFrame, encodeArpReply } from "../../../speaker/layer2/arp-codec.ts";
import { interfaceInfo, openPacketSocket } from "../../../speaker/link/index.ts";
import { emit, onClose } from "./stdin-close.ts";

const [ifname = "eth0", owned = "192.0.2.100"] = process.argv.slice(2);

const socket = openPacketSocket(
  ifname,
  (frames) => {
    emit("batch", { size: frames.length });
    for (const { frame, vlanTci } of frames) {
      const decoded = decodeArpFrame(frame, vlanTci === undefined ? {} : { vlanTci });
      if (!decoded.ok) {
        emit("drop", { reason: decoded.reason });
        continue;
      }
      const f = decoded.frame;
      emit("frame", {
        op: f.op,
        sourceMac: f.sourceMac,
        senderIp: f.senderIp,
        targetIp: f.targetIp,
      });
      if (f.op === "request" && f.targetIp === owned) {
        socket.send(encodeArpReply({ interfaceMac: socket.mac, ownedIp: owned, request: f }));
        emit("replied", { to: f.senderIp });
      }
    }
  },
  (error) => {
    emit("error", { code: error.code, message: error.message });
  },
);
emit("open", {
  ifname: socket.ifname,
  ifindex: socket.ifindex,
  mac: socket.mac,
  info: interfaceInfo(ifname),
});
onClose(() => {
  socket.close();
  socket.close(); // idempotent
  emit("closed", { isOpen: socket.isOpen });
});
