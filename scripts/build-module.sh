#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KDIR [OUT] [KBUILD-ARGS...]
#
# Build test_mirror.ko (and, for a kernel with CONFIG_KUNIT, the KUnit
# module) against the kernel headers or tree KDIR, in OUT (default
# build/<kernel release>/). OUT holds a link to Kbuild and links to the
# driver's sources, so that several kernels never share object files. The
# KBUILD-ARGS go to kbuild as they are (W=1, C=2 CF=-Wsparse-error, -k,
# -jN...). Used by the Makefile (make module), scripts/lint.sh,
# scripts/nonotifier-build.sh and scripts/vm-run.sh.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: build-module.sh KDIR [OUT] [KBUILD-ARGS...]" >&2; exit 2; }
kdir=${1%/}
out=${2:-}
shift $(($# >= 2 ? 2 : 1))
[ -f "$kdir/Makefile" ] || { echo "build-module: no kernel headers in $kdir (run make deps)" >&2; exit 1; }
if [ -z "$out" ]; then
	# /lib/modules/<release>/build, or /usr/src/linux-headers-<release>
	rel=${kdir%/build}
	rel=${rel##*/}
	out=$TOP/build/${rel#linux-headers-}
fi
mkdir -p "$out/driver"
ln -sf "$TOP/Kbuild" "$out/Kbuild"
ln -sf "$TOP"/driver/*.[ch] "$out/driver/"
find "$out/driver" -xtype l -delete	# sources that are gone
# A make that runs this runs kbuild as a program, not as its sub-make.
exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$kdir" M="$out" TM_SRC="$TOP" "$@" modules
