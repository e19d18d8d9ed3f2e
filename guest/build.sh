#!/usr/bin/env bash
# Build prnr's default riscv64 guest from Debian (bookworm) packages only and
# write the compressed images into guest/images/.
#
#   bash guest/build.sh          everything
#   bash guest/build.sh --disk   only strace and the data disk (on a work dir
#                                with a full build of the committed images)
#   bash guest/build.sh --alt    the alternative kernel (SMP, cgroups, debug
#                                info + BTF) into guest/images-alt/, with the
#                                default's firmware, initramfs and disk (on a
#                                work dir with a full build of guest/images)
#
# Work dir (sources, build trees, uncompressed outputs): $PRNR_GUEST_BUILD,
# default /tmp/prnr-guest-build. Parallel jobs: $PRNR_JOBS (default 2).
# Re-runnable: sources are unpacked once, kernel and busybox build
# incrementally, the images are regenerated every time (byte-identically).
#
# Needs (apt): gcc-riscv64-linux-gnu libc6-dev-riscv64-cross opensbi flex bison
# bc libssl-dev libelf-dev cpio linux-source-6.1 e2fsprogs zstd python3
# dpkg-dev (for `apt-get source`), and network access to a Debian mirror for
# the busybox and strace sources; --alt also needs dwarves (pahole, for BTF).
set -Eeuo pipefail
trap 'echo "build.sh: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${PRNR_GUEST_BUILD:-/tmp/prnr-guest-build}
JOBS=${PRNR_JOBS:-2}
IMAGES=$GUEST_DIR/images
CONFIG=$GUEST_DIR/config
OUT=$WORK/out                 # uncompressed results
ALT_IMAGES=$GUEST_DIR/images-alt
ALT_OUT=$WORK/out-alt         # uncompressed results of --alt

# Fixed time for everything reproducible: 2025-01-01T00:00:00Z.
export SOURCE_DATE_EPOCH=1735689600
export KBUILD_BUILD_TIMESTAMP="Wed Jan  1 00:00:00 UTC 2025"
export KBUILD_BUILD_USER=prnr KBUILD_BUILD_HOST=prnr KBUILD_BUILD_VERSION=1
export TZ=UTC LC_ALL=C
umask 022

CROSS=riscv64-linux-gnu-
CMDLINE="console=ttyS0 earlycon=sbi"
OPENSBI_BIN=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
LINUX_TARBALL=/usr/src/linux-source-6.1.tar.xz
DEBIAN_MIRROR=${PRNR_DEBIAN_MIRROR:-}

log() { printf '\n=== %s [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }

check_tools() {
	local t missing=()
	for t in ${CROSS}gcc ${CROSS}strip make flex bison bc cpio gzip zstd mke2fs python3 \
		apt-get dpkg-source sha256sum xz debugfs e2fsck gcc; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ -f "$OPENSBI_BIN" ] || missing+=("$OPENSBI_BIN (opensbi)")
	[ -f "$LINUX_TARBALL" ] || missing+=("$LINUX_TARBALL (linux-source-6.1)")
	[ "${1:-}" != --alt ] || command -v pahole >/dev/null || missing+=("pahole (dwarves)")
	[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]}"
}

# ---------------------------------------------------------------- OpenSBI
build_opensbi() {
	log "OpenSBI $(pkgver opensbi)"
	install -m 644 "$OPENSBI_BIN" "$OUT/fw_jump.bin"
}

# ---------------------------------------------------------------- Linux
unpack_linux() {
	local ver
	ver=$(pkgver linux-source-6.1)
	if [ "$(cat "$WORK/.linux-source.stamp" 2>/dev/null)" != "$ver" ]; then
		rm -rf "$WORK/linux-source-6.1" "$WORK/linux-build" "$WORK/linux-build-alt"
		tar -C "$WORK" -xf "$LINUX_TARBALL"
		echo "$ver" >"$WORK/.linux-source.stamp"
	fi
}

# build_linux FRAGMENT BUILD_DIR OUT_DIR RESOLVED_CONFIG
build_linux() {
	local frag=$1 bld=$2 out=$3 resolved=$4 src=$WORK/linux-source-6.1
	log "Linux from linux-source-6.1 $(pkgver linux-source-6.1) ($(basename "$frag"))"
	unpack_linux
	local mk=(make -C "$src" O="$bld" ARCH=riscv CROSS_COMPILE=$CROSS)
	"${mk[@]}" -s KCONFIG_ALLCONFIG="$frag" allnoconfig
	check_fragment "$frag" "$bld/.config"
	"${mk[@]}" -j"$JOBS" Image
	install -m 644 "$bld/arch/riscv/boot/Image" "$out/Image"
	install -m 644 "$bld/System.map" "$out/System.map"
	# The full resolved config, for reference (the fragment is the source).
	sed '/^# Linux\/riscv .* Kernel Configuration$/d' "$bld/.config" >"$resolved"
	KERNEL_RELEASE=$(cat "$bld/include/config/kernel.release")
}

