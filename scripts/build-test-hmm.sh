#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-test-hmm.sh [SERIES]   (default 7.3)
#
# Build the kernel's own lib/test_hmm.c, UNMODIFIED, as an out-of-tree
# module for Debian's kernel of SERIES: the peer that make bench-peer
# measures test_mirror against (scripts/bench-peer.sh). Debian does not
# build it (CONFIG_TEST_HMM is off), but its kernels have what it needs
# (DEVICE_PRIVATE, HMM_MIRROR, ZONE_DEVICE) and every symbol it uses is
# exported, so it builds against the headers alone.
#
# The two files (lib/test_hmm.c and lib/test_hmm_uapi.h, which it includes
# by its local name) are extracted from Debian's linux-source-<SERIES>
# package (its tarball, in the build root for 7.3, installed there by
# scripts/deps.sh) into build/<krel>/peer/, never committed; for a kernel
# built from that source (SERIES "debug": scripts/check-debug.sh builds it
# from the same package), they are copied from its own tree; a Kbuild of
# one line (obj-m := test_hmm.o) is written beside them and kbuild runs
# where the module would (scripts/build-module.sh's rule: in the build
# root for 7.x, with its gcc-14). The sources are extracted again when the
# tarball is newer than the last extraction.
#
# Writes build/<krel>/peer/test_hmm.ko and prints its path.
# Environment: TEST_HMM_TARBALL (default: the series' linux-source tarball).

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "build-test-hmm: $*" >&2; exit 1; }
series=${1:-7.3}

krel=$("$TOP/scripts/kernels.sh" krel "$series")
kdir=$("$TOP/scripts/kernels.sh" kdir "$series")
root=$("$TOP/scripts/kernels.sh" buildroot "$series")
out=$TOP/build/$krel/peer
stamp=$out/.extracted
files=(lib/test_hmm.c lib/test_hmm_uapi.h)
mkdir -p "$out"

if [ -z "${TEST_HMM_TARBALL:-}" ] && [ -f "$kdir/lib/test_hmm.c" ]; then
	# A kernel built from its source (the debug kernel, from the same
	# linux-source): its own tree has the files.
	for f in "${files[@]}"; do
		cp "$kdir/$f" "$out/"
	done
	tarball=
else
	tarball=${TEST_HMM_TARBALL:-$root/usr/src/linux-source-$series.tar.xz}
	[ -r "$tarball" ] ||
		die "$tarball not found: install Debian's linux-source-$series (scripts/deps.sh does)"
	tree=$(basename "$tarball" .tar.xz)
fi
if [ -n "$tarball" ] && { [ ! -e "$stamp" ] || [ "$tarball" -nt "$stamp" ]; }; then
	members=()
	for f in "${files[@]}"; do
		members+=("$tree/$f")
	done
	echo "build-test-hmm: extracting ${files[*]} from $tarball" >&2
	tmp=$(mktemp -d "$out/.x.XXXXXX")
	tar -xJf "$tarball" -C "$tmp" "${members[@]}"
	for f in "${files[@]}"; do
		mv "$tmp/$tree/$f" "$out/"
	done
	rm -rf "$tmp"
	touch "$stamp"
fi

# test_hmm.c must include nothing local beyond what was extracted.
# shellcheck disable=SC2013	# include names have no spaces
for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$out/test_hmm.c"); do
	[ -e "$out/$inc" ] || die "test_hmm.c includes \"$inc\", not extracted"
done

echo 'obj-m := test_hmm.o' > "$out/Kbuild"

if [ -n "$root" ]; then
	"$TOP/scripts/in-root.sh" "$root" --bind "$TOP" -- \
		make -C "${kdir#"$root"}" M="$out" modules >&2
else
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$kdir" M="$out" modules >&2
fi
[ -f "$out/test_hmm.ko" ] || die "no $out/test_hmm.ko"
echo "$out/test_hmm.ko"
