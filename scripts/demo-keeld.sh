#!/usr/bin/env bash
# The keeld half of `make demo`: a private keeld in the background, a busybox image built from
# Debian's busybox-static, and docker's everyday verbs through keelctl. Everything lives in a
# temp dir that is removed at the end, with keeld stopped and no container left.
set -euo pipefail
bin=$(realpath "${1:-build/bin}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/keeld-demo.XXXXXX)
keelctl="$bin/keelctl"
export KEEL_ADDRESS="$work/keeld.sock"
# The default network on a bridge of the demo's own (not keeld's keel0), removed at the end.
bridge=keeldemo$$
bridge=${bridge:0:15}

stop_keeld() {
  if [[ -n "${keeld_pid:-}" ]] && kill -0 "$keeld_pid" 2>/dev/null; then
    "$keelctl" rm -f $("$keelctl" ps -aq) >/dev/null 2>&1 || true
    kill -TERM "$keeld_pid"
    wait "$keeld_pid" || true
  fi
  # keeld keeps its default network's bridge and rules for the next start; the demo's own go
  # with it (its rules carry the comment keel-net:<bridge>).
  ip link delete "$bridge" 2>/dev/null || true
  for table in filter nat; do
    iptables-save -t "$table" | grep -F -- "--comment \"keel-net:$bridge\"" | tr -d '"' |
      sed 's/^-A /-D /' | while read -r rule; do
        # shellcheck disable=SC2086 # the rule's words, as iptables-save wrote them
        iptables -w -t "$table" $rule || true
      done
  done
  "$here/cni-chains.sh" remove-idle "$work/cni-chains.state" || true
  rm -rf "$work"
}
trap stop_keeld EXIT

step() { printf '\n+ %s\n' "$*"; }

"$here/cni-chains.sh" record "$work/cni-chains.state"
"$bin/keeld" --root "$work/root" --state "$work/state" --address "$KEEL_ADDRESS" \
  --bridge "$bridge" --bridge-subnet 10.203.$(($$ % 250)).0/24 --log-level warn &
keeld_pid=$!
for _ in $(seq 100); do [[ -S "$KEEL_ADDRESS" ]] && break; sleep 0.05; done
step "keeld started (pid $keeld_pid, socket $KEEL_ADDRESS)"

"$here/make-busybox-rootfs.sh" "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
step "keelctl import -c 'CMD [\"sh\"]' busybox.tar busybox:latest"
"$keelctl" import -c 'CMD ["sh"]' -m "busybox-static from Debian" "$work/busybox.tar" busybox:latest
step "keelctl images"
"$keelctl" images

step "keelctl run --rm busybox echo hello"
"$keelctl" run --rm busybox echo hello

step "keelctl run -d --name ticker busybox sh -c 'while true; do date; sleep 1; done'"
"$keelctl" run -d --name ticker busybox sh -c 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done'
sleep 2
step "keelctl ps"
"$keelctl" ps
step "keelctl logs ticker"
"$keelctl" logs ticker
step "keelctl exec ticker ps"
"$keelctl" exec ticker ps
step "keelctl stop -t 2 ticker"
"$keelctl" stop -t 2 ticker
step "keelctl ps -a"
"$keelctl" ps -a
step "keelctl rm ticker"
"$keelctl" rm ticker
step "keelctl ps -a (empty)"
"$keelctl" ps -a
