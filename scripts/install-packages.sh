#!/usr/bin/env bash
# The Debian packages the tests and the lab use, installed if missing (root).
# Shared by .ci/run and the README's commands, so both install the same set.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# openssl: the test control plane's PKI. The rest: network namespaces
# (iproute2), the kernel-side clients that observe ARP/NDP (iputils-arping,
# ndisc6, tcpdump, iputils-ping, curl, jq) and real BGP routers (frr, bird2,
# gobgpd). python3, make and g++ build the speaker's addon during npm ci; the
# machine kind ships them.
packages=(openssl ca-certificates iproute2 iputils-arping iputils-ping ndisc6 tcpdump curl jq
  gobgpd frr bird2)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v go >/dev/null || { echo "Go is required to build the test control plane" >&2; exit 1; }
