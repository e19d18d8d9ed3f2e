#!/usr/bin/env bash
# Builds CoreMark for the bare RV64 machine of bench/programs: our port layer
# (this folder) around EEMBC's unmodified sources, from a checkout given in
# COREMARK_SRC. Writes bench/programs/coremark.elf (the benchmark) and
# bench/programs/coremark-small.elf (few iterations, for tests); both are
# committed, so nothing else needs the source or the cross compiler.
#
#   COREMARK_SRC=/path/to/coremark bench/programs/coremark/build.sh [--check]
#
# --check also runs both ELFs under QEMU (-M spike) and requires exit 0.
# Needs: riscv64-unknown-elf-gcc (Debian: gcc-riscv64-unknown-elf); neither libc
# nor libgcc (the port has its own ee_printf, memset and memcpy).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
programs="$(dirname "$here")"
out="$programs/build/coremark"  # intermediates (git-ignored)

check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    *) echo "usage: COREMARK_SRC=DIR $0 [--check]" >&2; exit 2 ;;
  esac
done

# Iterations, fixed so every engine does the same work. ITERATIONS: about 1-3 s
# on prnr's wasm engine. SMALL: enough instructions (>10M) that CoreMark's own
# "at least 10 secs" check passes on the virtual 1 MHz instruction clock.
ITERATIONS="${ITERATIONS:-2000}"
SMALL_ITERATIONS="${SMALL_ITERATIONS:-40}"

if [ -z "${COREMARK_SRC:-}" ]; then
  echo "coremark/build.sh: COREMARK_SRC is not set: point it at a checkout of https://github.com/eembc/coremark" >&2
  exit 1
fi
for f in coremark.h core_main.c core_list_join.c core_matrix.c core_state.c core_util.c; do
  [ -f "$COREMARK_SRC/$f" ] || { echo "coremark/build.sh: $COREMARK_SRC/$f is missing: COREMARK_SRC must be a checkout of eembc/coremark" >&2; exit 1; }
done
CROSS="${CROSS:-riscv64-unknown-elf-gcc}"
command -v "$CROSS" >/dev/null || { echo "coremark/build.sh: $CROSS not found (apt-get install gcc-riscv64-unknown-elf)" >&2; exit 1; }
mkdir -p "$out"

# Copy CoreMark's sources into the build folder first: compiling them from a
# stable path keeps the ELFs byte-identical whatever COREMARK_SRC is.
for f in coremark.h core_main.c core_list_join.c core_matrix.c core_state.c core_util.c; do
  cp "$COREMARK_SRC/$f" "$out/$f"
done

OPT=(-O2)
ARCH=(-march=rv64gc -mabi=lp64d -mcmodel=medany)
# FLAGS_STR is what CoreMark prints as "Compiler flags".
CFLAGS=("${OPT[@]}" "${ARCH[@]}" -std=gnu11 -static -nostdlib -nostartfiles -ffreestanding -fno-pic
  -I "$here" -I "$out" -T ../common/link.ld -Wl,--no-warn-rwx-segments -Wl,--build-id=none)
flags_str="${OPT[*]} ${ARCH[*]}"

cd "$here"
# start.S assembled once into a stably named object (as ../build.sh does), so
# no temporary file name lands in the symbol table.
"$CROSS" "${ARCH[@]}" -c -o "$out/start.o" ../common/start.S

build() {  # build OUTPUT ITERATIONS
  "$CROSS" "${CFLAGS[@]}" -DITERATIONS="$2" -DFLAGS_STR="\"$flags_str\"" -o "$1" \
    "$out/start.o" core_portme.c printf.c htif.c \
    "$out/core_main.c" "$out/core_list_join.c" "$out/core_matrix.c" "$out/core_state.c" "$out/core_util.c"
  printf '%-22s %5s iterations  %6d bytes\n' "$(basename "$1")" "$2" "$(stat -c %s "$1")"
}
build "$programs/coremark.elf" "$ITERATIONS"
build "$programs/coremark-small.elf" "$SMALL_ITERATIONS"

if [ "$check" = 1 ]; then
  for elf in coremark-small.elf coremark.elf; do
    if timeout 300 qemu-system-riscv64 -M spike -nographic -bios none -kernel "$programs/$elf" </dev/null >"$out/$elf.qemu.txt" 2>&1; then
      echo "    $elf on qemu: pass"
    else
      echo "    $elf on qemu: FAIL (exit $?)"; cat "$out/$elf.qemu.txt"; exit 1
    fi
  done
fi
