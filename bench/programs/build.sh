#!/usr/bin/env bash
# Builds the bare-metal RV64 benchmark programs in bench/programs/*.c into
# bench/programs/*.elf (committed, so running the benchmarks needs no cross
# compiler).
#
# Each program is first built for the host with the host gcc and run there; the
# checksum it prints is compiled into the guest build as EXPECTED, and the guest
# exits 0 only if it computes the same value.
#
#   bench/programs/build.sh            build every program
#   bench/programs/build.sh --check    also run each ELF under QEMU (-M spike)
#   bench/programs/build.sh --count    also measure each program's instruction
#                                      count (minstret under QEMU -icount shift=0,
#                                      a separate, uncommitted build) and write
#                                      them to counts.json (approximate: QEMU's
#                                      count drifts by ~0.1M between runs)
#
# CoreMark (coremark.elf, coremark-small.elf) is built by coremark/build.sh from
# a CoreMark checkout; this script runs it too when COREMARK_SRC is set (see
# coremark/README.md).
#
# Needs: riscv64-unknown-elf-gcc (Debian: gcc-riscv64-unknown-elf), gcc;
# qemu-system-riscv64 (Debian: qemu-system-misc) for --check and --count.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
out="$here/build"  # intermediates (git-ignored)
mkdir -p "$out"

check=0
count=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --count) check=1; count=1 ;;
    *) echo "usage: $0 [--check] [--count]" >&2; exit 2 ;;
  esac
done

CROSS="${CROSS:-riscv64-unknown-elf-gcc}"
HOSTCC="${HOSTCC:-gcc}"
command -v "$CROSS" >/dev/null || { echo "build.sh: $CROSS not found (apt-get install gcc-riscv64-unknown-elf)" >&2; exit 1; }
command -v "$HOSTCC" >/dev/null || { echo "build.sh: $HOSTCC not found" >&2; exit 1; }

# Same C semantics on both sides: no FMA contraction, no strict-aliasing games.
COMMON_CFLAGS=(-O2 -std=c11 -Wall -Wextra -ffp-contract=off -fno-strict-aliasing -I common)
GUEST_CFLAGS=(-march=rv64gc -mabi=lp64d -mcmodel=medany -static -nostdlib -nostartfiles
  -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-pic
  -T common/link.ld -Wl,--no-warn-rwx-segments -Wl,--build-id=none)

qemu_run() {  # qemu_run ELF [extra args...]: QEMU's exit status is the guest's exit code
  local elf="$1"; shift
  timeout 300 qemu-system-riscv64 -M spike -nographic -bios none -kernel "$elf" "$@" </dev/null
}

# start.S assembled once, into a stably named object: assembling it in the same
# command as the C files would leave a random temporary file name in the symbol
# table and make the committed ELFs differ on every build.
"$CROSS" "${COMMON_CFLAGS[@]}" -march=rv64gc -mabi=lp64d -mcmodel=medany -c -o "$out/start.o" common/start.S

declare -A counts=()
for src in *.c; do
  name="${src%.c}"
  "$HOSTCC" "${COMMON_CFLAGS[@]}" -o "$out/$name.host" "$src" common/host.c
  expected="$("$out/$name.host")"
  "$CROSS" "${COMMON_CFLAGS[@]}" "${GUEST_CFLAGS[@]}" -DEXPECTED="$expected" \
    -o "$name.elf" "$out/start.o" "$src" common/guest.c
  size="$(stat -c %s "$name.elf")"
  printf '%-22s checksum %s  %6d bytes\n' "$name.elf" "$expected" "$size"

  if [ "$check" = 1 ] && command -v qemu-system-riscv64 >/dev/null; then
    if qemu_run "$name.elf" >"$out/$name.qemu.txt" 2>&1; then
      echo "    qemu: pass"
    else
      echo "    qemu: FAIL (exit $?)"; cat "$out/$name.qemu.txt"; exit 1
    fi
  fi
  if [ "$count" = 1 ]; then
    "$CROSS" "${COMMON_CFLAGS[@]}" "${GUEST_CFLAGS[@]}" -DEXPECTED="$expected" -DREPORT_INSTRET \
      -o "$out/$name.count.elf" "$out/start.o" "$src" common/guest.c
    line="$(qemu_run "$out/$name.count.elf" -icount shift=0 | tr -d '\r')"
    echo "    qemu $line"
    counts[$name]="${line#minstret=}"
  fi
done

if [ "$count" = 1 ]; then
  {
    echo '{'
    echo '  "source": "minstret read at the end of main() in a -DREPORT_INSTRET build, under qemu-system-riscv64 -M spike -icount shift=0 (approximate)",'
    echo '  "programs": {'
    names=($(printf '%s\n' "${!counts[@]}" | sort))
    for i in "${!names[@]}"; do
      sep=','; [ "$i" = "$((${#names[@]} - 1))" ] && sep=''
      echo "    \"${names[$i]}\": ${counts[${names[$i]}]}$sep"
    done
    echo '  }'
    echo '}'
  } > counts.json
  echo "wrote counts.json"
fi

if [ -n "${COREMARK_SRC:-}" ]; then
  if [ "$check" = 1 ]; then "$here/coremark/build.sh" --check; else "$here/coremark/build.sh"; fi
fi
