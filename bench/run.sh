#!/usr/bin/env bash
# Start cost of keel beside crun, runc and a bare unshare+chroot floor, interleaved round by round:
# wall and process-tree CPU time per command (bench/tree_timer.cpp), then strace and callgrind
# profiles of the start path and the micro-benchmarks. Writes bench/RESULTS.md; see bench/README.md.
# Usage: bench/run.sh BIN_DIR   (as root; BIN_DIR holds keel, keel_tree_timer, keel_micro_bench)
# Env: BENCH_ROUNDS=100 BENCH_WARMUP=3 BENCH_PROFILE=1 BENCH_OUT=bench/RESULTS.md BENCH_KEEP=0
#      BENCH_PARTS="start shim e2e density" (which parts run; shim.sh has the knobs of the others)
set -euo pipefail

bin=$(realpath "${1:?usage: bench/run.sh BIN_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_ROUNDS:-100}
warmup=${BENCH_WARMUP:-3}
out=${BENCH_OUT:-$here/RESULTS.md}
keel=$bin/keel
timer=$bin/keel_tree_timer
bench_parts=" ${BENCH_PARTS:-start shim e2e density} "

die() {
  echo "bench: $*" >&2
  exit 1
}
[[ $(id -u) -eq 0 ]] || die "run as root: containers need namespaces, mounts and cgroups"
for tool in crun runc unshare jq strace awk; do
  command -v "$tool" >/dev/null || die "$tool missing (make deps)"
done
[[ -x $keel && -x $timer ]] || die "$bin lacks keel or keel_tree_timer"
crun=$(command -v crun)
runc=$(command -v runc)

work=$(mktemp -d /tmp/keel-bench.XXXXXX)
tag=kb$$
bundle=$work/bundle
timer_pid=

# One absolute cgroupsPath for all: runc and keel read a relative one against the caller's cgroup
# in each hierarchy, crun 1.8 on v1 against the root. Under the caller's deepest cgroup (here the
# memory one) no container leaves the cgroup it was started from. Parents that do not exist yet
# are created by the runtimes and removed by cleanup.
cgroup_parent=keel-bench-$$
own_cgroup=$(awk '{ sub(/^[^:]*:[^:]*:/, "") } length($0) > length(best) { best = $0 }
  END { print best }' /proc/self/cgroup)
[[ $own_cgroup == / ]] && own_cgroup=
cgroups_path=$own_cgroup/$cgroup_parent/ctr
new_cgroup_dirs=()
for hierarchy in $(awk -F' - ' '{ split($1, a, " "); split($2, b, " ") }
    b[1] == "cgroup" || b[1] == "cgroup2" { print a[5] }' /proc/self/mountinfo); do
  dir=$hierarchy
  IFS=/ read -ra parts <<<"${own_cgroup#/}"
  for part in "${parts[@]}"; do
    dir+=/$part
    [[ -d $dir ]] || new_cgroup_dirs=("$dir" "${new_cgroup_dirs[@]}")
  done
done

# crun 1.8 refuses a hybrid host ("cgroups in hybrid mode not supported"). In the "v1" view, a
# private mount namespace without /sys/fs/cgroup/unified, all three runtimes see plain v1.
# Unmounted rather than covered with a tmpfs: keel reads /proc/self/mountinfo, where a covered
# cgroup2 mount still shows, and would pick the hybrid manager.
views=(native)
declare -A view_runtimes=([native]="keel crun runc")
if [[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]] &&
  grep -q ' /sys/fs/cgroup/unified .* - cgroup2 ' /proc/self/mountinfo; then
  views=(v1 native)
  view_runtimes=([v1]="keel crun runc" [native]="keel runc")
fi

# Sets view_prefix to what runs a command in the view; the command keeps the caller's pid chain
# (unshare and sh exec), so $! of a background command is the command itself.
view_prefix_for() {
  view_prefix=()
  [[ $1 == v1 ]] &&
    view_prefix=(unshare -m --propagation private -- sh -c
      'umount /sys/fs/cgroup/unified && exec "$@"' sh)
  return 0
}

in_view() {
  view_prefix_for "$1"
  shift
  "${view_prefix[@]}" "$@"
}

# Sets argv to the runtime's command with its private state root for the view.
rt_argv() {
  local root=$work/state/$2/$1
  case $1 in
    keel) argv=("$keel" --root "$root") ;;
    crun) argv=("$crun" --root "$root") ;;
    runc) argv=("$runc" --root "$root") ;;
  esac
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $timer_pid ]]; then
    # The timer finishes the command under way before it exits.
    kill -TERM "$timer_pid" 2>/dev/null || true
    wait "$timer_pid" 2>/dev/null || true
  fi
  local view x dir
  shim_cleanup
  for view in "${views[@]}"; do
    for x in ${view_runtimes[$view]}; do
      [[ -d $work/state/$view/$x ]] || continue
      rt_argv "$x" "$view"
      for dir in "$work/state/$view/$x"/*/; do
        [[ -d $dir ]] || continue
        in_view "$view" "${argv[@]}" delete -f "$(basename "$dir")" >/dev/null 2>&1 || true
      done
    done
  done
  find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "$cgroup_parent" -prune -print \
    2>/dev/null | while read -r dir; do
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || echo "bench: cannot remove $dir" >&2
  done
  for dir in "${new_cgroup_dirs[@]}"; do rmdir "$dir" 2>/dev/null || true; done
  awk -v w="$work" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r dir; do umount -l "$dir" || true; done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    echo "bench: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
# shellcheck source=bench/shim.sh
source "$here/shim.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# Second frame of top: what else used the CPUs over one second (first frame averages since boot).
activity() {
  top -b -n 2 -d 1 -w 200 | awk '/^top -/ { frame++ }
    frame == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 3 { printf "%s%s %s%%", sep, $12, $9; sep = ", " }
    END { if (!sep) printf "none above 3%%" }'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
activity_before=$(activity)
echo "bench: load $load_before; busy: $activity_before" >&2

echo "bench: busybox bundle in $bundle" >&2
mkdir -p "$bundle" "$work/pid"
"$here/../scripts/make-busybox-rootfs.sh" "$bundle/rootfs"
(cd "$bundle" && "$keel" spec)
# runc spec's ociVersion: crun 1.8 rejects keel spec's 1.2.0 ("unknown version specified").
jq --arg cg "$cgroups_path" '.ociVersion = "1.0.2-dev" | .process.terminal = false |
  .process.args = ["/bin/true"] | .linux.cgroupsPath = $cg' "$bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$bundle/config.json"
# State on tmpfs, as /run is on most hosts (not on this one: there /run shares the root ext4).
mkdir -p "$work/state"
mount -t tmpfs -o size=64m,mode=0700 keel-bench "$work/state"
for view in "${views[@]}"; do
  for x in ${view_runtimes[$view]}; do mkdir -p "$work/state/$view/$x"; done
done

floor=(unshare --pid --fork --mount --uts --ipc --net chroot "$bundle/rootfs" /bin/true)

line() {
  local IFS=$'\t'
  printf '%s\n' "$*"
}

# Every order of the arguments, one per line.
permutations() {
  (($# <= 1)) && {
    echo "$*"
    return
  }
  local i rest
  for ((i = 1; i <= $#; i++)); do
    rest=("${@:1:i-1}" "${@:i+1}")
    permutations "${rest[@]}" | sed "s/^/${!i} /"
  done
}

# One line per command for the timer. Each round runs every item once, then create -> start ->
# wait -> delete for each runtime. The order changes each round and goes through every
# permutation: a plain rotation keeps cyclic neighbours, so an item would always follow the same
# one and pay for its deferred kernel work (the network namespace teardown, RCU grace periods).
plan() {
  local view=$1 first=$2 last=$3 prefix=$4 r x id
  local -a runtimes run_orders split_orders
  read -ra runtimes <<<"${view_runtimes[$view]}"
  mapfile -t run_orders < <(permutations "${runtimes[@]}" floor)
  mapfile -t split_orders < <(permutations "${runtimes[@]}")
  for ((r = first; r < last; r++)); do
    for x in ${run_orders[r % ${#run_orders[@]}]}; do
      if [[ $x == floor ]]; then
        line "$prefix$view/floor/run" run - "${floor[@]}"
      else
        rt_argv "$x" "$view"
        line "$prefix$view/$x/run" run - "${argv[@]}" run -b "$bundle" "$tag-$view-$x-$r-run"
      fi
    done
    for x in ${split_orders[r % ${#split_orders[@]}]}; do
      rt_argv "$x" "$view"
      id=$tag-$view-$x-$r
      line "$prefix$view/$x/create" create "$work/pid/$id" "${argv[@]}" create -b "$bundle" \
        --pid-file "$work/pid/$id" "$id"
      line "$prefix$view/$x/start" run - "${argv[@]}" start "$id"
      line "$prefix$view/$x/wait" wait "$work/pid/$id"
      line "$prefix$view/$x/delete" run - "${argv[@]}" delete "$id"
    done
  done
}

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
t0=$SECONDS
[[ $bench_parts == *" start "* ]] || views=()
for view in "${views[@]}"; do
  echo "bench: $view view: ${view_runtimes[$view]} floor, $rounds rounds (+$warmup warm-up)" >&2
  {
    plan "$view" 0 "$warmup" warmup/
    plan "$view" "$warmup" $((warmup + rounds)) ""
  } >"$work/plan-$view.tsv"
  view_prefix_for "$view"
  "${view_prefix[@]}" "$timer" <"$work/plan-$view.tsv" >"$work/times-$view.tsv" &
  timer_pid=$!
  wait "$timer_pid" || echo "bench: $view view: some commands failed (see failures column)" >&2
  timer_pid=
done
measure_seconds=$((SECONDS - t0))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
activity_after=$(activity)
: >"$work/summary.tsv"
((${#views[@]} == 0)) || awk -f "$here/summarize.awk" "$work"/times-*.tsv >"$work/summary.tsv"

shim_seconds=0
if [[ $bench_parts == *" shim "* || $bench_parts == *" e2e "* || $bench_parts == *" density "* ]]; then
  t0=$SECONDS
  shim_load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  shim_measure
  shim_seconds=$((SECONDS - t0))
  shim_load_after=$(cut -d' ' -f1-3 /proc/loadavg)
fi

# --- profiles: syscall counts, instruction counts, a hyperfine cross-check ---
profile_view=${views[0]:-native}
profile() {
  local x
  for x in ${view_runtimes[$profile_view]}; do
    rt_argv "$x" "$profile_view"
    in_view "$profile_view" "${argv[@]}" run -b "$bundle" "$tag-strace-warm-$x" >/dev/null
    in_view "$profile_view" strace -c -f -o "$work/strace-$x.txt" "${argv[@]}" run -b "$bundle" \
      "$tag-strace-$x" >/dev/null
  done
  if command -v valgrind >/dev/null && [[ -f $bin/keel_valgrind_preload.so ]]; then
    # valgrind 3.19 lacks clone3, openat2 and the new mount API: the preload maps the first two,
    # this bundle drops what needs the third (cgroup mount, masked/readonly paths, read-only root)
    # and the rlimit valgrind's own fd reserve refuses. The parent's path is the same.
    mkdir -p "$work/cg-bundle"
    jq --arg root "$bundle/rootfs" 'del(.mounts[] | select(.destination == "/sys/fs/cgroup")) |
      del(.linux.maskedPaths, .linux.readonlyPaths, .process.rlimits) | .root.readonly = false |
      .root.path = $root' "$bundle/config.json" >"$work/cg-bundle/config.json"
    rt_argv keel "$profile_view"
    in_view "$profile_view" env LD_PRELOAD="$bin/keel_valgrind_preload.so" valgrind \
      --tool=callgrind --trace-children=no --callgrind-out-file="$work/callgrind.%p" \
      "${argv[@]}" create -b "$work/cg-bundle" "$tag-callgrind" >"$work/callgrind.log" 2>&1 &&
      in_view "$profile_view" "${argv[@]}" start "$tag-callgrind" &&
      sleep 0.2 && in_view "$profile_view" "${argv[@]}" delete -f "$tag-callgrind" || true
  fi
  if command -v hyperfine >/dev/null; then
    local -a cmds=()
    for x in ${view_runtimes[$profile_view]}; do
      rt_argv "$x" "$profile_view"
      cmds+=(-n "$x" "${argv[*]} run -b $bundle $tag-hyperfine-$x")
    done
    cmds+=(-n floor "${floor[*]}")
    in_view "$profile_view" hyperfine -N --style basic --warmup 3 --runs 30 \
      --export-markdown "$work/hyperfine.md" "${cmds[@]}" >/dev/null 2>&1 || true
  fi
  # Where the CPU time goes, kernel included: sampled over 30 runs per runtime.
  if command -v perf >/dev/null && perf record -q -o /dev/null -e cpu-clock true >/dev/null 2>&1; then
    for x in ${view_runtimes[$profile_view]}; do
      [[ $x == runc ]] && continue
      rt_argv "$x" "$profile_view"
      in_view "$profile_view" perf record -q -o "$work/perf-$x.data" -e cpu-clock -F 20000 -g -- \
        sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
          do "$@" "$0-$i" >/dev/null || exit 1; done' "$tag-perf-$x" "${argv[@]}" run -b "$bundle" \
        >/dev/null 2>&1 || rm -f "$work/perf-$x.data"
    done
  fi
  "$bin/keel_micro_bench" --benchmark_min_time=0.2 --benchmark_color=false \
    >"$work/micro.txt" 2>/dev/null || true
}
if [[ ${BENCH_PROFILE:-1} == 1 && $bench_parts == *" start "* ]]; then
  echo "bench: profiles (strace -c -f, callgrind, hyperfine, perf, micro-benchmarks)" >&2
  profile
fi

# shellcheck source=bench/report.sh
source "$here/report.sh"
report >"$out"
# The shim, end-to-end and density sections on the terminal too.
awk '/^## (Shim cost|End to end|Density)/ { p = 1 } /^## (Profile|Cross|Micro)/ { p = 0 } p' "$out"
echo "bench: wrote $out (measurement ${measure_seconds}s + ${shim_seconds}s)" >&2
