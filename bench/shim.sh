# shellcheck shell=bash disable=SC2154
# Parts 2-4 of the benchmark (sourced by run.sh): what a shim costs, end to end through containerd
# and podman, and density. Everything runs through a private containerd (own root, state, sockets,
# namespace) and a private podman (own --root/--runroot); every process the bench starts lives
# under one cgroup, $bench_cg, in every hierarchy:
#   ctd-NAME   a containerd and its shims (memory and cpuacct)
#   cli        the clients: ctr, podman and what they leave behind (conmon moves itself to p/conmon)
#   c/ID       the containers started through containerd, p/... those of podman
# so CPU time of a whole operation is the cpuacct.usage delta of $bench_cg.
# Knobs: BENCH_SHIM_N (50), BENCH_E2E_ROUNDS (20), BENCH_PODMAN_ROUNDS (10),
# BENCH_DENSITY_N (1000), BENCH_DENSITY_JOBS (4), BENCH_SETTLE (3 s before memory is read),
# BENCH_CTD_LOG_LEVEL (info; debug also brings the shims' logs into ctd-*/containerd.log).

shim_n=${BENCH_SHIM_N:-50}
e2e_rounds=${BENCH_E2E_ROUNDS:-20}
podman_rounds=${BENCH_PODMAN_ROUNDS:-10}
density_n=${BENCH_DENSITY_N:-1000}
density_jobs=${BENCH_DENSITY_JOBS:-4}
settle=${BENCH_SETTLE:-3}
ns=keel-bench-$$
image=docker.io/library/keel-bench-busybox:latest
bench_cg=$own_cgroup/$cgroup_parent
mem_root=/sys/fs/cgroup/memory$bench_cg
cpu_root=/sys/fs/cgroup/cpuacct$bench_cg
ctd=
ctd_pid=
# The view of the second, three-way end-to-end containerd (keel, runc, crun): crun 1.8 refuses a
# hybrid host, so there it runs in run.sh's v1 view, whole (containerd, shims, runtimes).
e2e3_view=native
[[ -n ${view_runtimes[v1]:-} ]] && e2e3_view=v1
ctd_dirs=()
pdir=$work/podman
shim_bin=$bin/keel-shim

# containerd-shim-runc-v2 keeps its sockets in /run/containerd/s and runc's state in
# /run/containerd/runc whatever containerd's config says: what the bench creates there goes.
run_ctd_existed=0
[[ -d /run/containerd ]] && run_ctd_existed=1

shim_tools_missing() {
  local t missing=()
  for t in containerd ctr containerd-shim-runc-v2 podman conmon nsenter; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  [[ -x $shim_bin ]] || missing+=("$shim_bin")
  echo "${missing[*]}"
}

ms_now() { echo $((${EPOCHREALTIME/./} / 1000)); }
us_now() { echo "${EPOCHREALTIME/./}"; }
cpu_ns() { cat "$cpu_root/cpuacct.usage"; }

# Memory of a v1 cgroup in KiB: usage_in_bytes and total_rss (anonymous memory, no page cache).
cg_mem() {
  local usage rss
  usage=$(cat "$1/memory.usage_in_bytes")
  rss=$(awk '$1 == "total_rss" { print $2 }' "$1/memory.stat")
  echo $((usage / 1024)) $((rss / 1024))
}

# Runs a command with its process in cgroup `cli` (memory and cpuacct).
in_cli() {
  (
    echo "$BASHPID" >"$mem_root/cli/cgroup.procs"
    echo "$BASHPID" >"$cpu_root/cli/cgroup.procs"
    exec "$@"
  )
}

ctr_() { in_cli ctr --address "$ctd/containerd.sock" -n "$ns" "$@"; }

runtime_of() {
  case $1 in
    keel) echo io.containerd.keel.v2 ;;
    runc | crun) echo io.containerd.runc.v2 ;;
  esac
}

# ctr run's runtime options for RUNTIME: crun is runc's shim with another binary.
ctr_runtime_args() {
  ctr_rt_args=(--runtime "$(runtime_of "$1")")
  [[ $1 == crun ]] && ctr_rt_args+=(--runc-binary "$crun")
  return 0
}

# Processes of executable NAME whose command line mentions PATTERN, one pid a line.
pids_of() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    [[ ${exe##*/} == "$1" ]] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$2" && echo "${p#/proc/}"
  done
  return 0
}

shim_exe() {
  case $1 in
    keel) echo keel-shim ;;
    runc) echo containerd-shim-runc-v2 ;;
    conmon) echo conmon ;;
  esac
}

