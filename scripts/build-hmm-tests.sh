#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the kernel's own HMM selftest, tools/testing/selftests/vm/hmm-tests.c
# of Linux 6.1, UNMODIFIED, as a static binary that runs in the test VM
# against test_mirror's test_hmm-compatible devices (/dev/hmm_dmirror0 and 1,
# module parameter hmm_compat=1; see driver/tm_hmm_compat.c).
#
# The sources come from Debian's linux-source-6.1 package
# (/usr/src/linux-source-6.1.tar.xz, installed by scripts/deps.sh). Only the
# files hmm-tests.c needs are extracted, into build/hmm-tests-src/ (never
# committed), keeping their paths in the kernel tree, because hmm-tests.c
# includes "../kselftest_harness.h" and, with -I<top of the tree>,
# <lib/test_hmm_uapi.h> and <mm/gup_test.h>. It is built against the
# kernel's own lib/test_hmm_uapi.h, not ours, so a mismatch between our
# uapi/misc/test_mirror_hmm.h and the real ABI shows up as test failures.
#
# Usage: scripts/build-hmm-tests.sh [OUTDIR]   (default build/userspace)
# Writes, into OUTDIR (whose programs the guest initramfs carries):
#   hmm-tests      the selftest, static
#   hmm-tests-run  scripts/hmm-tests-check.sh with scripts/hmm-tests-expect.txt
#                  appended: run without arguments, it enables the devices,
#                  runs hmm-tests and judges its output (the suite line)
# Environment: LINUX_SRC_TARBALL (default /usr/src/linux-source-6.1.tar.xz),
#   CC (default gcc).
#
# scripts/build-hmm-tests.sh --peer SERIES [OUTDIR]   (SERIES: 7.3)
#
# The same selftest of the kernel of SERIES, tools/testing/selftests/mm/
# hmm-tests.c there, UNMODIFIED, for the side-by-side run against the
# kernel's own lib/test_hmm (scripts/build-test-hmm.sh builds it) on the
# kernel that has device-private memory. 7.3's hmm-tests needs 7.3's uAPI
# headers (PAGEMAP_SCAN, newer userfaultfd): the headers are installed from
# the series' linux-source (its tarball in the build root, installed there
# by scripts/deps.sh) with the kernel's own "make headers_install", and the
# test is built with the selftest's own Makefile (its flags, its helpers
# vm_util.c and hugepage_settings.c), with KHDR_INCLUDES pointing at those
# headers and LDFLAGS=-static; both run in the build root (its gcc-14,
# rsync, static glibc). The tree parts needed are extracted into
# build/hmm-tests-SERIES/ (never committed), again when the tarball is newer.
# Writes, into OUTDIR:
#   hmm-tests-SERIES  the selftest, static
#   hmm-tests-peer    scripts/hmm-tests-check.sh, which run under that name
#                     runs it against lib/test_hmm, then against test_mirror,
#                     and compares (see there)

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

