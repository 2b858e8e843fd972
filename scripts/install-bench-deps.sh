#!/usr/bin/env bash
# What `make bench` needs beyond scripts/install-deps.sh: the peers it measures Keel against
# (a private dockerd from docker.io) and the tools its pull benchmark uses. Idempotent.
set -euo pipefail
"$(dirname "$0")/install-deps.sh"
packages=(docker.io curl python3)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "install-bench-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package's service is not started here (no init system in the build environment); the
# benchmark starts its own dockerd with private roots and socket.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