# pid rss pss uss threads (KiB) per process.
proc_mem() {
  local pid
  for pid in "$@"; do
    awk -v pid="$pid" '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 }
      /^Private_(Clean|Dirty):/ { u += $2 } END { printf "%s\t%d\t%d\t%d\t", pid, r, p, u }' \
      "/proc/$pid/smaps_rollup"
    awk '/^Threads:/ { print $2 }' "/proc/$pid/status"
  done
}

# Private (USS) and PSS KiB of one process by mapping, largest USS first.
smaps_of() {
  [[ -n $1 && -r /proc/$1/smaps ]] || return 0
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" }
    /^Pss:/ { pss[name] += $2 } /^Private_(Clean|Dirty):/ { uss[name] += $2 }
    END { for (n in uss) printf "%d\t%d\t%s\n", uss[n], pss[n], n }' "/proc/$1/smaps" | sort -rn
}

# median min max of the numbers on stdin (one a line), with $1 decimals (0); "-" when none.
mmm_of() {
  sort -g | awk -v d="${1:-0}" '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    f = "%." d "f"; printf f " " f " " f "\n", m, v[1], v[NR] }'
}

fmt_mmm() {
  local a
  read -ra a <<<"$1"
  echo "${a[0]} (${a[1]} – ${a[2]})"
}

# Starts a private containerd NAME, in run.sh's VIEW (native): the daemon, and with it its shims
# and runtimes, gets the view's mount namespace; the clients stay outside (they use the socket).
ctd_start() { # name [view]
  ctd=$work/ctd-$1
  ctd_dirs+=("$ctd")
  mkdir -p "$ctd"/{s,keel,fifo} "$mem_root/ctd-$1" "$cpu_root/ctd-$1" "$mem_root/cli" "$cpu_root/cli"
  ctd_mem=$mem_root/ctd-$1
  cat >"$ctd/config.toml" <<EOF
version = 2
root = "$ctd/root"
state = "$ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$ctd/containerd.sock"
[ttrpc]
  address = "$ctd/containerd.sock.ttrpc"
[debug]
  address = "$ctd/debug.sock"
  level = "${BENCH_CTD_LOG_LEVEL:-info}"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$ctd/opt"
EOF
  (
    echo "$BASHPID" >"$mem_root/ctd-$1/cgroup.procs"
    echo "$BASHPID" >"$cpu_root/ctd-$1/cgroup.procs"
    ulimit -n "$(ulimit -Hn)"
    cd "$ctd" || exit 1
    view_prefix_for "${2:-native}"
    exec "${view_prefix[@]}" env PATH="$bin:$PATH" KEEL_SHIM_SOCKET_DIR="$ctd/s" \
      KEEL_SHIM_ROOT="$ctd/keel" containerd --config "$ctd/config.toml"
  ) >"$ctd/containerd.log" 2>&1 &
  ctd_pid=$!
  local i
  for ((i = 0; i < 200; i++)); do
    ctr_ version >/dev/null 2>&1 && break
    kill -0 "$ctd_pid" 2>/dev/null || die "containerd $1 exited (see $ctd/containerd.log)"
    sleep 0.1
  done
  ctr_ images import "$work/image.tar" >/dev/null || die "ctr images import failed ($ctd)"
}

# Kills and removes every task and container, stops containerd, kills what is left of its shims.
ctd_stop() {
  [[ -n $ctd_pid ]] || return 0
  local ids
  ids=$(ctr_ containers ls -q 2>/dev/null || true)
  # shellcheck disable=SC2086
  [[ -z $ids ]] || remove_many $ids
  # A containerd in a view has its own mount namespace: what is left mounted there under its
  # directory goes now, not only with the namespace's last process.
  if [[ -e /proc/$ctd_pid/ns/mnt &&
    $(readlink "/proc/$ctd_pid/ns/mnt") != $(readlink /proc/self/ns/mnt) ]]; then
    awk -v w="$ctd/" 'index($5, w) == 1 { print $5 }' "/proc/$ctd_pid/mountinfo" | sort -r |
      while read -r dir; do nsenter -t "$ctd_pid" -m umount -l "$dir" || true; done
  fi
  kill -TERM "$ctd_pid" 2>/dev/null || true
  wait "$ctd_pid" 2>/dev/null || true
  ctd_pid=
  local pid
  for pid in $(pids_of keel-shim "$ctd/") $(pids_of containerd-shim-runc-v2 "$ctd/"); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  awk -v w="$ctd/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r dir; do umount -l "$dir" || true; done
  rm -rf "/run/containerd/runc/$ns" 2>/dev/null || true
}