# build_peer SERIES OUTDIR: the --peer build described above.
build_peer() {
	local series=$1 outdir=$2 root tarball tree src stamp ktree hdr
	local dirs=(Makefile scripts include arch/x86 tools usr
		    lib/test_hmm_uapi.h mm/gup_test.h)
	local members=() d

	root=$("$TOP/scripts/kernels.sh" buildroot "$series")
	[ -n "$root" ] || { echo "build-hmm-tests: $series has no build root" >&2; exit 1; }
	tarball=$root/usr/src/linux-source-$series.tar.xz
	if [ ! -r "$tarball" ]; then
		echo "build-hmm-tests: $tarball not found:" \
		     "install Debian's linux-source-$series (scripts/deps.sh does)" >&2
		exit 1
	fi
	tree=$(basename "$tarball" .tar.xz)
	src=$TOP/build/hmm-tests-$series
	stamp=$src/.extracted
	ktree=$src/$tree
	hdr=$src/usr
	if [ ! -e "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
		rm -rf "$src"
		mkdir -p "$src"
		for d in "${dirs[@]}"; do
			members+=("$tree/$d")
		done
		echo "build-hmm-tests: extracting ${dirs[*]} from $tarball"
		tar -xJf "$tarball" -C "$src" "${members[@]}"
		# The kernel's uAPI headers, as a distribution's libc headers
		# package installs them (the build root's gcc-14 as host and
		# target compiler: it has no plain "gcc").
		"$TOP/scripts/in-root.sh" "$root" --bind "$TOP" -- \
			make -s -C "$ktree" O="$src/obj" ARCH=x86 HOSTCC=gcc-14 \
			CC=gcc-14 INSTALL_HDR_PATH="$hdr" headers_install
		touch "$stamp"
	fi
	mkdir -p "$outdir" "$src/out"
	"$TOP/scripts/in-root.sh" "$root" --bind "$TOP" -- \
		make -s -C "$ktree/tools/testing/selftests/mm" CC=gcc-14 \
		KHDR_INCLUDES="-isystem $hdr/include" LDFLAGS=-static \
		OUTPUT="$src/out" "$src/out/hmm-tests"
	cp "$src/out/hmm-tests" "$outdir/hmm-tests-$series.tmp"
	mv "$outdir/hmm-tests-$series.tmp" "$outdir/hmm-tests-$series"
	install -m 0755 "$TOP/scripts/hmm-tests-check.sh" "$outdir/hmm-tests-peer.tmp"
	mv "$outdir/hmm-tests-peer.tmp" "$outdir/hmm-tests-peer"
	echo "build-hmm-tests: built $outdir/hmm-tests-$series and $outdir/hmm-tests-peer"
}

if [ "${1:-}" = --peer ]; then
	[ $# -ge 2 ] || { echo "usage: build-hmm-tests.sh --peer SERIES [OUTDIR]" >&2; exit 2; }
	build_peer "$2" "${3:-$TOP/build/userspace}"
	exit 0
fi
TARBALL=${LINUX_SRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
SRC=$TOP/build/hmm-tests-src
OUTDIR=${1:-$TOP/build/userspace}
OUT=$OUTDIR/hmm-tests
CC=${CC:-gcc}

# The files hmm-tests.c needs, relative to the top of the kernel tree.
FILES=(
	tools/testing/selftests/vm/hmm-tests.c
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	lib/test_hmm_uapi.h
	mm/gup_test.h
)

if [ ! -r "$TARBALL" ]; then
	echo "build-hmm-tests: $TARBALL not found:" \
	     "install Debian's linux-source-6.1 (scripts/deps.sh does)" >&2
	exit 1
fi

# The top directory inside the tarball (linux-source-6.1).
TREE=$(basename "$TARBALL" .tar.xz)
STAMP=$SRC/.extracted

if [ ! -e "$STAMP" ] || [ "$TARBALL" -nt "$STAMP" ]; then
	rm -rf "$SRC"
	mkdir -p "$SRC"
	members=()
	for f in "${FILES[@]}"; do
		members+=("$TREE/$f")
	done
	echo "build-hmm-tests: extracting ${#FILES[@]} files from $TARBALL"
	tar -xJf "$TARBALL" -C "$SRC" "${members[@]}"
	touch "$STAMP"
fi

KTREE=$SRC/$TREE
TESTDIR=$KTREE/tools/testing/selftests/vm

# hmm-tests.c must include nothing we did not extract: a new include in a
# later linux-source-6.1 upload should fail here, clearly, not at run time.
# shellcheck disable=SC2013	# include paths have no spaces
for inc in $(sed -n 's/^#include [<"]\(lib\/[^>"]*\|mm\/[^>"]*\)[>"].*/\1/p' \
		"$TESTDIR/hmm-tests.c"); do
	if [ ! -e "$KTREE/$inc" ]; then
		echo "build-hmm-tests: hmm-tests.c includes $inc, not extracted" >&2
		exit 1
	fi
done

mkdir -p "$OUTDIR"
# The flags of tools/testing/selftests/vm/Makefile in 6.1 for hmm-tests
# (-Wall -I<top>, no optimisation, -lrt -lpthread; no libhugetlbfs), plus
# -g, and -static so that the binary runs in the VM's minimal initramfs.
# The kernel's uAPI headers are the toolchain's (linux-libc-dev), as with
# KHDR_INCLUDES unset.
# shellcheck disable=SC2086
$CC -g -Wall -I "$KTREE" ${HMM_TESTS_CFLAGS:-} \
	-o "$OUT.tmp" "$TESTDIR/hmm-tests.c" -static -lrt -lpthread
mv "$OUT.tmp" "$OUT"

# The runner and judge, with the expectations it reads from its own tail.
{
	cat "$TOP/scripts/hmm-tests-check.sh"
	echo "__EXPECT__"
	cat "$TOP/scripts/hmm-tests-expect.txt"
} > "$OUTDIR/hmm-tests-run.tmp"
chmod 0755 "$OUTDIR/hmm-tests-run.tmp"
mv "$OUTDIR/hmm-tests-run.tmp" "$OUTDIR/hmm-tests-run"
echo "build-hmm-tests: built $OUT and $OUTDIR/hmm-tests-run"
