#!/usr/bin/env bash
# webgpu-weight-init device run: the GPU test subset, the benchmark and the PyTorch CUDA peer on this
# machine's GPU, with nothing from outside this folder but bash, glibc, xz (or python3's lzma) and the
# GPU driver. Built by `npm run device:bundle` (scripts/device/bundle.ts).
#
#   bash run.sh [--quick]        OUT=/some/dir bash run.sh
#
# Unpacks Node, dawn.node and the app under /tmp (once per bundle), picks the NVIDIA Vulkan ICD when one is
# installed (else whatever VK_ICD_FILENAMES names), adds the bundled Vulkan loader and X11 libraries that
# the system lacks to LD_LIBRARY_PATH, and writes $OUT/device-report.json (OUT defaults to this folder's
# out/). stdout: one JSON line naming the report; progress on stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$HERE/out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
ID="$(tr -d '[:space:]' < "$HERE/BUNDLE_ID")"
WORK="/tmp/webgpu-weight-init-device-$ID"

unxz_to() { # unxz_to SOURCE TARGET
  if command -v xz > /dev/null 2>&1; then
    xz -dc "$1" > "$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

if [ ! -x "$WORK/bin/node" ]; then
  echo "device: unpacking into $WORK" >&2
  PARTIAL="$WORK.partial.$$"
  rm -rf "$PARTIAL"
  mkdir -p "$PARTIAL/bin"
  cp -R "$HERE/app" "$PARTIAL/app"
  cp -R "$HERE/lib" "$PARTIAL/lib"
  mkdir -p "$PARTIAL/app/node_modules/webgpu/dist/linux-x64"
  unxz_to "$HERE/dawn.node.xz" "$PARTIAL/app/node_modules/webgpu/dist/linux-x64/dawn.node"
  unxz_to "$HERE/node.xz" "$PARTIAL/bin/node"
  for xz in "$PARTIAL"/app/ttft-web/ort/*.xz; do
    [ -f "$xz" ] || continue
    unxz_to "$xz" "${xz%.xz}"
    rm -f "$xz"
  done
  chmod +x "$PARTIAL/bin/node"
  rm -rf "$WORK"
  mv "$PARTIAL" "$WORK"
fi

# The Vulkan ICD: NVIDIA's when installed, else VK_ICD_FILENAMES as given.
DEVICE_ICD_SOURCE="VK_ICD_FILENAMES"
for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
  for icd in "$dir"/nvidia*.json; do
    if [ -f "$icd" ]; then
      if [ -n "${VK_ICD_FILENAMES:-}" ] && [ "$VK_ICD_FILENAMES" != "$icd" ]; then
        echo "device: NVIDIA ICD $icd replaces VK_ICD_FILENAMES=$VK_ICD_FILENAMES" >&2
      fi
      export VK_ICD_FILENAMES="$icd"
      DEVICE_ICD_SOURCE="nvidia"
      break 2
    fi
  done
done
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  DEVICE_ICD_SOURCE="none"
  echo "device: no NVIDIA Vulkan ICD found and VK_ICD_FILENAMES is not set; the Vulkan loader searches its default places" >&2
fi
export DEVICE_ICD_SOURCE
echo "device: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}" >&2

# Bundled libraries the system does not have (by soname), in a directory of their own.
LDCONFIG="$(command -v ldconfig || echo /sbin/ldconfig)"
SYSTEM_LIBS="$("$LDCONFIG" -p 2> /dev/null || true)"
USE="$WORK/use-lib"
rm -rf "$USE"
mkdir -p "$USE"
DEVICE_BUNDLED_LIBS=""
for lib in "$WORK"/lib/*.so.*; do
  name="$(basename "$lib")"
  # sonames only (libfoo.so.N); the fully versioned files are their link targets.
  case "$name" in *.so.[0-9]) ;; *) continue ;; esac
  if ! grep -q "[[:space:]]$name " <<< "$SYSTEM_LIBS"; then
    ln -s "$(readlink -f "$lib")" "$USE/$name"
    DEVICE_BUNDLED_LIBS="$DEVICE_BUNDLED_LIBS $name"
  fi
done
export DEVICE_BUNDLED_LIBS
export LD_LIBRARY_PATH="$USE${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -n "$DEVICE_BUNDLED_LIBS" ]; then echo "device: bundled libraries in use:$DEVICE_BUNDLED_LIBS" >&2; fi

exec "$WORK/bin/node" "$WORK/app/device.mjs" --out "$OUT" "$@"
