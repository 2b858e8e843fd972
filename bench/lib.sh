# Shell helpers the benchmark scripts share (sourced).

# From bash's own clock ($EPOCHREALTIME, microseconds), not `date`: an exec of date inside a
# timed interval would add a process start (3-5 ms on a small VM) to every figure.
now_ns() {
  local us=${EPOCHREALTIME//[.,]/}
  echo "${us}000"
}

# The median of the numbers among the words read; "-" when there is none.
median() {
  tr ' ' '\n' | awk '/^[0-9]+$/ { print }' | sort -n | awk '{ a[NR] = $1 }
    END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2];
          else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

# Stops the daemon with pid $1 (TERM, then KILL after 15 s) and reaps it.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Waits for the unix socket $1 of the daemon with pid $2 (named $3, logging to $4).
wait_for_daemon_socket() {
  for _ in $(seq 300); do
    [[ -S $1 ]] && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited at start (log: $4)"
    sleep 0.05
  done
  die "$3 did not open $1 (log: $4)"
}

# Unmounts what is still mounted under $1, deepest first.
unmount_under() {
  awk -v w="$1" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r dir; do umount -l "$dir" || true; done
}
