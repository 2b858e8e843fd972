#!/usr/bin/env bash
# Pull + unpack of one generated image (BENCH_PULL_LAYERS layers of real binaries, gzip, over
# 200 MB compressed) from a private docker-registry on 127.0.0.1 into an empty store, round by
# round: keeld (keelctl pull), a private containerd (ctr pull --plain-http, which unpacks into
# overlayfs), a private dockerd (docker.io) and podman. Every peer starts each round from an empty
# root, started before the clock; the clock covers the pull command only. Also the peak RSS
# (VmHWM) of each daemon over its round. Writes bench/RESULTS-pull.md.
# Usage: bench/pull.sh BIN_DIR   (as root; BIN_DIR holds keeld and keelctl)
# Env: BENCH_PULL_ROUNDS=3 BENCH_PULL_LAYERS=5 BENCH_PULL_LAYER_MB=96 (uncompressed, per layer)
#      BENCH_PULL_OUT=bench/RESULTS-pull.md
#      BENCH_PULL_PEERS="keel containerd dockerd podman" BENCH_KEEP=0
set -euo pipefail

bin=$(realpath "${1:?usage: bench/pull.sh BIN_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_PULL_ROUNDS:-3}
layers=${BENCH_PULL_LAYERS:-5}
out=${BENCH_PULL_OUT:-$here/RESULTS-pull.md}
peers=${BENCH_PULL_PEERS:-keel containerd dockerd podman}

die() {
  echo "bench pull: $*" >&2
  exit 1
}
[[ $(id -u) -eq 0 ]] || die "run as root"
[[ -x $bin/keeld && -x $bin/keelctl ]] || die "$bin lacks keeld or keelctl"
for tool in docker-registry skopeo jq sha256sum gzip tar; do
  command -v "$tool" >/dev/null || die "$tool missing (scripts/install-bench-deps.sh)"
done

# shellcheck source=bench/lib.sh
source "$here/lib.sh"

work=$(mktemp -d /tmp/keel-pull-bench.XXXXXX)
registry_pid=
daemon_pid=

stop_daemon() {
  stop_pid "$daemon_pid"
  daemon_pid=
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_daemon
  stop_pid "$registry_pid"  # its exit status (143, from the TERM) is not the bench's
  unmount_under "$work"
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    echo "bench pull: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_socket() { wait_for_daemon_socket "$1" "$daemon_pid" "$2" "$3"; }

# --- the image: an OCI layout with `layers` gzip layers of real binaries, then in the registry --
echo "bench pull: generating the image ($layers layers)" >&2
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
# Files from /usr, round-robin over the layers, until each holds about 96 MB uncompressed: about
# 40 MB gzip each, content that compresses as real images do.
mapfile -t files < <(find /usr/lib /usr/bin /usr/libexec /usr/share -xdev -type f -size +16k \
  -readable 2>/dev/null | sort)
want=$((${BENCH_PULL_LAYER_MB:-96} << 20))
declare -a layer_lists
declare -a layer_bytes
for ((i = 0; i < layers; i++)); do
  layer_lists[i]=$work/files.$i
  : >"${layer_lists[i]}"
  layer_bytes[i]=0
done
i=0
for f in "${files[@]}"; do
  size=$(stat -c %s "$f")
  echo "${f#/}" >>"${layer_lists[i]}"
  layer_bytes[i]=$((layer_bytes[i] + size))
  i=$(((i + 1) % layers))
  full=1
  for ((j = 0; j < layers; j++)); do ((layer_bytes[j] >= want)) || full=0; done
  ((full)) && break
done
layer_json=
diff_ids=
compressed_total=0
for ((i = 0; i < layers; i++)); do
  tar -C / -cf "$work/layer.tar" --files-from "${layer_lists[i]}" 2>/dev/null || true
  diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  gzip -6 -n -c "$work/layer.tar" >"$work/layer.tgz"
  digest=$(sha256sum "$work/layer.tgz" | cut -d' ' -f1)
  size=$(stat -c %s "$work/layer.tgz")
  compressed_total=$((compressed_total + size))
  mv "$work/layer.tgz" "$layout/blobs/sha256/$digest"
  layer_json+="${layer_json:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$digest\",\"size\":$size}"
  diff_ids+="${diff_ids:+,}\"sha256:$diff_id\""
done
rm -f "$work/layer.tar"
arch=$(dpkg --print-architecture)
config="{\"architecture\":\"$arch\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diff_ids]}}"
printf '%s' "$config" >"$work/config.json"
config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$work/config.json")
mv "$work/config.json" "$layout/blobs/sha256/$config_digest"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_digest\",\"size\":$config_size},\"layers\":[$layer_json]}"
printf '%s' "$manifest" >"$work/manifest.json"
manifest_digest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$layout/blobs/sha256/$manifest_digest"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_digest\",\"size\":$manifest_size,\"annotations\":{\"org.opencontainers.image.ref.name\":\"1\"}}]}" >"$layout/index.json"
((compressed_total >= 200 << 20)) ||
  echo "bench pull: only $((compressed_total >> 20)) MB compressed (raise BENCH_PULL_LAYERS)" >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break
  sleep 0.1
done
ref=127.0.0.1:$port/bench/big:1
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:1" "docker://$ref"
rm -rf "$layout"

# --- one round per peer: start the daemon on an empty root, time the pull, read its VmHWM ------
declare -A times rss
peak_rss_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

round_keel() {
  local root=$work/keel
  rm -rf "$root"
  mkdir -p "$root"
  "$bin/keeld" --root "$root/root" --state "$root/state" --address "$root/keeld.sock" \
    >"$root.log" 2>&1 &
  daemon_pid=$!
  wait_for_socket "$root/keeld.sock" keeld "$root.log"
  local start end
  start=$(now_ns)
  "$bin/keelctl" -H "$root/keeld.sock" pull -q "$ref" >/dev/null
  end=$(now_ns)
  times[keel]+=" $(((end - start) / 1000000))"
  rss[keel]+=" $(peak_rss_kib "$daemon_pid")"
  stop_daemon
  rm -rf "$root"
}

round_containerd() {
  local root=$work/containerd
  rm -rf "$root"
  mkdir -p "$root"
  cat >"$root.toml" <<EOF
version = 2
root = "$root/root"
state = "$root/state"
[grpc]
  address = "$root/containerd.sock"
[ttrpc]
  address = "$root/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
  containerd --config "$root.toml" >"$root.log" 2>&1 &
  daemon_pid=$!
  wait_for_socket "$root/containerd.sock" containerd "$root.log"
  local start end
  start=$(now_ns)
  ctr -a "$root/containerd.sock" -n bench images pull --plain-http "$ref" >/dev/null
  end=$(now_ns)
  times[containerd]+=" $(((end - start) / 1000000))"
  rss[containerd]+=" $(peak_rss_kib "$daemon_pid")"
  ctr -a "$root/containerd.sock" -n bench images rm "$ref" >/dev/null 2>&1 || true
  stop_daemon
  rm -rf "$root"
}

round_dockerd() {
  local root=$work/docker
  rm -rf "$root"
  mkdir -p "$root"
  # No bridge and no iptables: the pull needs neither, and the host's rules stay untouched.
  dockerd --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/docker.pid" \
    --host "unix://$root/docker.sock" --bridge none --iptables=false --ip6tables=false \
    --containerd-namespace keel-bench --containerd-plugins-namespace keel-bench-plugins \
    --storage-driver overlay2 >"$root.log" 2>&1 &
  daemon_pid=$!
  wait_for_socket "$root/docker.sock" dockerd "$root.log"
  local start end
  start=$(now_ns)
  docker -H "unix://$root/docker.sock" pull -q "$ref" >/dev/null
  end=$(now_ns)
  times[dockerd]+=" $(((end - start) / 1000000))"
  rss[dockerd]+=" $(peak_rss_kib "$daemon_pid")"
  stop_daemon
  rm -rf "$root"
}

round_podman() {
  local root=$work/podman
  rm -rf "$root"
  mkdir -p "$root"
  local start end
  start=$(now_ns)
  podman --root "$root/root" --runroot "$root/run" --storage-driver overlay pull -q \
    --tls-verify=false "$ref" >/dev/null
  end=$(now_ns)
  times[podman]+=" $(((end - start) / 1000000))"
  rss[podman]+=" -"
  podman --root "$root/root" --runroot "$root/run" --storage-driver overlay rmi -af >/dev/null 2>&1 ||
    true
  rm -rf "$root"
}

available=()
for peer in $peers; do
  case $peer in
    keel) available+=(keel) ;;
    containerd) command -v containerd >/dev/null && command -v ctr >/dev/null && available+=(containerd) ;;
    dockerd) command -v dockerd >/dev/null && command -v docker >/dev/null && available+=(dockerd) ;;
    podman) command -v podman >/dev/null && available+=(podman) ;;
  esac
