#!/usr/bin/env bash
# Installs every Debian package Keel's build, tests, demo and benchmarks need.
# Idempotent and quiet when everything is present; runs apt-get update only when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format clang-tidy ccache
  # libraries
  nlohmann-json3-dev libseccomp-dev libcap-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libarchive-dev libsqlite3-dev libcurl4-openssl-dev
  libzstd-dev libisal-dev libssl-dev protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  # keelctl's gRPC client speaks HTTP/2 with nghttp2 (ctl/rpc/), linked from its static archive
  libnghttp2-dev
  # keeld's built-in bridge plugin makes links, addresses and routes over rtnetlink with libnl
  libnl-3-dev libnl-route-3-dev
  # the static archives keelctl links (cmake/static_archives.cmake): libarchive's dependencies
  libacl1-dev liblz4-dev libxml2-dev libicu-dev nettle-dev liblzma-dev libbz2-dev zlib1g-dev
  # container images and test tools
  busybox-static docker-registry iproute2 util-linux procps strace jq
  # container networks: the CNI plugins keeld runs (bridge, host-local, portmap, tuning; the
  # podman peer runs firewall too) and iptables, which they and keeld's network rules use; dnsname
  # and the dnsmasq it runs per user
  # network, so containers there resolve each other's names
  containernetworking-plugins iptables golang-github-containernetworking-plugin-dnsname
  dnsmasq-base
  # registry auth tests: htpasswd (bcrypt users), Boost.Beast (the token server), openssl (test CAs)
  apache2-utils libboost-dev openssl
  # peers for drop-in tests and benchmarks
  runc crun hyperfine containerd podman conmon skopeo umoci
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (run as root): ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
