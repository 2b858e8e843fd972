#!/usr/bin/env bash
# The manager path, keeld beside its peers in one run: `run --rm busybox true` through keelctl, a
# private dockerd (docker.io), podman and a private containerd (ctr run --rm), interleaved round
# by round, without a network (--network none), then on each one's default bridge (keel's, a
# bridge of dockerd's own, podman's CNI network "podman"; ctr has none); the cost of keelctl
# calls that do little; then N detached containers through keeld, started one after another and
# from 8 clients at once, with keeld's threads and RSS, and their removal; then M detached
# containers on one bridge, back to back, through keeld and dockerd.
# Every bridge sits on a private /24 (10.231.250-252.0/24, refused when the host routes one of
# them); the bridges, the iptables rules that name them, their subnets or docker's chains, and
# podman's CNI cache are removed at the end.
# keeld runs with --log-level debug: its per-step timings of each create, start, exit and rm
# (manager/containers/phase_timer.h) during the run --rm rounds give the split of that path.
# Writes bench/RESULTS-manager.md.
# Usage: bench/manager.sh BIN_DIR   (as root; BIN_DIR holds keel, keel-shim, keeld, keelctl)
# Env: BENCH_MANAGER_ROUNDS=30 BENCH_MANAGER_DENSITY=1000 BENCH_MANAGER_CLIENTS=8
#      BENCH_MANAGER_BRIDGE_DENSITY=200
#      BENCH_MANAGER_PEERS="keel docker podman ctr" BENCH_MANAGER_OUT=bench/RESULTS-manager.md
#      BENCH_KEEP=0
set -euo pipefail

