#!/usr/bin/env bash
# Builds a busybox root filesystem from Debian's busybox-static in DIR (no network).
# Usage: scripts/make-busybox-rootfs.sh DIR
set -euo pipefail
dir=${1:?usage: make-busybox-rootfs.sh DIR}
busybox=/bin/busybox
[[ -x $busybox ]] || { echo "make-busybox-rootfs: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir"/{bin,dev,etc,proc,sys,tmp,root}
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
  [[ -e "$dir/bin/$applet" ]] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$dir/etc/group"
chmod 1777 "$dir/tmp"
