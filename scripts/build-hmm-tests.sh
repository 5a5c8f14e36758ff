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

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
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
