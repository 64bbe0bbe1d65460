// Runs in the client namespace (`ip netns exec … node arp-probe.ts IFNAME
// CLIENT_IP VIP`): broadcasts a who-has for the VIP every 10 ms from one
// AF_PACKET socket (the speaker's own addon, as arp-flood.ts) and prints one
// JSON line per reply (arp-answer.ts), timestamped on receipt. iputils arping
// cannot do this: its -i takes whole seconds ("arping: invalid argument:
// '0.01'"), and a run that waits for a reply blocks for up to -w seconds.
// Stops when stdin closes.
import { openPacketSocket } from "../../speaker/link/index.ts";
import { answerLine, arpAnswerMac, whoHas } from "./arp-answer.ts";

const PERIOD_MS = 10;

const [ifname, proberIp, vip] = process.argv.slice(2);
if (ifname === undefined || proberIp === undefined || vip === undefined) {
  console.error("usage: arp-probe.ts IFNAME CLIENT_IP VIP");
  process.exit(2);
}

const socket = openPacketSocket(
  ifname,
  (frames) => {
    const at = Date.now();
    for (const { frame } of frames) {
      const mac = arpAnswerMac(frame, vip, proberIp);
      if (mac !== undefined) process.stdout.write(answerLine(at, mac));
    }
  },
  (error) => {
    process.stderr.write(`arp-probe: ${error.message}\n`);
  },
);
const request = whoHas(socket.mac, proberIp, vip);
const timer = setInterval(() => {
  socket.send(request);
}, PERIOD_MS);

process.stdin.resume();
process.stdin.on("end", () => {
  clearInterval(timer);
  socket.close();
  process.exit(0);
});