bin=$(realpath "${1:?usage: bench/manager.sh BIN_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_MANAGER_ROUNDS:-30}
density=${BENCH_MANAGER_DENSITY:-1000}
clients=${BENCH_MANAGER_CLIENTS:-8}
bridge_density=${BENCH_MANAGER_BRIDGE_DENSITY:-200}
peers=${BENCH_MANAGER_PEERS:-keel docker podman ctr}
out=${BENCH_MANAGER_OUT:-$here/RESULTS-manager.md}

die() {
  echo "bench manager: $*" >&2
  exit 1
}
[[ $(id -u) -eq 0 ]] || die "run as root"
for b in keel keel-shim keeld keelctl; do [[ -x $bin/$b ]] || die "$bin lacks $b"; done

# shellcheck source=bench/lib.sh
source "$here/lib.sh"

# One bridge and /24 per daemon, so none meets the host's or another's.
declare -A bridge_of=([keel]=kmb-keel0 [docker]=kmb-docker0 [podman]=kmb-podman0)
declare -A subnet_of=([keel]=10.231.251 [docker]=10.231.250 [podman]=10.231.252)
for peer in keel docker podman; do
  [[ -e /sys/class/net/${bridge_of[$peer]} ]] && die "${bridge_of[$peer]} exists already"
  ip -4 route show to match "${subnet_of[$peer]}.1" | grep -q "^${subnet_of[$peer]}\." &&
    die "the host routes ${subnet_of[$peer]}.0/24"
done
ours_pattern="kmb-|10\.231\.25[0-2]\.|DOCKER"
iptables_before=$(mktemp /tmp/kmb-iptables.XXXXXX)
for table in filter nat mangle raw; do iptables-save -t "$table"; done >"$iptables_before"
cni_cache_existed=0
[[ -e /var/lib/cni ]] && cni_cache_existed=1
# The CNI plugins' shared chains (podman's firewall and portmap make them) go at the end when
# the host had none and nothing uses them then.
cni_chains_state=$(mktemp /tmp/kmb-cni.XXXXXX)
"$here/../scripts/cni-chains.sh" record "$cni_chains_state"

# Short: a shim socket path under it must fit in sockaddr_un.
work=$(mktemp -d /tmp/kmb.XXXXXX)
declare -A daemon_pids=()
keelctl=("$bin/keelctl" -H "$work/keel/keeld.sock")
docker_cli=(docker -H "unix://$work/docker/docker.sock")
# --network-config-dir: the network "podman" is the host's default one (87-podman-bridge.conflist)
# on its own bridge, /24 and lease directory.
podman_cli=(podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay
  --cgroup-manager cgroupfs --events-backend file --runtime runc
  --network-config-dir "$work/podman/cni")
ctr_cli=(ctr -a "$work/containerd/containerd.sock" -n bench)

# Deletes the rules added since the start that are ours (they name our bridges, subnets or
# docker's chains), then the chains they jump to and docker's. Rules of others added meanwhile
# (another keeld's CNI chains) stay.
remove_our_iptables() {
  local table current rules chains chain
  for table in filter nat mangle raw; do
    current=$(iptables-save -t "$table")
    rules=$(grep '^-A ' <<<"$current" | grep -vxFf "$iptables_before" | grep -E "$ours_pattern") || true
    chains=$( {
      grep '^:' <<<"$current" | cut -d' ' -f1 | cut -c2- | grep -vxFf <(grep '^:' "$iptables_before" |
        cut -d' ' -f1 | cut -c2-) | grep '^DOCKER' || true
      grep -oE -- '-j [A-Z][A-Za-z0-9_-]*' <<<"$rules" | cut -c4- | grep -vE '^(ACCEPT|DROP|RETURN|REJECT|MASQUERADE|SNAT|DNAT|MARK|LOG)$' |
        grep -vxFf <(grep '^:' "$iptables_before" | cut -d' ' -f1 | cut -c2-) || true
    } | sort -u)
    [[ -z $rules && -z $chains ]] && continue
    {
      echo "*$table"
      [[ -n $rules ]] && awk '{ sub(/^-A /, "-D "); print }' <<<"$rules"
      for chain in $chains; do echo "-F $chain"; done
      for chain in $chains; do echo "-X $chain"; done
      echo COMMIT
    } | iptables-restore --noflush || echo "bench manager: iptables rules of $table left" >&2
  done
}

stop_daemon() {
  stop_pid "${daemon_pids[$1]:-}"
  unset "daemon_pids[$1]"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  "${keelctl[@]}" rm -f $("${keelctl[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  "${docker_cli[@]}" rm -f $("${docker_cli[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  "${podman_cli[@]}" rm -af >/dev/null 2>&1 || true
  local name
  for name in "${!daemon_pids[@]}"; do stop_daemon "$name"; done
  unmount_under "$work"
  for name in "${bridge_of[@]}"; do
    [[ -e /sys/class/net/$name ]] && ip link delete "$name"
  done
  remove_our_iptables
  rm -f "$iptables_before"
  "$here/../scripts/cni-chains.sh" remove-idle "$cni_chains_state" || true
  rm -f "$cni_chains_state"
  # podman's CNI results cache; created by it here, it goes with it.
  [[ $cni_cache_existed == 0 ]] && rm -rf /var/lib/cni
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    echo "bench manager: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_socket() {
  wait_for_daemon_socket "$1" "${daemon_pids[$2]}" "$2" "$work/$2.log"
}

# Milliseconds one command takes, its output dropped; a failure ends the benchmark.
time_ms() {  # read in this shell: a $(now_ns) after the call would time its own fork too
  local start=${EPOCHREALTIME//[.,]/} end
  "$@" >/dev/null 2>"$work/last.err" || die "$* failed: $(head -c 300 "$work/last.err")"
  end=${EPOCHREALTIME//[.,]/}
  echo $(((end - start) / 1000))
}

# --- the image: Debian's busybox-static, saved once by keeld and loaded into every peer --------
"$here/../scripts/make-busybox-rootfs.sh" "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/busybox.tar" .

mkdir -p "$work/keel"
"$bin/keeld" --log-level debug --root "$work/keel/root" --state "$work/keel/state" \
  --address "$work/keel/keeld.sock" --bridge "${bridge_of[keel]}" \
  --bridge-subnet "${subnet_of[keel]}.0/24" >"$work/keel.log" 2>&1 &
daemon_pids[keel]=$!
wait_for_socket "$work/keel/keeld.sock" keel
"${keelctl[@]}" import -c 'CMD ["sh"]' "$work/busybox.tar" busybox:latest >/dev/null
"${keelctl[@]}" save -o "$work/busybox-image.tar" busybox:latest

available=(keel)
for peer in $peers; do
  case $peer in
    docker)
      command -v dockerd >/dev/null || { echo "bench manager: no dockerd: skipped" >&2; continue; }
      mkdir -p "$work/docker"
      # Its default bridge is one of its own, addressed before it starts (--bridge takes the
      # address it finds); --ip-forward=false leaves the host's forwarding and FORWARD policy.
      ip link add "${bridge_of[docker]}" type bridge
      ip address add "${subnet_of[docker]}.1/24" dev "${bridge_of[docker]}"
      ip link set "${bridge_of[docker]}" up
      dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" \
        --pidfile "$work/docker/docker.pid" --host "unix://$work/docker/docker.sock" \
        --bridge "${bridge_of[docker]}" --ip-forward=false --ip6tables=false \
        --storage-driver overlay2 \
        --containerd-namespace keel-bench --containerd-plugins-namespace keel-bench-plugins \
        >"$work/docker.log" 2>&1 &
      daemon_pids[docker]=$!
      wait_for_socket "$work/docker/docker.sock" docker
      "${docker_cli[@]}" load -q -i "$work/busybox-image.tar" >/dev/null
      available+=(docker)
      ;;
    podman)
      command -v podman >/dev/null || { echo "bench manager: no podman: skipped" >&2; continue; }
      mkdir -p "$work/podman/cni"
      sed -e "s/cni-podman0/${bridge_of[podman]}/" -e "s/10\.88\.0\.0\/16/${subnet_of[podman]}.0\/24/" \
        -e "s/10\.88\.0\.1/${subnet_of[podman]}.1/" \
        -e "s|\"type\": \"host-local\",|\"type\": \"host-local\", \"dataDir\": \"$work/podman/ipam\",|" \
        /etc/cni/net.d/87-podman-bridge.conflist >"$work/podman/cni/87-podman-bridge.conflist"
      grep -q "${subnet_of[podman]}.0/24" "$work/podman/cni/87-podman-bridge.conflist" ||
        die "podman's default network: no 87-podman-bridge.conflist to start from"
      "${podman_cli[@]}" load -q -i "$work/busybox-image.tar" >/dev/null
      available+=(podman)
      ;;
    ctr)
      command -v containerd >/dev/null || { echo "bench manager: no containerd: skipped" >&2; continue; }
      mkdir -p "$work/containerd"
      cat >"$work/containerd.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
      containerd --config "$work/containerd.toml" >"$work/containerd.log" 2>&1 &
      daemon_pids[containerd]=$!
      wait_for_socket "$work/containerd/containerd.sock" containerd
      "${ctr_cli[@]}" images import "$work/busybox-image.tar" >/dev/null
      available+=(ctr)
      ;;
  esac
done

# run_rm PEER [bridge]: without a network, or on the peer's default bridge.
run_rm() {
  if [[ ${2:-} == bridge ]]; then
    case $1 in
      keel) time_ms "${keelctl[@]}" run --rm busybox true ;;
      docker) time_ms "${docker_cli[@]}" run --rm busybox true ;;
      podman) time_ms "${podman_cli[@]}" run --rm --network podman --ulimit nofile=1024:1024 \
        --ulimit nproc=4096:4096 busybox true ;;
    esac
    return
  fi
  case $1 in
    keel) time_ms "${keelctl[@]}" run --rm --network none busybox true ;;
    docker) time_ms "${docker_cli[@]}" run --rm --network none busybox true ;;
    # --ulimit: podman's default NOFILE and NPROC limits raise hard limits, which root here may
    # not (no CAP_SYS_RESOURCE). runc, not crun: crun 1.8 refuses this hybrid cgroup host.
    podman) time_ms "${podman_cli[@]}" run --rm --network none --ulimit nofile=1024:1024 \
      --ulimit nproc=4096:4096 busybox true ;;
    ctr) time_ms "${ctr_cli[@]}" run --rm docker.io/library/busybox:latest "bench-$RANDOM$RANDOM" true ;;
  esac
}

