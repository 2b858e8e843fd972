#!/usr/bin/env bash
# Packs a root filesystem directory into an OCI image archive (image-layout: oci-layout,
# index.json, blobs/sha256/...) with one uncompressed tar layer, for `ctr images import`.
# Usage: make-busybox-image.sh ROOTFS OUT.tar IMAGE_NAME
set -euo pipefail
rootfs=$1 out=$2 name=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
blobs=$work/blobs/sha256
mkdir -p "$blobs"

digest() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
put() { local d; d=$(digest "$1"); mv "$1" "$blobs/$d"; echo "$d"; }

tar --numeric-owner --sort=name --mtime=@0 -C "$rootfs" -cf "$work/layer" .
layer_size=$(size "$work/layer")
layer=$(put "$work/layer")

jq -n --arg diff "sha256:$layer" '{
  architecture: "amd64", os: "linux",
  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
           Cmd: ["sh"], WorkingDir: "/"},
  rootfs: {type: "layers", diff_ids: [$diff]}
}' >"$work/config"
config_size=$(size "$work/config")
config=$(put "$work/config")

jq -n --arg c "sha256:$config" --argjson cs "$config_size" \
      --arg l "sha256:$layer" --argjson ls "$layer_size" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
}' >"$work/manifest"
manifest_size=$(size "$work/manifest")
manifest=$(put "$work/manifest")

jq -n --arg m "sha256:$manifest" --argjson ms "$manifest_size" --arg name "$name" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m,
               size: $ms, platform: {architecture: "amd64", os: "linux"},
               annotations: {"io.containerd.image.name": $name,
                             "org.opencontainers.image.ref.name": "latest"}}]
}' >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
tar --numeric-owner -C "$work" -cf "$out" oci-layout index.json blobs
