#!/bin/sh
# Regenerates fp-vectors.bin (the fixture of packages/cpu/src/fpu/fp-vectors.test.ts)
# from the host CPU. Needs gcc and an x86-64 CPU with FMA and AVX-512F.
# The generator's RNG has a fixed seed: the output is reproducible.
set -eu
cd "$(dirname "$0")"
tmp="${TMPDIR:-/tmp}/gen-fp-vectors.$$"
gcc -std=gnu11 -O1 -Wall -Wextra -frounding-math -fsignaling-nans -ffp-contract=off \
  -mfma -mavx512f -o "$tmp" gen-fp-vectors.c -lm
"$tmp" fp-vectors.bin
rm -f "$tmp"
ls -l fp-vectors.bin