echo "bench manager: run --rm, $rounds rounds over ${available[*]}" >&2
declare -A run_times=()
for peer in "${available[@]}"; do run_rm "$peer" >/dev/null; done  # warm caches
log_before=$(wc -l <"$work/keel.log")
for ((r = 1; r <= rounds; r++)); do
  for peer in "${available[@]}"; do run_times[$peer]+=" $(run_rm "$peer")"; done
done
# "op: step<TAB>median ms" for each step keeld timed in the rounds above, in first-seen order.
tail -n +"$((log_before + 1))" "$work/keel.log" | awk '
  / container [0-9a-f]+: (create|start|exit|remove): / {
    line = $0; sub(/.* container [0-9a-f]+: /, "", line)
    op = line; sub(/:.*/, "", op); sub(/^[a-z]+: /, "", line)
    n = split(line, parts, ", ")
    for (i = 1; i <= n; i++) {
      p = parts[i]; sub(/ ms$/, "", p); v = p; sub(/.* /, "", v); k = p; sub(/ [0-9.]+$/, "", k)
      key = op ": " k
      if (!(key in order)) order[key] = ++count
      print order[key] "\t" key "\t" v
    }
  }' | sort -t"$(printf '\t')" -k1,1n -k3,3g | awk -F'\t' '
  { vals[$1] = vals[$1] " " $3; name[$1] = $2; if ($1 > last) last = $1 }
  END { for (i = 1; i <= last; i++) { m = split(substr(vals[i], 2), a, " ")
          printf "%s\t%.1f\n", name[i], a[int((m + 1) / 2)] } }' >"$work/split.tsv"

