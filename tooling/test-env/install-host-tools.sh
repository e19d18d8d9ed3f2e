#!/usr/bin/env bash
# Installs the Debian packages the tests use, those that are missing:
#   redis-server          distributed replay (apps/cli, apps/server)
#   chromium              the web UI's browser test (apps/server)
#   device-tree-compiler  dtc decodes our device trees (packages/devices)
#   qemu-system-misc      qemu-system-riscv64's own virt tree (packages/devices)
#   gdb-multiarch         drives `prnr gdb` (apps/cli)
#   dwarves               pahole, the reference for prnr's BTF and DWARF readers (packages/diagnosis)
#   gcc-riscv64-linux-gnu compiles the DWARF reader's test object (packages/diagnosis)
# Uses sudo when not root. Says what it installs in one line; silent when
# nothing is missing. Part of the README's test command and of .ci/run.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x "${PRNR_CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium)
command -v dtc >/dev/null 2>&1 || need+=(device-tree-compiler)
command -v qemu-system-riscv64 >/dev/null 2>&1 || need+=(qemu-system-misc)
command -v gdb-multiarch >/dev/null 2>&1 || need+=(gdb-multiarch)
command -v pahole >/dev/null 2>&1 || need+=(dwarves)
command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-riscv64-linux-gnu)
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-host-tools: missing ${need[*]}, and there is no apt-get to install them: install them with your package manager (or run \`pnpm test\`, which skips what needs them)" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-host-tools: missing ${need[*]}: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "install-host-tools: installing ${need[*]} (Debian packages the tests use)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600)
if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "install-host-tools: apt-get install ${need[*]} failed (its last lines are above)" >&2
  exit 1
fi
