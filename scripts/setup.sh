#!/usr/bin/env bash
# Installs what the library's tests and its no-GPU path need on a Debian machine:
#   - chromium: ships SwiftShader (a software Vulkan driver) that Dawn uses when there is no GPU, and
#     is the browser the browser tests drive;
#   - libvulkan1: the Vulkan loader Dawn opens;
#   - jq: the README's CLI examples pipe the JSON output into it (test/docs/snippets.test.ts runs them);
#   - the npm packages from package-lock.json. ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node (a dev dependency, and
#     one of transformers.js's) ships its CPU binaries in the package; its install script would otherwise try to
#     download the binaries it does not bundle (CUDA), which cannot work offline.
# When another apt/dpkg process holds the package manager's lock, apt-get is retried every
# SETUP_APT_LOCK_POLL seconds (default 5) for at most SETUP_APT_LOCK_TIMEOUT seconds (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."

lock_timeout="${SETUP_APT_LOCK_TIMEOUT:-600}"
lock_poll="${SETUP_APT_LOCK_POLL:-5}"

# Runs apt-get with the given arguments; while it fails because another process holds the dpkg or
# apt lists lock, waits and runs it again, until lock_timeout seconds have passed.
apt_get_waiting_for_lock() {
  local deadline=$((SECONDS + lock_timeout)) log status
  log="$(mktemp)"
  while true; do
    status=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get "$@" 2>"$log" || status=$?
    cat "$log" >&2
    if ((status == 0)); then
      rm -f "$log"
      return 0
    fi
    if ! grep -qE 'Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock' "$log"; then
      rm -f "$log"
      return "$status"
    fi
    if ((SECONDS >= deadline)); then
      echo "setup: the package manager's lock was still held after ${lock_timeout}s; finish or stop the other apt/dpkg process and run this again (SETUP_APT_LOCK_TIMEOUT sets the wait)" >&2
      rm -f "$log"
      return "$status"
    fi
    echo "setup: another process holds the package manager's lock; retrying in ${lock_poll}s (at most ${lock_timeout}s in all)" >&2
    sleep "$lock_poll"
  done
}

missing=()
for pkg in chromium libvulkan1 jq; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_get_waiting_for_lock update -q
  apt_get_waiting_for_lock install -y -q "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
