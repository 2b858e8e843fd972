# shellcheck shell=bash disable=SC2154
# Markdown report for bench/run.sh (sourced): reads $work/summary.tsv and the profile files.
# summary.tsv columns: label n failures wall_med wall_min wall_max cpu_med cpu_min cpu_max
#                      user_mean sys_mean (milliseconds)

col() {
  awk -F'\t' -v l="$1" -v c="$2" '$1 == l { print $c; found = 1 } END { if (!found) print "-" }' \
    "$work/summary.tsv"
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
    else printf "%.2f\n", a / b }'
}

verdict() {
  awk -v r="$1" -v t="$2" 'BEGIN { if (r == "-") print "-"; else print (r + 0 <= t + 0 ? "met" : "**missed**") }'
}

mmm() {
  echo "$(col "$1" "$2") ($(col "$1" $(($2 + 1))) – $(col "$1" $(($2 + 2))))"
}

report_machine() {
  local cpu_model head dirty
  cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  head=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo "?")
  dirty=$(git -C "$here/.." status --porcelain -- runtime common oci-spec 2>/dev/null | wc -l)
  cat <<EOF
| | |
|---|---|
| date | $started |
| kernel | $(uname -r) |
| cores | $(nproc) × $cpu_model |
| keel | $("$keel" --version 2>&1 | head -1), tree $head (+$dirty uncommitted files in runtime/ common/ oci-spec/) |
| binaries | $bin ($(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$bin/../CMakeCache.txt" 2>/dev/null || echo "?")) |
| crun | $("$crun" --version | head -1) |
| runc | $("$runc" --version | head -1) |
| rounds | $rounds per item (+$warmup warm-up rounds dropped), ${measure_seconds}s |
| load before | $load_before (1/5/15 min); busy: $activity_before |
| load after | $load_after; busy: $activity_after |
EOF
  [[ $shim_seconds == 0 ]] && return 0
  cat <<EOF
| containerd | $(containerd --version | cut -d' ' -f3), containerd-shim-runc-v2 beside it |
| podman, conmon | $(podman --version | cut -d' ' -f3), $(conmon --version | head -1 | cut -d' ' -f3) |
| parts 2–4 | ${bench_parts:1:${#bench_parts}-2} with N = $shim_n shims, $e2e_rounds + $podman_rounds e2e rounds, $density_n dense; ${shim_seconds}s |
| load parts 2–4 | before $shim_load_before, after $shim_load_after (1/5/15 min) |
EOF
}

report_runs() {
  local view x
  echo "| view | command | wall ms median (min – max) | CPU ms median (min – max) | user / sys ms (mean) | n | failed |"
  echo "|---|---|---|---|---|---|---|"
  for view in "${views[@]}"; do
    for x in ${view_runtimes[$view]} floor; do
      local l=$view/$x/run
      echo "| $view | $x run | $(mmm "$l" 4) | $(mmm "$l" 7) | $(col "$l" 10) / $(col "$l" 11) | $(col "$l" 2) | $(col "$l" 3) |"
    done
  done
}

report_phases() {
  local view x phase
  echo "| view | runtime | phase | wall ms median (min – max) | CPU ms median (min – max) | of which init | failed |"
  echo "|---|---|---|---|---|---|---|"
  for view in "${views[@]}"; do
    for x in ${view_runtimes[$view]}; do
      for phase in create start wait delete; do
        local l=$view/$x/$phase
        local init=-
        [[ $phase == create || $phase == wait ]] && init=$(col "$l" 12)
        echo "| $view | $x | $phase | $(mmm "$l" 4) | $(mmm "$l" 7) | $init | $(col "$l" 3) |"
      done
      local wall=0 cpu=0
      wall=$(for phase in create start wait delete; do col "$view/$x/$phase" 4; done | awk '{ s += $1 } END { printf "%.2f", s }')
      cpu=$(for phase in create start wait delete; do col "$view/$x/$phase" 7; done | awk '{ s += $1 } END { printf "%.2f", s }')
      echo "| $view | $x | **sum of medians** | $wall | $cpu | | |"
    done
  done
}

report_targets() {
  local view peer target
  echo "| view | ratio | wall: keel / peer ms | wall ratio | CPU: keel / peer ms | CPU ratio | target | wall | CPU |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for view in "${views[@]}"; do
    for peer in crun runc floor; do
      [[ $peer == floor || " ${view_runtimes[$view]} " == *" $peer "* ]] || continue
      case $peer in crun) target=0.8 ;; runc) target=0.4 ;; floor) target=2 ;; esac
      local kw kc pw pc rw rc
      kw=$(col "$view/keel/run" 4)
      kc=$(col "$view/keel/run" 7)
      pw=$(col "$view/$peer/run" 4)
      pc=$(col "$view/$peer/run" 7)
      rw=$(ratio "$kw" "$pw")
      rc=$(ratio "$kc" "$pc")
      echo "| $view | keel/$peer run | $kw / $pw | $rw | $kc / $pc | $rc | ≤ $target | $(verdict "$rw" "$target") | $(verdict "$rc" "$target") |"
    done
  done
  echo
  echo "Per phase (medians), keel / peer, wall and CPU:"
  echo
  echo "| view | peer | create | start | wait | delete |"
  echo "|---|---|---|---|---|---|"
  for view in "${views[@]}"; do
    for peer in crun runc; do
      [[ " ${view_runtimes[$view]} " == *" $peer "* ]] || continue
      local row="| $view | $peer |" phase
      for phase in create start wait delete; do
        row+=" $(ratio "$(col "$view/keel/$phase" 4)" "$(col "$view/$peer/$phase" 4)") / $(ratio "$(col "$view/keel/$phase" 7)" "$(col "$view/$peer/$phase" 7)") |"
      done
      echo "$row"
    done
  done
}