# Waits until the cgroup holds only containerd (the shims and anything they spawned are gone),
# up to 5 s.
ctd_quiet() {
  local i
  for ((i = 0; i < 500; i++)); do
    [[ $(wc -l <"$ctd_mem/cgroup.procs") -le 1 ]] && return 0
    sleep 0.01
  done
}

ctr_run_detached() { # runtime id args...
  local rt=$1 id=$2
  shift 2
  ctr_ run -d --fifo-dir "$ctd/fifo" --runtime "$(runtime_of "$rt")" --cgroup "$bench_cg/c/$id" \
    "$image" "$id" "$@" >/dev/null
}

ctr_remove() { # id
  ctr_ task rm -f "$1" >/dev/null 2>&1
  ctr_ containers rm "$1" >/dev/null 2>&1
}

# ctr_remove of every id, $density_jobs at a time (in a subshell: `wait` must not wait for
# containerd, a job of the main shell).
remove_many() (
  local id running=0
  for id in "$@"; do
    ctr_remove "$id" &
    running=$((running + 1))
    if ((running >= density_jobs)); then
      wait -n || true
      running=$((running - 1))
    fi
  done
  wait
)

# --- part 2: idle shims ---------------------------------------------------------------------

# Starts $shim_n sleeping containers under one runtime through a fresh containerd, reads the
# per-shim memory and the growth of the containerd + shims cgroup.
shim_cost_containerd() {
  local rt=$1 i before after
  ctd_start "shim-$rt"
  # One container first: page cache of the binaries is charged before the baseline.
  ctr_run_detached "$rt" "$tag-warm-$rt" sleep 1000000 && ctr_remove "$tag-warm-$rt"
  ctd_quiet
  sleep 1
  before=$(cg_mem "$ctd_mem")
  local ctd_before
  ctd_before=$(proc_mem "$ctd_pid" | cut -f3)
  for ((i = 0; i < shim_n; i++)); do
    ctr_run_detached "$rt" "$tag-s-$rt-$i" sleep 1000000 || echo "$rt" >>"$work/shim-failed"
  done
  sleep "$settle"
  after=$(cg_mem "$ctd_mem")
  # shellcheck disable=SC2046
  proc_mem $(pids_of "$(shim_exe "$rt")" "$ctd/") >"$work/shim-$rt.tsv"
  smaps_of "$(head -1 "$work/shim-$rt.tsv" | cut -f1)" >"$work/smaps-$rt.txt"
  echo "$rt $before $after $ctd_before $(proc_mem "$ctd_pid" | cut -f3)" >>"$work/shim-cg.txt"
  ctd_stop
}

podman_setup() {
  mkdir -p "$pdir" "$mem_root/cli" "$cpu_root/cli"
  cat >"$pdir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["keel"]
[engine.runtimes]
keel = ["$pdir/keel"]
EOF
  # podman's exit command drops --runtime-flag: a private --root reaches keel through this.
  printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$keel" "$pdir/keel-root" >"$pdir/keel"
  chmod 0755 "$pdir/keel"
  cat >"$pdir/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$pdir/run"
graphroot = "$pdir/storage"
EOF
  podman_ load -i "$work/image.tar" >/dev/null || die "podman load failed"
  local id
  id=$(podman_ images -q | head -1)
  podman_ tag "$id" keel-bench/busybox:latest >/dev/null
}

podman_() {
  in_cli env CONTAINERS_CONF="$pdir/containers.conf" CONTAINERS_STORAGE_CONF="$pdir/storage.conf" \
    podman --root "$pdir/storage" --runroot "$pdir/run" --tmpdir "$pdir/tmp" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}

podman_run() { # runtime args...
  local rt=$1
  shift
  podman_ --runtime "$rt" run --network none --cgroup-parent "$bench_cg/p" "$@"
}

podman_quiet() {
  local i
  for ((i = 0; i < 500; i++)); do
    [[ -z $(pids_of conmon "$pdir/") ]] && return 0
    sleep 0.01
  done
}