bridged=()
for peer in "${available[@]}"; do [[ $peer != ctr ]] && bridged+=("$peer"); done
echo "bench manager: run --rm on a bridge, $rounds rounds over ${bridged[*]}" >&2
declare -A bridge_times=()
for peer in "${bridged[@]}"; do run_rm "$peer" bridge >/dev/null; done  # warm caches
for ((r = 1; r <= rounds; r++)); do
  for peer in "${bridged[@]}"; do bridge_times[$peer]+=" $(run_rm "$peer" bridge)"; done
done

echo "bench manager: keelctl calls that do little" >&2
# hyperfine starts each call itself (-N: no shell between), 50 times after 3 warm-ups, and reports
# the wall median and the call's own user and system time; a shell's fork and the 10 ms ticks its
# rusage counts in would be most of what is measured here. The floor under any of them on this
# machine: a static program that does nothing (Debian's busybox, static, as `true`).
declare -A call_wall=() call_cpu=()
call_stats() {  # name command...: fills call_wall[name] (median ms) and call_cpu[name] (mean ms)
  local name=$1 json="$work/hyperfine-$1.json"
  shift
  hyperfine -N --warmup 3 --runs 50 --export-json "$json" "$*" >/dev/null 2>&1 ||
    die "hyperfine: $* failed"
  call_wall[$name]=$(jq -r '.results[0].median * 1000 | . * 100 | round / 100' "$json")
  call_cpu[$name]=$(jq -r '(.results[0].user + .results[0].system) * 1000 | . * 100 | round / 100' \
    "$json")
}
call_stats version "${keelctl[@]}" version
call_stats ps "${keelctl[@]}" ps -q
call_stats images "${keelctl[@]}" images -q
call_stats floor busybox true

keeld_pid=${daemon_pids[keel]}
threads() { ls "/proc/$keeld_pid/task" | wc -l; }
rss_mib() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$keeld_pid/status"; }

echo "bench manager: $density detached containers, one client" >&2
start=$(now_ns)
for ((i = 0; i < density; i++)); do
  "${keelctl[@]}" run -d --network none busybox sleep 100000 >/dev/null
done
seq_start_ms=$((($(now_ns) - start) / 1000000))
seq_threads=$(threads)
seq_rss=$(rss_mib)
start=$(now_ns)
"${keelctl[@]}" rm -f $("${keelctl[@]}" ps -aq) >/dev/null
seq_rm_ms=$((($(now_ns) - start) / 1000000))

echo "bench manager: $density detached containers, $clients clients" >&2
start=$(now_ns)
client_pids=()
for ((c = 0; c < clients; c++)); do
  (for ((i = c; i < density; i += clients)); do
    "${keelctl[@]}" run -d --network none busybox sleep 100000 >/dev/null
  done) &
  client_pids+=($!)
done
wait "${client_pids[@]}"  # not the daemons, which run in the background too
par_start_ms=$((($(now_ns) - start) / 1000000))
par_threads=$(threads)
par_rss=$(rss_mib)
running=$("${keelctl[@]}" ps -q | wc -l)
start=$(now_ns)
"${keelctl[@]}" rm -f $("${keelctl[@]}" ps -aq) >/dev/null
par_rm_ms=$((($(now_ns) - start) / 1000000))
left=$("${keelctl[@]}" ps -aq | wc -l)
idle_threads=$(threads)

# $bridge_density detached containers on the default bridge, back to back, then removed.
declare -A dense_start_ms=() dense_rm_ms=() dense_running=()
for peer in "${bridged[@]}"; do
  [[ $peer == podman ]] && continue
  if [[ $peer == keel ]]; then cli=("${keelctl[@]}"); else cli=("${docker_cli[@]}"); fi
  echo "bench manager: $bridge_density detached containers on $peer's bridge" >&2
  start=$(now_ns)
  for ((i = 0; i < bridge_density; i++)); do
    "${cli[@]}" run -d busybox sleep 100000 >/dev/null || die "$peer: run -d $i on the bridge failed"
  done
  dense_start_ms[$peer]=$((($(now_ns) - start) / 1000000))
  dense_running[$peer]=$("${cli[@]}" ps -q | wc -l)
  start=$(now_ns)
  "${cli[@]}" ps -aq | xargs -r "${cli[@]}" rm -f >/dev/null
  dense_rm_ms[$peer]=$((($(now_ns) - start) / 1000000))