done
for peer in $peers; do
  [[ " ${available[*]} " == *" $peer "* ]] || echo "bench pull: $peer not installed: skipped" >&2
done

for ((r = 1; r <= rounds; r++)); do
  for peer in "${available[@]}"; do
    echo "bench pull: round $r/$rounds: $peer" >&2
    "round_$peer"
  done
done


fastest_peer=
fastest_ms=
for peer in "${available[@]}"; do
  [[ $peer == keel ]] && continue
  m=$(median <<<"${times[$peer]}")
  if [[ -z $fastest_ms ]] || ((m < fastest_ms)); then
    fastest_ms=$m
    fastest_peer=$peer
  fi
done
keel_ms=$(median <<<"${times[keel]:-}")

{
  echo "# Pull + unpack from a local registry"
  echo
  echo "Generated by \`bench/pull.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, load at the end" \
    "$(cut -d' ' -f1-3 /proc/loadavg)). One image of $layers gzip layers," \
    "$((compressed_total >> 20)) MB compressed, from docker-registry on 127.0.0.1; each round" \
    "starts every daemon on an empty root; $rounds rounds, medians."
  echo
  echo "| peer | pull wall ms (median) | all rounds | daemon peak RSS MiB (median) | keel / peer |"
  echo "|---|---|---|---|---|"
  for peer in "${available[@]}"; do
    m=$(median <<<"${times[$peer]}")
    r=$(median <<<"${rss[$peer]}")
    [[ $r == - ]] || r=$((r / 1024))
    ratio=-
    [[ -n $keel_ms && $keel_ms != - && $m != - ]] &&
      ratio=$(awk -v k="$keel_ms" -v p="$m" 'BEGIN { printf "%.2f", k / p }')
    echo "| $peer | $m | ${times[$peer]# } | $r | $ratio |"
  done
  echo
  if [[ -n $fastest_peer ]]; then
    echo "keel / fastest peer ($fastest_peer): $(awk -v k="$keel_ms" -v p="$fastest_ms" \
      'BEGIN { printf "%.2f", k / p }') (aim: ≤ 0.6)"
  fi
  echo "podman runs no daemon: its RSS is not sampled."
} | tee "$out"