# The alt kernel's fragment: linux.fragment with linux-alt.fragment's settings
# replacing the same options (and added), so that check_fragment holds.
merge_alt_fragment() {
	python3 - "$CONFIG/linux.fragment" "$CONFIG/linux-alt.fragment" <<'EOF'
import re, sys
def opt(l):
    m = re.match(r'(CONFIG_\w+)=', l)
    return m[1] if m else None
alt = open(sys.argv[2]).read().splitlines()
override = {opt(l) for l in alt} - {None}
base = [l for l in open(sys.argv[1]).read().splitlines() if opt(l) not in override]
print('\n'.join(base + ['', '# ---- from linux-alt.fragment ----'] + alt))
EOF
}

# Every CONFIG_X=v in the fragment must have ended up in .config as asked
# (allnoconfig silently drops what it cannot satisfy).
check_fragment() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
cfg = {}
for l in open(sys.argv[2]):
    m = re.match(r'(CONFIG_\w+)=(.*)', l)
    if m: cfg[m[1]] = m[2]
bad = []
for l in open(sys.argv[1]):
    m = re.match(r'(CONFIG_\w+)=(\S*)', l)
    if m and cfg.get(m[1], 'n') != m[2]:
        bad.append(f'{m[1]}: wanted {m[2]}, got {cfg.get(m[1], "n")}')
if bad:
    sys.exit('linux.fragment not satisfied:\n  ' + '\n  '.join(bad))
EOF
}

# ---------------------------------------------------------------- profile
# Structure offsets: compile guest/profile/offsets.c with kbuild's own command
# line for asm-offsets.c and read back the "->NAME value" markers.
# build_profile BUILD_DIR OUT_DIR
build_profile() {
	local bld=$1 out=$2 cmd
	log "guest profile ($(basename "$bld"))"
	cmd=$(sed -n 's|^cmd_arch/riscv/kernel/asm-offsets.s := ||p' \
		"$bld/arch/riscv/kernel/.asm-offsets.s.cmd")
	[ -n "$cmd" ] || die "no asm-offsets command line in the kernel build"
	cmd=${cmd/-Wp,-MMD,arch\/riscv\/kernel\/.asm-offsets.s.d /}
	cmd=${cmd% -o arch/riscv/kernel/asm-offsets.s *}
	(cd "$bld" && eval "$cmd -o $out/offsets.s $GUEST_DIR/profile/offsets.c")
	python3 "$GUEST_DIR/scripts/make-profile.py" \
		--offsets "$out/offsets.s" --system-map "$out/System.map" \
		--kbuild "$bld" --linux-package "linux-source-6.1 $(pkgver linux-source-6.1)" \
		>"$out/profile.json"
}

