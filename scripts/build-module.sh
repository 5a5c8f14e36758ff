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
#
# Headers inside a build root (a directory above KDIR holds .tm-build-root:
# the trixie root of the 7.x kernels, made by scripts/deps.sh) are built
# with make running in that root (scripts/in-root.sh), the source tree and
# OUT bound at the same paths, with the root's gcc-14, pahole and sparse:
# those headers include their common part by absolute path and link their
# scripts/ relatively, and their kbuild tools need the root's glibc.

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
root=$kdir
while [ "$root" != / ] && [ ! -f "$root/.tm-build-root" ]; do
	root=$(dirname "$root")
done
if [ "$root" != / ]; then
	binds=(--bind "$TOP")
	case $out/ in "$TOP"/*) ;; *) binds+=(--bind "$out") ;; esac
	exec "$TOP/scripts/in-root.sh" "$root" "${binds[@]}" -- \
		make -C "${kdir#"$root"}" M="$out" TM_SRC="$TOP" "$@" modules
fi
# A make that runs this runs kbuild as a program, not as its sub-make.
exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$kdir" M="$out" TM_SRC="$TOP" "$@" modules