done

keel_ms=$(median <<<"${run_times[keel]}")
keel_bridge_ms=$(median <<<"${bridge_times[keel]}")
{
  echo "# The manager path"
  echo
  echo "Generated by \`bench/manager.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, load at the" \
    "end $(cut -d' ' -f1-3 /proc/loadavg)). Binaries: $bin. $rounds rounds, interleaved."
  echo
  echo "## run --rm busybox true (--network none)"
  echo
  echo "| peer | wall ms (median) | keel / peer |"
  echo "|---|---|---|"
  for peer in "${available[@]}"; do
    m=$(median <<<"${run_times[$peer]}")
    echo "| $peer | $m | $(awk -v k="$keel_ms" -v p="$m" 'BEGIN { printf "%.2f", k / p }') |"
  done
  echo
  echo "## run --rm busybox true on the default bridge"
  echo
  echo "keel: keeld's bridge; docker: dockerd's (its own bridge and /24, iptables on); podman:"
  echo "its default CNI network \"podman\" (bridge, portmap, firewall, tuning) on its own bridge."
  echo
  echo "| peer | wall ms (median) | keel / peer | bridge - none ms |"
  echo "|---|---|---|---|"
  for peer in "${bridged[@]}"; do
    m=$(median <<<"${bridge_times[$peer]}")
    n=$(median <<<"${run_times[$peer]}")
    echo "| $peer | $m | $(awk -v k="$keel_bridge_ms" -v p="$m" 'BEGIN { printf "%.2f", k / p }') |" \
      "$((m - n)) |"
  done
  echo
  echo "### Where keeld's time goes in keel's run --rm (medians over the rounds, ms)"
  echo
  echo "| step | ms |"
  echo "|---|---|"
  awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' "$work/split.tsv"
  echo
  echo "## keelctl calls that do little"
  echo
  echo "hyperfine -N, 50 runs each: wall median and the call's own CPU (user + system, mean)."
  echo
  echo "| call | wall ms | CPU ms |"
  echo "|---|---|---|"
  echo "| version | ${call_wall[version]} | ${call_cpu[version]} |"
  echo "| ps -q | ${call_wall[ps]} | ${call_cpu[ps]} |"
  echo "| images -q | ${call_wall[images]} | ${call_cpu[images]} |"
  echo "| floor: static \`busybox true\` | ${call_wall[floor]} | ${call_cpu[floor]} |"
  echo
  echo "## $density detached containers through keeld"
  echo
  echo "| clients | start all (s) | keeld threads | keeld RSS MiB | rm -f all (s) |"
  echo "|---|---|---|---|---|"
  echo "| 1 | $(awk -v m=$seq_start_ms 'BEGIN { printf "%.1f", m / 1000 }') | $seq_threads |" \
    "$seq_rss | $(awk -v m=$seq_rm_ms 'BEGIN { printf "%.1f", m / 1000 }') |"
  echo "| $clients | $(awk -v m=$par_start_ms 'BEGIN { printf "%.1f", m / 1000 }') |" \
    "$par_threads | $par_rss | $(awk -v m=$par_rm_ms 'BEGIN { printf "%.1f", m / 1000 }') |"
  echo
  echo "Running after the $clients-client start: $running of $density. Left after rm: $left." \
    "keeld's threads when idle again: $idle_threads."
  echo
  echo "## $bridge_density detached containers on the default bridge, back to back"
  echo
  echo "| peer | start all (s) | ms per container | keel / peer | running | rm -f all (s) |"
  echo "|---|---|---|---|---|---|"
  keel_per=$(awk -v m="${dense_start_ms[keel]}" -v n="$bridge_density" 'BEGIN { printf "%.1f", m / n }')
  for peer in "${!dense_start_ms[@]}"; do
    per=$(awk -v m="${dense_start_ms[$peer]}" -v n="$bridge_density" 'BEGIN { printf "%.1f", m / n }')
    echo "| $peer | $(awk -v m="${dense_start_ms[$peer]}" 'BEGIN { printf "%.1f", m / 1000 }') |" \
      "$per | $(awk -v k="$keel_per" -v p="$per" 'BEGIN { printf "%.2f", k / p }') |" \
      "${dense_running[$peer]} | $(awk -v m="${dense_rm_ms[$peer]}" 'BEGIN { printf "%.1f", m / 1000 }') |"
  done
} | tee "$out"