# conmon: podman puts it in <cgroup-parent>/conmon; the growth counted is that cgroup's plus the
# clients' (pages conmon touched before the move stay charged there).
shim_cost_conmon() {
  local i before after
  podman_run runc -d --name "$tag-warm" keel-bench/busybox:latest sleep 1000000 >/dev/null &&
    podman_ rm -f -t 0 "$tag-warm" >/dev/null
  podman_quiet
  sleep 1
  mkdir -p "$mem_root/p/conmon"
  before=$(($(cg_mem "$mem_root/p/conmon" | cut -d' ' -f1) + $(cg_mem "$mem_root/cli" | cut -d' ' -f1)))
  before="$before $(($(cg_mem "$mem_root/p/conmon" | cut -d' ' -f2) + $(cg_mem "$mem_root/cli" | cut -d' ' -f2)))"
  for ((i = 0; i < shim_n; i++)); do
    podman_run runc -d --name "$tag-s-conmon-$i" keel-bench/busybox:latest sleep 1000000 \
      >/dev/null || echo conmon >>"$work/shim-failed"
  done
  sleep "$settle"
  after=$(($(cg_mem "$mem_root/p/conmon" | cut -d' ' -f1) + $(cg_mem "$mem_root/cli" | cut -d' ' -f1)))
  after="$after $(($(cg_mem "$mem_root/p/conmon" | cut -d' ' -f2) + $(cg_mem "$mem_root/cli" | cut -d' ' -f2)))"
  # shellcheck disable=SC2046
  proc_mem $(pids_of conmon "$pdir/") >"$work/shim-conmon.tsv"
  smaps_of "$(head -1 "$work/shim-conmon.tsv" | cut -f1)" >"$work/smaps-conmon.txt"
  echo "conmon $before $after - -" >>"$work/shim-cg.txt"
  podman_ rm -a -f -t 0 >/dev/null 2>&1 || true
  podman_quiet
}

# --- part 3: end to end ---------------------------------------------------------------------

# One timed command: wall ms and CPU ms of everything under $bench_cg until it is quiet again.
timed() { # label quiet-function command...
  local label=$1 quiet=$2 t0 t1 c0 c1 ok=0
  shift 2
  c0=$(cpu_ns)
  t0=$(us_now)
  "$@" >/dev/null 2>&1 || ok=1
  t1=$(us_now)
  "$quiet"
  c1=$(cpu_ns)
  printf '%s\t%s\t%s\t%s\n' "$label" "$(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000)))" \
    "$(((c1 - c0) / 1000000)).$(printf '%03d' $((((c1 - c0) / 1000) % 1000)))" "$ok" >>"$work/e2e.tsv"
}