# ---------------------------------------------------------------- Debian sources
# `apt-get source PKG` into DIR (once), with a private apt config: its own
# `deb-src … bookworm main` list, lists dir and cache under the work dir, so the
# system's apt state is not touched. The mirror is the first Debian
# (non-security) URI of the system's apt sources, or $PRNR_DEBIAN_MIRROR.
debian_source() {
	local pkg=$1 dir=$2 apt=$WORK/apt mirror
	ls -d "$dir/$pkg"-*/ >/dev/null 2>&1 && return 0
	mirror=$DEBIAN_MIRROR
	if [ -z "$mirror" ]; then
		mirror=$( { grep -hsE '^[[:space:]]*(URIs:|deb[[:space:]])' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources || true; } |
			grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security |
			head -1 | tr -d ' ' || true)
		mirror=${mirror:-http://deb.debian.org/debian}
	fi
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir"
	echo "deb-src $mirror bookworm main" >"$apt/sources.list"
	local o=(-o Dir::Etc::sourcelist="$apt/sources.list"
		-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$apt/lists"
		-o Dir::Cache="$apt/cache" -o APT::Get::List-Cleanup=0
		-o APT::Sandbox::User=root)
	apt-get "${o[@]}" update
	(cd "$dir" && apt-get "${o[@]}" source "$pkg")
}

# ---------------------------------------------------------------- busybox
build_busybox() {
	local src bld=$WORK/busybox-build
	log "busybox (Debian source)"
	debian_source busybox "$WORK/bbsrc"
	src=$(ls -d "$WORK"/bbsrc/busybox-*/ | head -1)
	BUSYBOX_DEB_VERSION=$(sed -n 's/^Version: //p' "$WORK"/bbsrc/busybox_*.dsc | head -1)
	mkdir -p "$bld"
	# defconfig + static, minus `tc` (does not build statically with glibc).
	make -s -C "$src" O="$bld" defconfig >/dev/null
	sed -i -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
		-e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' \
		-e '/^CONFIG_FEATURE_TC_INGRESS=y/d' \
		-e "s/^CONFIG_CROSS_COMPILER_PREFIX=.*/CONFIG_CROSS_COMPILER_PREFIX=\"$CROSS\"/" \
		"$bld/.config"
	(yes '' || true) | KCONFIG_NOTIMESTAMP=1 make -s -C "$bld" oldconfig >/dev/null
	grep -q '^CONFIG_STATIC=y' "$bld/.config" || die "busybox: CONFIG_STATIC not set"
	make -C "$bld" -j"$JOBS" busybox
	install -m 644 "$bld/.config" "$CONFIG/busybox.config"
	install -m 755 "$bld/busybox" "$OUT/busybox"
	"${CROSS}readelf" -l "$OUT/busybox" | grep -q INTERP && die "busybox is not static"
	BUSYBOX_SRC=$src
	true
}

# ---------------------------------------------------------------- strace
# A static strace for the guest (the oracle packages/diagnosis compares its
# syscall trace with). It goes on the data disk (/bin/strace there), not in the
# initramfs. Debian's source, built out of tree without the optional libraries
# (libunwind, libdw, libiberty: -k stack traces and symbol demangling), no
# multiple personalities (riscv64 has none), -O2 without debug info, stripped.
build_strace() {
	local src bld=$WORK/strace-build
	log "strace (Debian source)"
	debian_source strace "$WORK/stracesrc"
	src=$(ls -d "$WORK"/stracesrc/strace-*/ | head -1)
	STRACE_DEB_VERSION=$(sed -n 's/^Version: //p' "$WORK"/stracesrc/strace_*.dsc | head -1)
	if [ ! -f "$bld/Makefile" ]; then
		rm -rf "$bld"
		mkdir -p "$bld"
		(cd "$bld" && "$src/configure" --build="$(gcc -dumpmachine)" \
			--host="${CROSS%-}" --enable-mpers=no --without-libunwind \
			--without-libdw --without-libiberty --disable-gcc-Werror \
			CFLAGS="-O2 -g0" LDFLAGS=-static >configure.log) ||
			die "strace: configure failed (see $bld/configure.log, config.log)"
	fi
	make -C "$bld" -j"$JOBS" >"$bld/make.log" 2>&1 ||
		{ tail -30 "$bld/make.log" >&2; die "strace: make failed (see $bld/make.log)"; }
	"${CROSS}strip" -o "$OUT/strace" "$bld/src/strace"
	chmod 755 "$OUT/strace"
	"${CROSS}readelf" -l "$OUT/strace" | grep -q INTERP && die "strace is not static"
	true
}

# ---------------------------------------------------------------- initramfs
build_initramfs() {
	log "initramfs"
	local root=$WORK/rootfs gen=$WORK/gen_init_cpio
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,etc,root,run,usr/share/udhcpc,workloads}
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	make -s -C "$WORK/busybox-build" CONFIG_PREFIX="$root" install >/dev/null
	install -m 755 "$GUEST_DIR/rootfs/init" "$root/init"
	cp -a "$GUEST_DIR/rootfs/etc/." "$root/etc/"
	install -m 755 "$GUEST_DIR/rootfs/usr/share/udhcpc/default.script" \
		"$root/usr/share/udhcpc/default.script"
	install -m 755 "$GUEST_DIR"/workloads/*.sh "$root/workloads/"
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

	# The kernel's own cpio generator: no root needed for /dev/console, all
	# entries owned by 0:0, fixed mtimes, entries in sorted order.
	gcc -O2 -o "$gen" "$WORK/linux-source-6.1/usr/gen_init_cpio.c"
	(
		cd "$root"
		echo "nod /dev/console 600 0 0 c 5 1"
		echo "nod /dev/null 666 0 0 c 1 3"
		find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
			n=${p#.}
			m=$(stat -c %a "$p")
			if [ -L "$p" ]; then
				echo "slink $n $(readlink "$p") 777 0 0"
			elif [ -d "$p" ]; then
				echo "dir $n $m 0 0"
			else
				echo "file $n $root$n $m 0 0"
			fi
		done
	) >"$WORK/initramfs.list"
	"$gen" -t "$SOURCE_DATE_EPOCH" "$WORK/initramfs.list" >"$OUT/initramfs.cpio"
	gzip -9n <"$OUT/initramfs.cpio" >"$OUT/initramfs.cpio.gz"
}

# ---------------------------------------------------------------- disk
build_disk() {
	log "disk.ext4"
	local d=$WORK/disk
	rm -rf "$d" "$OUT/disk.ext4"
	mkdir -p "$d/data" "$d/bin"
	install -m 755 "$OUT/strace" "$d/bin/strace"
	cat >"$d/README.txt" <<-'EOF'
	prnr default guest: data disk (ext4, 8 MiB, virtio-blk /dev/vda).
	Made by guest/build.sh with mke2fs -d; reproducible (fixed UUID, hash
	seed and timestamps). The smoke workload mounts it on /mnt and writes
	/mnt/smoke.txt.
	EOF
	printf 'hello from the prnr disk\n' >"$d/hello.txt"
	seq 1 1000 >"$d/data/numbers.txt"
	find "$d" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -L prnr-disk \
		-U 8f3a4c1e-7d2b-4e6a-9c5f-0b1d2e3f4a5b \
		-E hash_seed=3b1c9d7e-2a4f-4b8c-8e6d-5f7a9c0b1d2e,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0 \
		-d "$d" "$OUT/disk.ext4" 8M
	# mke2fs -d copies atime/ctime from the source files (ctime cannot be
	# set with touch): pin all inode times with debugfs.
	(cd "$d" && find . | LC_ALL=C sort | sed 's|^\.$|/|; s|^\./|/|') |
		while read -r p; do
			for f in atime ctime mtime crtime; do echo "sif $p $f 20250101000000"; done
		done >"$WORK/disk-times.debugfs"
	E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$WORK/disk-times.debugfs" \
		"$OUT/disk.ext4" >/dev/null 2>&1
	e2fsck -fn "$OUT/disk.ext4" >/dev/null
}

# ---------------------------------------------------------------- images
package_images() {
	log "compressing into guest/images"
	mkdir -p "$IMAGES"
	rm -f "$IMAGES"/*.zst "$IMAGES"/*.gz
	local f
	for f in fw_jump.bin Image System.map disk.ext4; do
		zstd -q -19 -f --no-progress "$OUT/$f" -o "$IMAGES/$f.zst"
	done
	# Already gzip-compressed: stored as is (the kernel unpacks it).
	install -m 644 "$OUT/initramfs.cpio.gz" "$IMAGES/initramfs.cpio.gz"
	install -m 644 "$OUT/profile.json" "$IMAGES/profile.json"
	python3 "$GUEST_DIR/scripts/make-manifest.py" --out "$OUT" --images "$IMAGES" \
		--name prnr-default-guest --cmdline "$CMDLINE" --release "$KERNEL_RELEASE" \
		--package "opensbi=$(pkgver opensbi)" \
		--package "linux-source-6.1=$(pkgver linux-source-6.1)" \
		--package "busybox(source)=$BUSYBOX_DEB_VERSION" \
		--package "strace(source)=$STRACE_DEB_VERSION" \
		--package "gcc-riscv64-linux-gnu=$(pkgver gcc-riscv64-linux-gnu)" \
		--package "libc6-dev-riscv64-cross=$(pkgver libc6-dev-riscv64-cross)" \
		--package "e2fsprogs=$(pkgver e2fsprogs)" \
		--package "zstd=$(pkgver zstd)"
}

# `build.sh --disk`: rebuild only strace and the data disk, on a work dir that
# holds a full build whose other images are the committed ones (checked against
# images/SHA256SUMS, so that the kernel, initramfs, firmware, System.map and
# profile stay byte-identical), then repackage guest/images.
# check_committed OPTION FILE...: each $OUT/FILE is the one in images/SHA256SUMS.
check_committed() {
	local opt=$1 f want have
	shift
	for f in "$@"; do
		want=$(awk -v f="$f" '$2 == f { print $1; exit }' "$IMAGES/SHA256SUMS")
		have=$(sha256sum "$OUT/$f" 2>/dev/null | cut -d' ' -f1 || true)
		[ -n "$want" ] && [ "$want" = "$have" ] ||
			die "$opt: $OUT/$f is not the committed image (run a full build first)"
	done
}

disk_only() {
	check_committed --disk fw_jump.bin Image initramfs.cpio.gz System.map profile.json
	KERNEL_RELEASE=$(cat "$WORK/linux-build/include/config/kernel.release")
	BUSYBOX_DEB_VERSION=$(sed -n 's/^Version: //p' "$WORK"/bbsrc/busybox_*.dsc | head -1)
	build_strace
	build_disk
	package_images
}

# `build.sh --alt`: the alternative kernel (linux-alt.fragment over
# linux.fragment) in its own build dir, its profile and BTF, packaged into
# guest/images-alt with the default's firmware, initramfs and disk (taken from
# a work dir whose images are the committed ones). The full vmlinux (with DWARF)
# stays at $WORK/linux-build-alt/vmlinux.
alt_only() {
	local bld=$WORK/linux-build-alt f
	mkdir -p "$ALT_OUT" "$ALT_IMAGES"
	merge_alt_fragment >"$WORK/linux-alt.merged"
	build_linux "$WORK/linux-alt.merged" "$bld" "$ALT_OUT" "$CONFIG/linux-alt.config"
	# BTF is an allocated section, so it is part of the Image too (the kernel
	# serves it as /sys/kernel/btf/vmlinux): the stored BTF matches the Image.
	"${CROSS}objcopy" -O binary --only-section=.BTF "$bld/vmlinux" "$ALT_OUT/vmlinux.btf"
	chmod 644 "$ALT_OUT/vmlinux.btf"
	[ -s "$ALT_OUT/vmlinux.btf" ] || die "--alt: vmlinux has no .BTF section"
	build_profile "$bld" "$ALT_OUT"
	check_committed --alt fw_jump.bin initramfs.cpio.gz disk.ext4
	log "compressing into guest/images-alt"
	for f in fw_jump.bin initramfs.cpio.gz disk.ext4; do
		install -m 644 "$OUT/$f" "$ALT_OUT/$f"
	done
	rm -f "$ALT_IMAGES"/*.zst "$ALT_IMAGES"/*.gz
	for f in Image System.map vmlinux.btf; do
		zstd -q -19 -f --no-progress "$ALT_OUT/$f" -o "$ALT_IMAGES/$f.zst"
	done
	# The same stored bytes as guest/images (git stores them once).
	for f in fw_jump.bin.zst initramfs.cpio.gz disk.ext4.zst; do
		install -m 644 "$IMAGES/$f" "$ALT_IMAGES/$f"
	done
	install -m 644 "$ALT_OUT/profile.json" "$ALT_IMAGES/profile.json"
	python3 "$GUEST_DIR/scripts/make-manifest.py" --out "$ALT_OUT" --images "$ALT_IMAGES" \
		--name prnr-alt-guest --btf --cmdline "$CMDLINE" --release "$KERNEL_RELEASE" \
		--package "opensbi=$(pkgver opensbi)" \
		--package "linux-source-6.1=$(pkgver linux-source-6.1)" \
		--package "busybox(source)=$(default_pkg 'busybox(source)')" \
		--package "strace(source)=$(default_pkg 'strace(source)')" \
		--package "gcc-riscv64-linux-gnu=$(pkgver gcc-riscv64-linux-gnu)" \
		--package "libc6-dev-riscv64-cross=$(pkgver libc6-dev-riscv64-cross)" \
		--package "e2fsprogs=$(pkgver e2fsprogs)" \
		--package "zstd=$(pkgver zstd)" \
		--package "dwarves=$(pkgver dwarves)"
	IMAGES=$ALT_IMAGES
}

# A package version recorded in guest/images/manifest.json (for the images
# that --alt takes over from the default build).
default_pkg() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["packages"][sys.argv[2]])' \
		"$IMAGES/manifest.json" "$1"
}

main() {
	check_tools "${1:-}"
	mkdir -p "$WORK" "$OUT"
	local t0=$SECONDS
	case "${1:-}" in
	--disk) disk_only ;;
	--alt) alt_only ;;
	'')
		build_opensbi
		build_linux "$CONFIG/linux.fragment" "$WORK/linux-build" "$OUT" "$CONFIG/linux.config"
		build_profile "$WORK/linux-build" "$OUT"
		build_busybox
		build_initramfs
		build_strace
		build_disk
		package_images
		;;
	*) die "usage: build.sh [--disk | --alt]" ;;
	esac
	log "done in $((SECONDS - t0)) s"
	cat "$IMAGES/SHA256SUMS"
}

main "$@"
