#!/usr/bin/env bash
# Regenerates the disassembler vectors checked by src/disasm.test.ts. Each line is
# "<pc> <encoding> <objdump text>": pc and encoding in hex, the text as GNU objdump
# (binutils 2.40, default options, so aliases on) prints it, tabs turned into spaces.
#   asm.txt     insns.s assembled by GNU as with -march=rv64gc, once with RVC (as compresses
#               what it can) and once without, plus insns-rvc.s (every c. mnemonic)
#   random.txt  corner encodings and seeded pseudo-random words: 16-bit, and 32-bit for
#               every major opcode, with register and funct fields biased towards the
#               values that select pseudo-instructions
#   kernel.txt  2000 instructions from the start of guest/images/Image.zst and 2000 from
#               1 MiB in (a flat image linked at 0xffffffff80000000)
# Everything is disassembled as a flat binary (-b binary -m riscv:rv64) so that branch
# targets print as absolute addresses rather than symbols.
# Needs binutils for riscv64 (Debian: binutils-riscv64-linux-gnu), zstd and node.
set -euo pipefail
AS=${AS:-riscv64-linux-gnu-as}
OBJCOPY=${OBJCOPY:-riscv64-linux-gnu-objcopy}
OBJDUMP=${OBJDUMP:-riscv64-linux-gnu-objdump}
N_RANDOM=${N_RANDOM:-6000}
here=$(cd "$(dirname "$0")" && pwd)
image="$here/../../../../guest/images/Image.zst"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# dis FILE VMA [objdump options...]: one "<pc> <encoding> <text>" line per 2- or 4-byte
# instruction (objdump's multi-word data lines, for lengths RV64GC lacks, are left out).
dis() {
  local file=$1 vma=$2; shift 2
  "$OBJDUMP" -D -z -b binary -m riscv:rv64 --adjust-vma="$vma" "$@" "$file" |
    sed -nE 's/^ *([0-9a-f]+):\t([0-9a-f]{4}|[0-9a-f]{8}) *\t(.*)$/\1 \2 \3/p' | tr '\t' ' '
}

text_of() { # assemble $1 with the given options and dump its .text as a flat binary
  local src=$1 out=$2; shift 2
  "$AS" -march=rv64gc -mno-relax "$@" -o "$tmp/$out.o" "$src"
  "$OBJCOPY" -O binary -j .text "$tmp/$out.o" "$tmp/$out.bin"
}

{ echo '.option rvc'; cat "$here/insns.s"; } > "$tmp/rvc.s"
{ echo '.option norvc'; cat "$here/insns.s"; } > "$tmp/norvc.s"
text_of "$tmp/rvc.s" rvc
text_of "$tmp/norvc.s" norvc
text_of "$here/insns-rvc.s" c
{
  dis "$tmp/rvc.bin" 0x80000000
  dis "$tmp/norvc.bin" 0x80100000
  dis "$tmp/c.bin" 0x80200000
} > "$here/asm.txt"

N_RANDOM=$N_RANDOM node - "$tmp/random.bin" <<'JS'
const fs = require('node:fs');
// mulberry32: a small seeded generator, so the file only changes when this script does.
let seed = 0x5eed;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
};
const pick = (xs) => xs[rand() % xs.length];
const chance = (p) => rand() / 2 ** 32 < p;
const words = []; // [value, bytes]
const put16 = (h) => words.push([h & 0xffff, 2]);
const put32 = (w) => words.push([w >>> 0, 4]);
// Corners: reserved and HINT compressed encodings, legacy and exact-match system words.
for (const h of [0x0000, 0x0004, 0x0001, 0x0005, 0x4001, 0x4005, 0x6001, 0x6005, 0x6101, 0x6181, 0x2001, 0x2085,
  0x0002, 0x0006, 0x0082, 0x8001, 0x8401, 0x8002, 0x8006, 0x9002, 0x9006, 0x4002, 0x6002, 0x9c41, 0x9c61, 0xffff, 0xf07f]) put16(h);
for (const w of [0x00000013, 0x00100013, 0x00000073, 0x00100073, 0x00200073, 0x10200073, 0x20200073, 0x30200073,
  0x7b200073, 0x10500073, 0x10400073, 0x10458073, 0x12000073, 0x12058073, 0x12b58073, 0x12b00073, 0x12000573,
  0x0000100f, 0x0000108f, 0x0ff0000f, 0x8330000f, 0x8330008f, 0x0000000f, 0x0100000f, 0x0010000f, 0x1ff0000f,
  0xc0001073, 0xc0002573, 0x00102573, 0x00159073, 0x00105073, 0x0012d073, 0x0020d073, 0x0030d073, 0x0ff57513,
  0x00005063, 0x420011d3, 0x42000053, 0xd2000053, 0xd2007053, 0xd2100053, 0xd2200053, 0xd2207053, 0x40107053]) put32(w);
// Every CSR address read with csrr, so each name objdump knows is checked once.
for (let csr = 0; csr < 4096; csr += 1) if (chance(0.25) || csr < 4 || (csr & 0xff) < 0x10) put32((csr << 20) | (10 << 7) | (2 << 12) | 0x73);
const OPCODES = [];
for (let op = 0; op < 128; op++) if ((op & 3) === 3 && ((op >> 2) & 7) !== 7) OPCODES.push(op);
const setField = (w, lo, width, v) => (w & ~(((1 << width) - 1) << lo)) | (v << lo);
for (let i = 0; i < +process.env.N_RANDOM; i++) {
  if (i % 3 === 0) { // a 16-bit word
    let h = rand() & 0xffff;
    if ((h & 3) === 3) h ^= 1 << (rand() % 2);
    if (chance(0.1)) h &= ~(0x1f << 7);
    if (chance(0.1)) h &= ~(0x1f << 2);
    put16(h);
    continue;
  }
  let w = setField(rand(), 0, 7, pick(OPCODES));
  if (chance(0.2)) w = setField(w, 7, 5, pick([0, 1]));
  if (chance(0.2)) w = setField(w, 15, 5, pick([0, 1]));
  if (chance(0.25)) w = setField(w, 20, 5, pick([0, 1, (w >>> 15) & 0x1f]));
  if (chance(0.4)) w = setField(w, 25, 7, pick([0, 0x20, 0x01, 0x7f]));
  if (chance(0.1)) w = setField(w, 20, 12, pick([0, 1, 0xfff, 0xff, 0x7ff, 0x800]));
  if (((w >>> 12) & 7) === 7 && chance(0.3)) w = setField(w, 12, 3, pick([0, 7]));
  put32(w);
}
const buf = Buffer.alloc(words.reduce((n, [, b]) => n + b, 0));
let at = 0;
for (const [v, b] of words) { if (b === 2) buf.writeUInt16LE(v, at); else buf.writeUInt32LE(v, at); at += b; }
fs.writeFileSync(process.argv[2], buf);
JS
dis "$tmp/random.bin" 0x80200000 > "$here/random.txt"

zstd -qdc "$image" > "$tmp/Image"
{
  dis "$tmp/Image" 0xffffffff80000000 --stop-address=0xffffffff80004000 | sed -n 1,2000p
  dis "$tmp/Image" 0xffffffff80000000 --start-address=0xffffffff80100000 --stop-address=0xffffffff80104000 | sed -n 1,2000p
} > "$here/kernel.txt"
wc -l "$here"/asm.txt "$here"/random.txt "$here"/kernel.txt