# strace -c tables side by side: the union of each runtime's 12 most frequent syscalls, ordered by
# the first runtime's count (strace sorts by time, which under -f is mostly its own overhead).
report_strace() {
  local files=() x
  for x in ${view_runtimes[$profile_view]}; do
    [[ -s $work/strace-$x.txt ]] && files+=("$x=$work/strace-$x.txt")
  done
  ((${#files[@]})) || {
    echo "(not run)"
    return
  }
  awk -v specs="${files[*]}" '
    function top(i,    sc, best, bestn, j) {  # marks the 12 most frequent syscalls of runtime i
      for (j = 1; j <= 12; j++) {
        best = ""; bestn = -1
        for (sc in names) if (!((i, sc) in picked) && calls[i, sc] + 0 > bestn) { best = sc; bestn = calls[i, sc] + 0 }
        if (best == "" || bestn <= 0) return
        picked[i, best] = 1; chosen[best] = 1
      }
    }
    BEGIN {
      n = split(specs, s, " ")
      for (i = 1; i <= n; i++) {
        split(s[i], kv, "="); runtime[i] = kv[1]
        while ((getline l < kv[2]) > 0) {
          m = split(l, f, " ")
          if (m < 5 || f[1] !~ /^[0-9.]+$/) continue
          calls[i, f[m]] = f[4]
          if (f[m] != "total") names[f[m]] = 1
        }
      }
      for (i = 1; i <= n; i++) top(i)
      k = 0
      for (sc in chosen) order[++k] = sc
      for (a = 2; a <= k; a++) {
        v = order[a]
        for (b = a - 1; b >= 1 && calls[1, order[b]] + 0 < calls[1, v] + 0; b--) order[b + 1] = order[b]
        order[b + 1] = v
      }
      order[++k] = "total"
      printf "| syscall |"; for (i = 1; i <= n; i++) printf " %s |", runtime[i]; print ""
      printf "|---|"; for (i = 1; i <= n; i++) printf "---|"; print ""
      for (j = 1; j <= k; j++) {
        printf "| %s |", order[j]
        for (i = 1; i <= n; i++) printf " %d |", calls[i, order[j]]
        print ""
      }
    }'
}

report_callgrind() {
  local file="" f
  for f in "$work"/callgrind.[0-9]*; do
    [[ -s $f ]] && file=$f && break
  done
  if [[ -z $file ]] || ! command -v callgrind_annotate >/dev/null; then
    echo "(not run: $(tail -1 "$work/callgrind.log" 2>/dev/null || echo "valgrind missing"))"
    return
  fi
  local total
  total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { print $1; exit }')
  echo "Instructions (Ir) of the keel create parent: $total."
  echo
  echo "Inclusive, top 25:"
  echo
  echo '```'
  callgrind_annotate --inclusive=yes "$file" 2>/dev/null | awk 'f && NF && !/^-+$/ { print } /^Ir +file:function/ { f = 1 }' |
    head -25 | sed -E 's/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/std::string/g' |
    cut -c1-160
  echo '```'
  echo
  echo "Self, top 15:"
  echo
  echo '```'
  callgrind_annotate "$file" 2>/dev/null | awk 'f && NF && !/^-+$/ { print } /^Ir +file:function/ { f = 1 }' |
    head -15 | sed -E 's/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/std::string/g' |
    cut -c1-160
  echo '```'
}

report_perf() {
  local x file any=0
  for x in ${view_runtimes[$profile_view]}; do
    file=$work/perf-$x.data
    [[ -s $file ]] || continue
    any=1
    echo "$x, share of samples by process and binary:"
    echo
    echo '```'
    perf report -i "$file" --no-children --sort comm,dso --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -10
    echo '```'
    echo
    echo "$x, kernel functions with callees (inclusive), top 30:"
    echo
    echo '```'
    perf report -i "$file" --children --sort sym --stdio -g none 2>/dev/null |
      grep '\[k\] [a-z_]' | grep -v 'entry_SYSCALL_64\|do_syscall_64\|asm_exc_page_fault' | head -30
    echo '```'
    echo
  done
  ((any)) || echo "(not run: perf missing or not permitted)"
}

report() {
  set +o pipefail # head closing a pipe early is no failure here
  echo "# Keel start-up benchmark results"
  echo
  echo "Written by \`bench/run.sh\` (\`make bench\`); how to read it: \`bench/README.md\`."
  echo "Times in milliseconds; CPU is user + system time of the command's whole process tree."
  echo
  echo "## Machine"
  echo
  report_machine
  echo
  if [[ $bench_parts == *" start "* ]]; then
    report_start
  else
    echo "(runtime start not run: BENCH_PARTS=\"${bench_parts# }\")"
  fi
  echo
  report_shim
}

report_start() {
  echo "## Runtime start: \`run\` of /bin/true in the busybox bundle"
  echo
  echo "\`v1\`: private mount namespace with /sys/fs/cgroup/unified unmounted (all three runtimes"
  echo "on plain cgroup v1); \`native\`: the host's layout (crun 1.8 refuses hybrid)."
  echo "Floor: \`unshare --pid --fork --mount --uts --ipc --net chroot rootfs /bin/true\`."
  echo
  report_runs
  echo
  echo "## Targets"
  echo
  report_targets
  echo
  echo "## Phases: create → start → wait (init exits) → delete"
  echo
  echo "The container init's CPU time is split at the end of create (its /proc/PID/schedstat):"
  echo "what it spent until blocked on exec.fifo counts to create, the rest to wait."
  echo
  report_phases
  echo
  echo "## Profile: syscalls of one \`run\` (\`strace -c -f\`, $profile_view view)"
  echo
  report_strace
  echo
  echo "## Profile: \`keel create\` under callgrind (parent only)"
  echo
  report_callgrind
  echo
  echo "## Profile: CPU samples over 30 \`run\`s (\`perf record -e cpu-clock -g\`, $profile_view view)"
  echo
  report_perf
  if [[ -s $work/hyperfine.md ]]; then
    echo
    echo "## Cross-check: hyperfine (not interleaved; wall and the caller's children rusage)"
    echo
    cat "$work/hyperfine.md"
  fi
  if [[ -s $work/micro.txt ]]; then
    echo
    echo "## Micro-benchmarks (\`keel_micro_bench\`)"
    echo
    echo '```'
    grep -v '^\*\*\*WARNING' "$work/micro.txt"
    echo '```'
  fi
}