# e2e_rounds (+2 warm-up) rounds of `ctr run --rm ... /bin/true` through the running containerd,
# each round every runtime once, labelled PREFIX/RUNTIME. The order walks through the
# permutations of the runtimes (for two it alternates), so each follows each other equally often.
ctr_rounds() { # prefix id-tag runtimes...
  local prefix=$1 idt=$2 r rt i=0 label
  shift 2
  local -a orders
  mapfile -t orders < <(permutations "$@")
  for ((r = -2; r < e2e_rounds; r++)); do
    for rt in ${orders[(r + 2 * ${#orders[@]}) % ${#orders[@]}]}; do
      label=$prefix/$rt
      ((r < 0)) && label=warmup
      ctr_runtime_args "$rt"
      timed "$label" ctd_quiet ctr_ run --rm --fifo-dir "$ctd/fifo" "${ctr_rt_args[@]}" \
        --cgroup "$bench_cg/c/$idt-$rt-$i" "$image" "$idt-$rt-$i" /bin/true
      i=$((i + 1))
    done
  done
  e2e_left "$prefix" "$idt"
}

# Leak check after the rounds, the last shim gone: shims of this containerd, mounts under its
# directory in its own mount namespace, container cgroups, bundles, runtime state.
e2e_left() { # prefix id-tag
  local left
  left="shims=$(($(pids_of keel-shim "$ctd/" | wc -l) +
    $(pids_of containerd-shim-runc-v2 "$ctd/" | wc -l)))"
  left+=" mounts=$(awk -v w="$ctd/" 'index($5, w) == 1' "/proc/$ctd_pid/mountinfo" | wc -l)"
  left+=" cgroups=$(find /sys/fs/cgroup/*"$bench_cg/c" -mindepth 1 -maxdepth 1 -type d -name "$2-*" \
    2>/dev/null | wc -l)"
  left+=" bundles=$(find "$ctd/state/io.containerd.runtime.v2.task/$ns" -mindepth 1 -maxdepth 1 \
    2>/dev/null | wc -l)"
  left+=" state=$(($(find "$ctd/keel" "$ctd/s" -mindepth 1 -maxdepth 2 2>/dev/null | wc -l) +
    $(find "/run/containerd/runc/$ns" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))"
  echo "$1 $left" >>"$work/e2e-left.txt"
}

e2e() {
  local r rt order
  # The issue's figure: keel and runc on the host's own cgroup layout.
  ctd_start e2e
  ctr_rounds ctr "$tag-e" keel runc
  ctd_stop
  # keel beside runc and crun, in the view where crun runs.
  ctd_start "e2e-$e2e3_view" "$e2e3_view"
  ctr_rounds "ctr-$e2e3_view" "$tag-e3" keel runc crun
  ctd_stop
  for ((r = -1; r < podman_rounds; r++)); do
    order="keel runc"
    ((r % 2)) && order="runc keel"
    for rt in $order; do
      local label=podman/$rt
      ((r < 0)) && label=warmup
      timed "$label" podman_quiet podman_run "$rt" --rm keel-bench/busybox:latest /bin/true
    done
  done
}

# --- part 4: density ------------------------------------------------------------------------

# Starts containers with $density_jobs in flight until `max` are started or `budget_ms` passed.
start_many() { # runtime max budget_ms
  local rt=$1 max=$2 budget=$3 i=0 running=0 t0
  t0=$(ms_now)
  while ((i < max)); do
    if ((budget > 0 && $(ms_now) - t0 >= budget)); then break; fi
    { ctr_run_detached "$rt" "$tag-d-$rt-$i" sleep 1000000 || echo "$i" >>"$work/density-failed-$rt"; } &
    i=$((i + 1))
    running=$((running + 1))
    if ((running >= density_jobs)); then
      wait -n || true
      running=$((running - 1))
    fi
  done
  wait
  echo "$i"
}

density_one() { # runtime max budget_ms
  local rt=$1 max=$2 budget=$3 before after t0 t1 t2 started running
  ctd_start "density-$rt"
  ctr_run_detached "$rt" "$tag-warm-$rt" sleep 1000000 && ctr_remove "$tag-warm-$rt"
  ctd_quiet
  sleep 1
  before=$(cg_mem "$ctd_mem")
  t0=$(ms_now)
  started=$(start_many "$rt" "$max" "$budget")
  t1=$(ms_now)
  sleep "$settle"
  after=$(cg_mem "$ctd_mem")
  running=$(ctr_ task ls 2>/dev/null | awk '$3 == "RUNNING"' | wc -l)
  # shellcheck disable=SC2046
  proc_mem $(pids_of "$(shim_exe "$rt")" "$ctd/") >"$work/density-$rt.tsv"
  local ids
  ids=$(ctr_ containers ls -q)
  t2=$(ms_now)
  # shellcheck disable=SC2086
  remove_many $ids
  local t3 left
  t3=$(ms_now)
  sleep 1
  # Leak check: shims, mounts, cgroups, runtime state, bundles.
  left="shims=$(pids_of "$(shim_exe "$rt")" "$ctd/" | wc -l)"
  left+=" mounts=$(awk -v w="$ctd/" 'index($5, w) == 1' /proc/self/mountinfo | wc -l)"
  left+=" cgroups=$(find /sys/fs/cgroup/*"$bench_cg/c" -mindepth 1 -type d 2>/dev/null | wc -l)"
  left+=" bundles=$(find "$ctd/state/io.containerd.runtime.v2.task/$ns" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
  if [[ $rt == keel ]]; then
    left+=" state=$(find "$ctd/keel" "$ctd/s" -mindepth 1 -maxdepth 2 2>/dev/null | wc -l)"
  else
    left+=" state=$(find "/run/containerd/runc/$ns" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
  fi
  echo "$rt $started $running $((t1 - t0)) $((t3 - t2)) $before $after $left" >>"$work/density.txt"
  ctd_stop
  density_ms=$((t1 - t0))
}

density() {
  density_one keel "$density_n" 0
  density_one runc "$density_n" "$density_ms"
}

shim_cleanup() {
  ctd_stop 2>/dev/null || true
  if [[ -d $pdir/storage ]]; then
    podman_ rm -a -f -t 0 >/dev/null 2>&1 || true
    podman_ system reset -f >/dev/null 2>&1 || true
  fi
  local c pid
  for c in "${ctd_dirs[@]}" "$pdir"; do
    for pid in $(pids_of keel-shim "$c/") $(pids_of containerd-shim-runc-v2 "$c/") \
      $(pids_of conmon "$c/"); do
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
  # Processes left in the bench's cgroups (containers whose shim was killed).
  # shellcheck disable=SC2038
  find /sys/fs/cgroup/memory"$bench_cg" -name cgroup.procs -exec cat {} + 2>/dev/null |
    xargs -r kill -KILL 2>/dev/null || true
  rm -rf "/run/containerd/runc/$ns" 2>/dev/null || true
  # Shims that exit late remove their sockets late: retry for a while.
  local i
  for ((i = 0; i < 20; i++)); do
    rmdir /run/containerd/runc /run/containerd/s 2>/dev/null || true
    ((run_ctd_existed)) || rmdir /run/containerd 2>/dev/null || true
    [[ -d /run/containerd/s || -d /run/containerd/runc ]] || break
    sleep 0.2
  done
}

shim_measure() {
  local missing
  missing=$(shim_tools_missing)
  [[ -z $missing ]] || die "parts 2-4 need: $missing"
  [[ -d $bundle/rootfs ]] || "$here/../scripts/make-busybox-rootfs.sh" "$bundle/rootfs"
  "$here/../integration/shim/make-busybox-image.sh" "$bundle/rootfs" "$work/image.tar" "$image"
  if [[ " $bench_parts " == *" shim "* ]]; then
    echo "bench: shim cost, $shim_n sleeping containers each under keel-shim, shim-runc-v2, conmon" >&2
    shim_cost_containerd keel
    shim_cost_containerd runc
    podman_setup
    shim_cost_conmon
  fi
  if [[ " $bench_parts " == *" e2e "* ]]; then
    echo "bench: end to end, $e2e_rounds rounds of ctr run --rm, $podman_rounds of podman run --rm" >&2
    [[ -f $pdir/storage.conf ]] || podman_setup
    e2e
  fi
  if [[ " $bench_parts " == *" density "* ]]; then
    echo "bench: density, $density_n containers through containerd with keel-shim, then runc" >&2
    density
  fi
}

# --- report ---------------------------------------------------------------------------------

# Column of a proc_mem table (2 rss, 3 pss, 4 uss, 5 threads) as "median min max".
col_mmm() { [[ -s $1 ]] && cut -f"$2" "$1" | mmm_of || echo "- - -"; }
first() { echo "${1%% *}"; }

shim_cg_growth() { # name column(2 usage, 3 rss) -> KiB per container
  awk -v n="$1" -v c="$2" -v k="$3" '$1 == n { printf "%.0f", ($(c + 2) - $c) / k }' "$work/shim-cg.txt"
}

report_shim_cost() {
  [[ -s $work/shim-cg.txt ]] || {
    echo "(not run)"
    return
  }
  local x f n
  echo "$shim_n sleeping busybox containers per shim kind (\`sleep 1000000\`); per-shim figures from"
  echo "\`/proc/PID/smaps_rollup\` (USS = Private_Clean + Private_Dirty), KiB. keel-shim and"
  echo "containerd-shim-runc-v2 run under a fresh private containerd each, in a v1 memory cgroup of"
  echo "its own: its growth from before the first to after the last start (containerd + shims),"
  echo "per container, as \`memory.usage_in_bytes\` and as \`total_rss\` (anonymous memory only)."
  echo "conmon: podman (private --root/--runroot, vfs storage, cgroupfs) with runc; growth of the"
  echo "cgroups holding conmon and the podman clients. Its usage figure includes the page cache of"
  echo "podman's vfs copy of the image per container: compare rss there. keel-shim's and"
  echo "shim-runc-v2's figures include containerd's own growth per container; conmon has no daemon."
  echo "One container is started and removed first so binaries' page cache is charged before."
  echo
  echo "| shim | n | RSS KiB median (min – max) | PSS | USS | threads | cgroup growth / container KiB (usage / rss) | containerd PSS before → after KiB |"
  echo "|---|---|---|---|---|---|---|---|"
  for x in keel runc conmon; do
    f=$work/shim-$x.tsv
    n=$( [[ -s $f ]] && wc -l <"$f" || echo 0)
    local name=$x
    [[ $x == keel ]] && name=keel-shim
    [[ $x == runc ]] && name=containerd-shim-runc-v2
    echo "| $name | $n | $(fmt_mmm "$(col_mmm "$f" 2)") | $(fmt_mmm "$(col_mmm "$f" 3)") |" \
      "$(fmt_mmm "$(col_mmm "$f" 4)") | $(fmt_mmm "$(col_mmm "$f" 5)") |" \
      "$(shim_cg_growth "$x" 2 "$n") / $(shim_cg_growth "$x" 3 "$n") |" \
      "$(awk -v n="$x" '$1 == n { print $6 " → " $7 }' "$work/shim-cg.txt") |"
  done
  echo
  echo "| ratio (medians) | RSS | PSS | USS | cgroup usage | cgroup rss | target |"
  echo "|---|---|---|---|---|---|---|"
  for x in runc conmon; do
    local row="| keel/$x |" c
    for c in 2 3 4; do
      row+=" $(ratio "$(first "$(col_mmm "$work/shim-keel.tsv" "$c")")" \
        "$(first "$(col_mmm "$work/shim-$x.tsv" "$c")")") |"
    done
    local nk nx
    nk=$(wc -l <"$work/shim-keel.tsv" 2>/dev/null || echo 0)
    nx=$(wc -l <"$work/shim-$x.tsv" 2>/dev/null || echo 0)
    for c in 2 3; do
      row+=" $(ratio "$(shim_cg_growth keel "$c" "$nk")" "$(shim_cg_growth "$x" "$c" "$nx")") |"
    done
    local target="PSS ≤ 0.3" r
    [[ $x == conmon ]] && target="PSS ≤ 1"
    r=$(ratio "$(first "$(col_mmm "$work/shim-keel.tsv" 3)")" "$(first "$(col_mmm "$work/shim-$x.tsv" 3)")")
    echo "$row $target: $(verdict "$r" "${target##* }") |"
  done
  local threads
  threads=$(first "$(col_mmm "$work/shim-keel.tsv" 5)")
  echo
  echo "keel-shim threads: $threads (target 1: $(verdict "$threads" 1))."
  [[ -s $work/shim-failed ]] && echo "Failed starts: $(sort "$work/shim-failed" | uniq -c | tr '\n' ' ')."
  return 0
}

e2e_col() { # label column (2 wall, 3 cpu)
  awk -F'\t' -v l="$1" -v c="$2" '$1 == l && $4 == 0 { print $c }' "$work/e2e.tsv" | mmm_of 1
}

report_e2e() {
  [[ -s $work/e2e.tsv ]] || {
    echo "(not run)"
    return
  }
  local v3=$e2e3_view
  echo "\`ctr run --rm\` of /bin/true through a private containerd, keel-shim + keel against"
  echo "containerd-shim-runc-v2 + runc (\`ctr/\`, the host's cgroup layout); then through a second"
  echo "containerd in the \`$v3\` view, keel-shim + keel, shim-runc-v2 + runc and shim-runc-v2 + crun"
  echo "(\`--runc-binary\`) (\`ctr-$v3/\`: the daemon, its shims and runtimes in that mount namespace;"
  echo "crun 1.8 refuses a hybrid host); and \`podman run --rm --network none\` with keel against runc"
  echo "(conmon in both). The order changes each round (for three runtimes through all six"
  echo "permutations), warm-up rounds dropped. Wall: the client command. CPU: \`cpuacct.usage\` of the"
  echo "cgroup holding everything the bench started (client, containerd, shims, runtimes, conmon, the"
  echo "container), read once the shim (conmon) has exited, so work left behind after the client"
  echo "returns counts to its run."
  echo
  echo "| path | wall ms median (min – max) | CPU ms median (min – max) | n | failed |"
  echo "|---|---|---|---|---|"
  local l
  for l in ctr/keel ctr/runc "ctr-$v3/keel" "ctr-$v3/runc" "ctr-$v3/crun" podman/keel podman/runc; do
    echo "| $l | $(fmt_mmm "$(e2e_col "$l" 2)") | $(fmt_mmm "$(e2e_col "$l" 3)") |" \
      "$(awk -F'\t' -v l="$l" '$1 == l && $4 == 0' "$work/e2e.tsv" | wc -l) |" \
      "$(awk -F'\t' -v l="$l" '$1 == l && $4 != 0' "$work/e2e.tsv" | wc -l) |"
  done
  echo
  echo "| ratio (medians) | wall | CPU | target |"
  echo "|---|---|---|---|"
  local p x rw rc
  for p in ctr/runc "ctr-$v3/runc" "ctr-$v3/crun" podman/runc; do
    x=${p%/*}
    rw=$(ratio "$(first "$(e2e_col "$x/keel" 2)")" "$(first "$(e2e_col "$p" 2)")")
    rc=$(ratio "$(first "$(e2e_col "$x/keel" 3)")" "$(first "$(e2e_col "$p" 3)")")
    case $p in
      ctr/runc) echo "| keel/runc via ctr | $rw | $rc | ≤ 0.6: wall $(verdict "$rw" 0.6), CPU $(verdict "$rc" 0.6) |" ;;
      podman/*) echo "| keel/runc via podman | $rw | $rc | - |" ;;
      *) echo "| keel/${p#*/} via ctr, $v3 view | $rw | $rc | - |" ;;
    esac
  done
  if [[ -s $work/e2e-left.txt ]]; then
    echo
    echo "Left after the \`ctr\` rounds (shim processes, mounts under the containerd dir, container"
    echo "cgroups, bundles, runtime state): $(awk '{ $1 = "`" $1 "`:"; printf "%s%s", sep, $0; sep = "; " }' \
      "$work/e2e-left.txt")."
  fi
  return 0
}

report_density() {
  [[ -s $work/density.txt ]] || {
    echo "(not run)"
    return
  }
  echo "Sleeping busybox containers started through a fresh private containerd with \`ctr run -d\`,"
  echo "$density_jobs at a time; keel-shim + keel up to $density_n, then shim-runc-v2 + runc for as"
  echo "long as keel took. Memory: growth of the containerd + shims memory cgroup per container"
  echo "(usage / rss), and per-shim PSS. Then all removed (\`ctr task rm -f\`, \`ctr container rm\`),"
  echo "and what is left counted: shim processes, mounts under the containerd dir, container"
  echo "cgroups, bundles, runtime state (keel: shim root and socket dir; runc: its --root)."
  echo
  echo "| shim + runtime | started | running | start all s | ms / container | cgroup growth / container KiB (usage / rss) | shim PSS KiB median (min – max) | shim PSS sum / container KiB | removal s | left after removal |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  local rt started running tstart trm bu br au ar left
  while read -r rt started running tstart trm bu br au ar left; do
    local f=$work/density-$rt.tsv sum
    sum=$(awk -F'\t' '{ s += $3 } END { if (NR) printf "%.0f", s / NR; else print "-" }' "$f")
    echo "| $rt | $started | $running | $(awk -v t="$tstart" 'BEGIN { printf "%.1f", t / 1000 }') |" \
      "$(awk -v t="$tstart" -v n="$started" 'BEGIN { if (n) printf "%.1f", t / n; else print "-" }') |" \
      "$(awk -v a="$au" -v b="$bu" -v n="$running" 'BEGIN { if (n) printf "%.0f", (a - b) / n; else print "-" }') /" \
      "$(awk -v a="$ar" -v b="$br" -v n="$running" 'BEGIN { if (n) printf "%.0f", (a - b) / n; else print "-" }') |" \
      "$(fmt_mmm "$(col_mmm "$f" 3)") | $sum |" \
      "$(awk -v t="$trm" 'BEGIN { printf "%.1f", t / 1000 }') | $left |"
  done <"$work/density.txt"
  local k
  k=$(awk -F'\t' '{ s += $3 } END { if (NR) printf "%.0f", s / NR }' "$work/density-keel.tsv")
  echo
  echo "Target: $density_n keel containers at once with < 1 MiB of shim memory each:" \
    "$(awk '$1 == "keel" { print $3 }' "$work/density.txt") running, shim PSS ${k:-?} KiB each" \
    "($(verdict "${k:--}" 1024))."
  [[ -s $work/density-failed-keel || -s $work/density-failed-runc ]] &&
    echo "Failed starts: keel $(wc -l <"$work/density-failed-keel" 2>/dev/null || echo 0)," \
      "runc $(wc -l <"$work/density-failed-runc" 2>/dev/null || echo 0)."
  return 0
}

report_shim() {
  echo "## Shim cost: idle shims"
  echo
  report_shim_cost
  echo
  echo "## End to end: a container through containerd and podman"
  echo
  report_e2e
  echo
  echo "## Density"
  echo
  report_density
}
