#!/usr/bin/env bash
# Boot prnr's default guest under QEMU (qemu-system-riscv64 -M virt): the
# reference for correct behaviour and for speed.
#
#   guest/run-qemu.sh                        interactive console (Ctrl-A x quits)
#   guest/run-qemu.sh --feed guest/workloads/smoke.sh
#                                            type a script into the console,
#                                            paced, and print timings
#   guest/run-qemu.sh --run /workloads/smoke.sh
#                                            run it via prnr.run= (no typing)
# Options:
#   --cpu SPEC      QEMU -cpu (default: rv64 with the extensions prnr's CPU
#                   lacks turned off; --cpu rv64 gives QEMU's default)
#   --images DIR    the image set (default guest/images; e.g. guest/images-alt)
#   --no-net        no virtio-net device
#   --append ARGS   extra kernel command line
#   --mem MIB       RAM in MiB (default: the manifest's memory_default_mib,
#                   which is also prnr's default, so both boot the same RAM)
#   --disk FILE     use FILE as the virtio disk (default: a scratch copy of
#                   the committed disk.ext4, deleted afterwards)
#   --timeout S     --feed: give up after S seconds (default 300)
#   --log FILE      --feed: also write the console output to FILE
#   --retries N     --feed: re-run up to N times when the console stalls
#                   (exit 125; intermittent under QEMU 7.2, see README; default 2)
#   --print-args    print the QEMU command (program and arguments, one per
#                   line) instead of running it; needs --disk (the caller
#                   provides the disk; bench/suites/boot.mjs uses this)
#   -- ARGS...      extra QEMU arguments
#
# The committed images (guest/images/*.zst) are unpacked and checked against
# SHA256SUMS into $PRNR_GUEST_CACHE (default ${TMPDIR:-/tmp}/prnr-guest-images;
# for --images DIR: ${TMPDIR:-/tmp}/prnr-guest-<basename of DIR>).
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGES=$GUEST_DIR/images
QEMU=${QEMU:-qemu-system-riscv64}

# prnr's CPU: RV64IMAFDC + Zicsr + Zifencei, no Sstc/Svpbmt/Svinval/Svnapot,
# no B/H/V/Zfh/Zihintpause/Sscofpmf. (QEMU 7.2 has no switch to limit the MMU
# to Sv39: the kernel picks sv57 there; on prnr it falls back to sv39.)
STRICT_CPU=rv64,h=off,v=off,sstc=off,svpbmt=off,svinval=off,svnapot=off,zba=off,zbb=off,zbc=off,zbs=off,Zihintpause=off,Zfh=off,Zfhmin=off,sscofpmf=off

cpu=$STRICT_CPU net=1 feed= run= append= disk= mem= timeout=300 log= retries=2 print= extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cpu) cpu=$2; shift 2 ;;
	--images) IMAGES=$(cd "$2" && pwd); shift 2 ;;
	--no-net) net=0; shift ;;
	--feed) feed=$2; shift 2 ;;
	--run) run=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--retries) retries=$2; shift 2 ;;
	--print-args) print=1; shift ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-qemu.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

if [ -n "$print" ] && { [ -z "$disk" ] || [ -n "$feed" ]; }; then
	echo "run-qemu.sh: --print-args needs --disk FILE and no --feed" >&2; exit 2
fi

CACHE=${PRNR_GUEST_CACHE:-${TMPDIR:-/tmp}/prnr-guest-$(basename "$IMAGES")}

# ---- unpack + verify the images (once per content)
mkdir -p "$CACHE"
for z in fw_jump.bin Image disk.ext4; do
	want=$(awk -v f="$z" '$2 == f { print $1 }' "$IMAGES/SHA256SUMS")
	if [ ! -f "$CACHE/$z" ] || [ "$(sha256sum <"$CACHE/$z" | cut -d' ' -f1)" != "$want" ]; then
		zstd -q -d -f "$IMAGES/$z.zst" -o "$CACHE/$z.tmp"
		[ "$(sha256sum <"$CACHE/$z.tmp" | cut -d' ' -f1)" = "$want" ] ||
			{ echo "run-qemu.sh: $z does not match SHA256SUMS" >&2; exit 1; }
		mv "$CACHE/$z.tmp" "$CACHE/$z"
	fi
done
cp "$IMAGES/initramfs.cpio.gz" "$CACHE/initramfs.cpio.gz"

manifest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$IMAGES/manifest.json" "$1"; }
cmdline=$(manifest cmdline)
[ -n "$mem" ] || mem=$(manifest memory_default_mib)
[ -n "$append" ] && cmdline="$cmdline $append"
[ -n "$run" ] && cmdline="$cmdline prnr.run=\"$run\""

scratch=
if [ -z "$disk" ]; then
	scratch=$(mktemp "${TMPDIR:-/tmp}/prnr-disk.XXXXXX")
	cp "$CACHE/disk.ext4" "$scratch"
	disk=$scratch
fi
cleanup() { [ -z "$scratch" ] || rm -f "$scratch"; }
trap cleanup EXIT

args=(
	-M virt -cpu "$cpu" -m "${mem}M" -smp 1
	-bios "$CACHE/fw_jump.bin" -kernel "$CACHE/Image"
	-initrd "$CACHE/initramfs.cpio.gz" -append "$cmdline"
	-device virtio-rng-device
	-drive "file=$disk,if=none,format=raw,id=d0" -device virtio-blk-device,drive=d0
)
if [ "$net" = 1 ]; then
	args+=(-netdev user,id=n0 -device virtio-net-device,netdev=n0)
else
	args+=(-nic none)
fi

if [ -n "$print" ]; then
	printf '%s\n' "$QEMU" "${args[@]}" -nographic "${extra[@]}"
elif [ -n "$feed" ]; then
	# Console on a pipe (no monitor multiplexed on it, so every byte reaches
	# the guest; this is also the form QEMU's record/replay needs).
	logargs=()
	[ -z "$log" ] || logargs=(--log "$log")
	try=0
	while :; do
		[ "$try" = 0 ] || [ -z "$scratch" ] || cp "$CACHE/disk.ext4" "$disk"  # fresh disk
		rc=0
		python3 "$GUEST_DIR/scripts/console-feed.py" --timeout "$timeout" "${logargs[@]}" "$feed" -- \
			"$QEMU" "${args[@]}" -display none -serial stdio -monitor none "${extra[@]}" || rc=$?
		[ "$rc" = 125 ] && [ "$try" -lt "$retries" ] || exit "$rc"
		try=$((try + 1))
		echo "run-qemu.sh: console stalled, re-running ($try/$retries)" >&2
	done
else
	"$QEMU" "${args[@]}" -nographic "${extra[@]}"
fi
