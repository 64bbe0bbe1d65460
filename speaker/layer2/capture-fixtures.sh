#!/bin/bash
# Re-captures the ARP/NDP fixtures in arp-codec.test.ts and ndp-codec.test.ts.
# Needs root, iproute2, iputils-arping, ndisc6, tcpdump, python3. Two network
# namespaces joined by one veth pair; traffic stays between them (192.0.2.0/24,
# 2001:db8:1::/64) and both are deleted on exit. Prints one hex frame a line.
# usage: speaker/layer2/capture-fixtures.sh [scratch dir]
set -euo pipefail
T=${1:-$(mktemp -d)}; A=l2cap-a; B=l2cap-b; TP=
mkdir -p "$T"
cleanup() {
  [ -n "$TP" ] && kill "$TP" 2>/dev/null || true
  ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip -n $A link set lo up; ip -n $B link set lo up
ip link add eth0 netns $A type veth peer name eth0 netns $B
for n in $A $B; do
  ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0
done
ip -n $A link set eth0 address 02:00:00:00:00:0a; ip -n $B link set eth0 address 02:00:00:00:00:0b
ip -n $A addr add 192.0.2.10/24 dev eth0; ip -n $A addr add 2001:db8:1::10/64 dev eth0 nodad
ip -n $B addr add 192.0.2.11/24 dev eth0; ip -n $B addr add 2001:db8:1::11/64 dev eth0 nodad
ip -n $A link set eth0 up; ip -n $B link set eth0 up
sleep 2
ip netns exec $A tcpdump -U -n -i eth0 -w "$T/a.pcap" 'arp or icmp6' 2>"$T/tcpdump.err" & TP=$!
sleep 1.5
ip netns exec $A arping -c 1 -w 2 -I eth0 192.0.2.11 >/dev/null || true          # request + kernel reply
ip netns exec $A ndisc6 -1 -r 1 -w 500 2001:db8:1::11 eth0 >/dev/null || true    # NS + kernel NA
ip netns exec $B arping -U -c 1 -w 1 -I eth0 -s 192.0.2.11 192.0.2.11 >/dev/null || true
ip netns exec $B arping -A -c 1 -w 1 -I eth0 -s 192.0.2.11 192.0.2.11 >/dev/null || true
ip netns exec $B sysctl -qw net.ipv6.conf.eth0.ndisc_notify=1 net.ipv6.conf.eth0.accept_dad=1
ip -n $B addr add 2001:db8:1::200/64 dev eth0                                    # DAD NS, then unsolicited NA
sleep 3
kill "$TP"; wait "$TP" || true; TP=
tcpdump -n -e -vv -r "$T/a.pcap" >&2
python3 - "$T/a.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(); off = 24
while off < len(d):
    _, _, cl, _ = struct.unpack('<IIII', d[off:off + 16]); off += 16
    print(d[off:off + cl].hex()); off += cl
PY
