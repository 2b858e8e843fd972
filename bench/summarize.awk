# Reduces tree_timer lines (label wall_ns user_ns sys_ns cpu_ns status init_ns) to one line per
# label:
#   label n failures wall_med wall_min wall_max cpu_med cpu_min cpu_max user_mean sys_mean
#   init_med  (ms; init_med: the container init's part of cpu, create and wait only)
# user and sys are means: the kernel splits a process's CPU time between them by tick samples, a
# coin toss for a few milliseconds that only averages out.
# Labels starting with "warmup/" are dropped. Output order: first appearance.
BEGIN { FS = "\t"; OFS = "\t" }

function median(a, n,    m) {
  m = int((n + 1) / 2)
  return n % 2 ? a[m] : (a[m] + a[m + 1]) / 2
}

# Insertion sort of a[1..n]; n is at most a few hundred.
function sort(a, n,    i, j, v) {
  for (i = 2; i <= n; i++) {
    v = a[i]
    for (j = i - 1; j >= 1 && a[j] > v; j--)
      a[j + 1] = a[j]
    a[j + 1] = v
  }
}

$1 !~ /^warmup\// && NF >= 7 {
  if (!($1 in seen)) { seen[$1] = 1; order[++labels] = $1 }
  if ($6 != 0) { failures[$1]++; next }
  k = ++count[$1]
  wall[$1, k] = $2 / 1e6; cpu[$1, k] = $5 / 1e6; user[$1, k] = $3 / 1e6; sys[$1, k] = $4 / 1e6
  init[$1, k] = $7 / 1e6
}

END {
  for (l = 1; l <= labels; l++) {
    name = order[l]; n = count[name] + 0
    if (n == 0) { print name, 0, failures[name] + 0, "-", "-", "-", "-", "-", "-", "-", "-", "-"; continue }
    su = ss = 0
    for (i = 1; i <= n; i++) { w[i] = wall[name, i]; c[i] = cpu[name, i]; su += user[name, i]; ss += sys[name, i]; it[i] = init[name, i] }
    sort(w, n); sort(c, n); sort(it, n)
    printf "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", name, n, failures[name] + 0,
           median(w, n), w[1], w[n], median(c, n), c[1], c[n], su / n, ss / n, median(it, n)
  }
}
