#!/usr/bin/env bash
# The CNI plugins' shared iptables chains (firewall: CNI-FORWARD, CNI-ADMIN; portmap:
# CNI-HOSTPORT-*) outlive the last container by design: other CNI users share them. Tests and the
# demo create them on a host that had none, and must leave that host as they found it.
#   cni-chains.sh record FILE        notes in FILE whether the shared chains exist now
#   cni-chains.sh remove-idle FILE   removes them when FILE says they did not and nothing
#                                    (no container's rule or chain) uses them any more
set -euo pipefail
ipt() { iptables -w "$@"; }

case ${1:-} in
  record)
    if ipt -t filter -S CNI-FORWARD >/dev/null 2>&1 || ipt -t nat -S CNI-HOSTPORT-DNAT >/dev/null 2>&1
    then echo present >"$2"; else echo absent >"$2"; fi
    ;;
  remove-idle)
    [[ $(cat "$2" 2>/dev/null) == absent ]] || exit 0
    # A container's own chains (CNI-<hash>, CNI-DN-<hash>, ...) or rules in the shared ones mean
    # something still runs on a CNI network: leave everything.
    shared='^-N CNI-(FORWARD|ADMIN|HOSTPORT-DNAT|HOSTPORT-MASQ|HOSTPORT-SETMARK)$'
    if iptables-save | grep -E '^-N CNI-' | grep -vqE "$shared"; then exit 0; fi
    if ipt -t nat -S CNI-HOSTPORT-DNAT 2>/dev/null | grep -q '^-A'; then exit 0; fi
    if ipt -t filter -S CNI-FORWARD 2>/dev/null | grep '^-A' | grep -vq 'j CNI-ADMIN'; then exit 0; fi
    if ipt -t filter -S CNI-ADMIN 2>/dev/null | grep -q '^-A'; then exit 0; fi
    ipt -t filter -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD \
      2>/dev/null || true
    for chain in CNI-FORWARD CNI-ADMIN; do
      ipt -t filter -F "$chain" 2>/dev/null || true
      ipt -t filter -X "$chain" 2>/dev/null || true
    done
    ipt -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null || true
    ipt -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null || true
    ipt -t nat -D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" \
      -j CNI-HOSTPORT-MASQ 2>/dev/null || true
    for chain in CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do
      ipt -t nat -F "$chain" 2>/dev/null || true
      ipt -t nat -X "$chain" 2>/dev/null || true
    done
    ;;
  *)
    echo "usage: cni-chains.sh record|remove-idle FILE" >&2
    exit 2
    ;;
esac
