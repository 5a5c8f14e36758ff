#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh SERIES OUT
#
# Build a plain newc cpio initramfs (gzip'd if OUT ends in .gz) for one
# Debian kernel series (6.1, 6.12, 7.3), to boot that kernel's unpacked image:
#   /bin/busybox + one link per applet (/sbin, /usr/sbin link to /bin)
#   /init                  scripts/guest-init
#   /lib/modules/<krel>/   the guest modules with their dependency chains
#                          (found in the image's lib/modules/, under usr/
#                          for 7.x: kernels.sh root), decompressed (.ko.xz
#                          for 7.x) for busybox's modprobe, plus
#                          extra/test_mirror.ko, and a
#                          modules.dep made by depmod (busybox modprobe and
#                          the kernel's request_module use it)
#   /usr/bin/              every program in build/userspace/
#   /etc/tm/suite          the check suite (scripts/suite.txt)
#
# Environment overrides:
#   TM_MODULE        test module (default build/<krel>/test_mirror.ko;
#                    "{krel}" in it is replaced by the kernel release)
#   TM_USERSPACE     dir of test programs (default build/userspace)
#   TM_SUITE         suite file (default scripts/suite.txt)
#   TM_GUEST_MODULES kernel modules to carry (default below)
#   TM_EXTRA_MODULES out-of-tree modules to carry beside test_mirror.ko, in
#                    extra/ ("{krel}" replaced as in TM_MODULE): the peer
#                    lib/test_hmm.ko of scripts/bench-peer.sh
# The kernel's own lib/test_hmm.ko, built by scripts/build-test-hmm.sh into
# build/<krel>/peer/ (make modules does, for a kernel with device-private
# memory), is carried in extra/ whenever it is there: hmm-tests-peer in the
# suite runs the kernel's hmm-tests against it and against test_mirror.

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: mkinitramfs.sh SERIES OUT"
series=$1 out=$2

krel=$("$TOP/scripts/kernels.sh" krel "$series")
kroot=$("$TOP/scripts/kernels.sh" root "$series")
kmods=$("$TOP/scripts/kernels.sh" moddir "$series")
module=${TM_MODULE:-$TOP/build/$krel/test_mirror.ko}
module=${module//\{krel\}/$krel}
usdir=${TM_USERSPACE:-$TOP/build/userspace}
suite=${TM_SUITE:-$TOP/scripts/suite.txt}
# drm: needed by test_mirror. zram: swap for MADV_PAGEOUT / reclaim tests.
# ext4 + virtio: the scratch disk (real writeback for file-backed mappings).
# loop: file-backed block devices inside the guest.
guest_modules=${TM_GUEST_MODULES:-drm zram ext4 virtio_pci virtio_blk loop}

stage=$(mktemp -d "${TMPDIR:-/tmp}/tm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,root,etc/tm,usr/bin,mnt/scratch}
ln -s bin "$stage/sbin"
ln -s ../bin "$stage/usr/sbin"

# busybox: its applet list includes "busybox" itself; linking that name to
# itself would make a symlink loop (the kernel then fails to run /init).
bb=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
cp "$(readlink -f "$bb")" "$stage/bin/busybox"
for a in $("$stage/bin/busybox" --list); do
	[ "$a" = busybox ] && continue
	ln -s busybox "$stage/bin/$a"
done

install -m 0755 "$TOP/scripts/guest-init" "$stage/init"

# Kernel modules, each with its dependency chain.
mdst=$stage/lib/modules/$krel
mkdir -p "$mdst/extra"
copy_module() {	# path inside the unpacked image
	local src=$1 rel dst
	rel=${src#"$kmods"/}
	dst=$mdst/${rel%.xz}
	dst=${dst%.zst}
	[ -f "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	case $src in
	*.ko.xz)  xz -dc "$src" > "$dst" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" ;;
	*.ko.gz)  gzip -dc "$src" > "$dst" ;;
	*)        cp "$src" "$dst" ;;
	esac
}
add_modules() {	# module names
	local m line
	for m in "$@"; do
		modprobe -S "$krel" -d "$kroot" --show-depends "$m" > "$stage/.deps" ||
			die "module $m not found for $krel"
		while read -r line; do
			case $line in
			insmod\ *) line=${line#insmod }; copy_module "${line%% *}" ;;
			builtin\ *) ;;
			esac
		done < "$stage/.deps"
	done
	rm -f "$stage/.deps"
}
# shellcheck disable=SC2086
add_modules $guest_modules
if [ -f "$module" ]; then
	cp "$module" "$mdst/extra/test_mirror.ko"
	deps=$(modinfo -F depends "$module" | tr ',' ' ')
	# shellcheck disable=SC2086
	[ -n "$deps" ] && add_modules $deps
else
	echo "mkinitramfs: warning: no $module (the guest will report it)" >&2
fi
peer_ko=$(dirname "$module")/peer/test_hmm.ko
for ko in ${TM_EXTRA_MODULES:-} $([ -f "$peer_ko" ] && echo "$peer_ko"); do
	ko=${ko//\{krel\}/$krel}
	[ -f "$ko" ] || die "no $ko (TM_EXTRA_MODULES)"
	cp "$ko" "$mdst/extra/"
	deps=$(modinfo -F depends "$ko" | tr ',' ' ')
	# shellcheck disable=SC2086
	if [ -n "$deps" ]; then add_modules $deps; fi
done
# the KUnit suites, built beside it for a kernel with CONFIG_KUNIT
kunit=$(dirname "$module")/test_mirror_kunit.ko
[ -f "$kunit" ] && cp "$kunit" "$mdst/extra/test_mirror_kunit.ko"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$kmods/$f" ] && cp "$kmods/$f" "$mdst/"
done
depmod -b "$stage" "$krel" || die "depmod failed"

# Test programs and the suite.
if [ -d "$usdir" ]; then
	for p in "$usdir"/*; do
		[ -f "$p" ] && [ -x "$p" ] && cp "$p" "$stage/usr/bin/"
	done
fi
[ -f "$suite" ] && cp "$suite" "$stage/etc/tm/suite"
echo "$krel" > "$stage/etc/tm/krel"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) > "$out.tmp"
case $out in *.gz) gzip -1 -n < "$out.tmp" > "$out" && rm -f "$out.tmp" ;;
	     *) mv "$out.tmp" "$out" ;;
esac
