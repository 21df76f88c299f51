#!/usr/bin/env bash
# Installs what the library's tests and its no-GPU path need on a Debian machine:
#   - chromium: ships SwiftShader (a software Vulkan driver) that Dawn uses when there is no GPU, and
#     is the browser the browser tests drive;
#   - libvulkan1: the Vulkan loader Dawn opens;
#   - the npm packages from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in chromium libvulkan1; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
