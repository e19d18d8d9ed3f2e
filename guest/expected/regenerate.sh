#!/usr/bin/env bash
# Regenerate guest/expected/smoke.qemu.txt: the console of QEMU 7.2
# (qemu-system-riscv64 -M virt) booting the committed images with the smoke
# workload given on the kernel command line (prnr.run=, nothing typed), to
# power-off. packages/machine/src/qemu-console.test.ts boots prnr's virt
# machine with the same images, command line and RAM and compares the two
# line by line (the lines excepted, and why, are listed in that test).
#
#   guest/expected/regenerate.sh            write smoke.qemu.txt
#   guest/expected/regenerate.sh --check N  boot N times, print how the
#                                           normalised outputs differ, write nothing
#
# Script mode, not typed input: QEMU 7.2 sometimes stalls console output when
# input is fed to it (guest/README.md). `-icount shift=0` (the guest clock
# follows the instruction count) keeps the kernel's boot log in the same order
# run to run except for asynchronous work (see the test's exception table);
# `-rtc base=...,clock=vm` starts the RTC at the instant the test's clock port
# gives, and `-seed 1` makes QEMU's guest randomness (virtio-rng, the device
# tree's rng-seed) repeatable: regenerating gives the same file unless
# something changed.
# Normalisation (the test applies the same to prnr's output): CRs removed,
# kernel timestamps "[    1.234567] " removed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST=$(dirname "$HERE")
OUT=$HERE/smoke.qemu.txt
QEMU=${QEMU:-qemu-system-riscv64}
WORKLOAD=/workloads/smoke.sh

check=0
case "${1:-}" in
--check) check=${2:-3} ;;
'') ;;
*) echo "usage: $0 [--check N]" >&2; exit 2 ;;
esac

mem=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["memory_default_mib"])' "$GUEST/images/manifest.json")
run_args=(--no-net --mem "$mem" --run "$WORKLOAD" -- -icount shift=0 -rtc base=2025-11-24T16:00:00,clock=vm -seed 1)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prnr-expected.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

normalise() { sed -E 's/\r//g; s/\[ *[0-9]+\.[0-9]{6}\] //g'; }

# One boot: raw console in $tmp/raw.N, normalised in $tmp/norm.N.
boot() {
	local n=$1 rc=0
	timeout 300 "$GUEST/run-qemu.sh" "${run_args[@]}" </dev/null >"$tmp/raw.$n" 2>"$tmp/err.$n" || rc=$?
	normalise <"$tmp/raw.$n" >"$tmp/norm.$n"
	# smoke.sh ends with `poweroff -f` (init's "exit status" line never comes); QEMU exits 0 on power-off.
	if [ "$rc" != 0 ] || ! grep -qx 'smoke: done' "$tmp/norm.$n" || ! grep -qx 'reboot: Power down' "$tmp/norm.$n"; then
		cp "$tmp/raw.$n" "${TMPDIR:-/tmp}/smoke.qemu.raw.txt"
		echo "regenerate.sh: QEMU run $n failed (exit $rc) or the workload did not reach \"smoke: done\" and power off;" \
			"raw console in ${TMPDIR:-/tmp}/smoke.qemu.raw.txt" >&2
		cat "$tmp/err.$n" >&2
		exit 1
	fi
}

if [ "$check" -gt 0 ]; then
	for i in $(seq 1 "$check"); do boot "$i"; done
	for i in $(seq 2 "$check"); do
		echo "== run 1 vs run $i"
		diff "$tmp/norm.1" "$tmp/norm.$i" || true
	done
	exit 0
fi

boot 1
sum() { awk -v f="$1" '$2 == f { print $1 }' "$GUEST/images/SHA256SUMS"; }
cmdline=$(sed -n 's/^Kernel command line: //p' "$tmp/norm.1")
{
	echo "# QEMU's console for prnr's smoke workload in script mode, boot to power-off,"
	echo "# compared line by line with prnr's by packages/machine/src/qemu-console.test.ts."
	echo "# regenerate: guest/expected/regenerate.sh (check the variation: --check 3)"
	echo "# qemu: $("$QEMU" --version | head -1)"
	echo "# command: guest/run-qemu.sh ${run_args[*]}"
	echo "# cmdline: $cmdline"
	echo "# memory-mib: $mem"
	echo "# normalised: CRs removed, kernel timestamps \"[    1.234567] \" removed"
	for f in fw_jump.bin Image initramfs.cpio.gz disk.ext4; do echo "# sha256 $f $(sum "$f")"; done
	cat "$tmp/norm.1"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT ($(grep -vc '^#' "$OUT") console lines)"
