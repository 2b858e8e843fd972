#!/usr/bin/env bash
# `make demo`: builds a busybox bundle in a temp dir and runs it with `keel run`, printing the
# container's output and exit code. Uses a private state root; removes everything afterwards.
set -euo pipefail
keel=$(realpath "${1:-build/bin/keel}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/keel-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$here/make-busybox-rootfs.sh" "$work/bundle/rootfs"
cd "$work/bundle"
"$keel" spec
# Non-interactive: no terminal; a command that shows it is really inside a container.
args='echo "hello from $(hostname): pid $$, uid $(id -u), $(ls /bin | wc -l) busybox applets"; exit 7'
# A top-level cgroup of its own, so delete leaves no parent directory behind.
jq --arg cmd "$args" --arg cgroup "/keel-demo-$$" '.process.terminal = false
  | .process.args = ["sh", "-c", $cmd] | .linux.cgroupsPath = $cgroup' config.json >config.json.new
mv config.json.new config.json
echo "+ keel run demo   (bundle: $work/bundle)"
set +e
"$keel" --root "$work/state" run demo
code=$?
set -e
echo "container exited with code $code (expected 7)"
[[ $code -eq 7 ]]
