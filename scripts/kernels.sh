#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where things are for one Debian kernel series (6.1, 6.12 or 7.3), as
# resolved by scripts/deps.sh:
#
#   kernels.sh krel   SERIES   kernel release, e.g. 6.1.0-56-amd64
#   kernels.sh kdir   SERIES   headers dir to build an external module against
#                              (7.3: inside the trixie build root, where
#                              scripts/build-module.sh runs the build)
#   kernels.sh image  SERIES   vmlinuz of the same ABI (unpacked, not installed;
#                              7.3: usr/lib/modules/<krel>/vmlinuz.unsigned)
#   kernels.sh root   SERIES   the module root of that unpacked image: the dir
#                              whose lib/modules/<krel>/ holds its modules
#                              (modprobe -d, depmod -b); 7.x lay them out
#                              under usr/, so there it is <unpacked>/usr
#   kernels.sh moddir SERIES   its lib/modules/<krel> dir
#   kernels.sh buildroot SERIES  the build root holding the series' headers
#                              (7.3: the trixie root; scripts/in-root.sh runs
#                              commands there), or nothing: built on the host
#
# The release comes from TM_KREL_6_1 / TM_KREL_6_12 / TM_KREL_7_3 if set,
# else from what deps.sh recorded in $TM_CACHE/kernels/series-SERIES, else
# from the newest headers found on the machine. SERIES "debug" is the kernel
# of scripts/check-debug.sh (see below).

set -euo pipefail

TM_CACHE=${TM_CACHE:-/var/cache/test_mirror}
KCACHE=$TM_CACHE/kernels
BUILD_ROOT=${TM_BUILD_ROOT:-$TM_CACHE/trixie-root}

die() { echo "kernels.sh: $*" >&2; exit 1; }

krel() {
	local s=$1 var f k
	var=TM_KREL_${s//./_}
	if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
	f=$KCACHE/series-$s
	if [ -s "$f" ]; then read -r k < "$f"; echo "$k"; return; fi
	case $s in
	6.1)  re='6\.1\.0-[0-9]+-amd64' ;;
	6.12) re='6\.12\.[0-9]+\+deb12-amd64' ;;
	7.3)  re='7\.3\.[0-9]+\+deb13-amd64' ;;
	*) die "unknown kernel series '$s' (known: 6.1 6.12 7.3)" ;;
	esac
	k=$( { ls -d /usr/src/linux-headers-* "$KCACHE"/*/headers/usr/src/linux-headers-* \
		"$BUILD_ROOT"/usr/src/linux-headers-* 2>/dev/null || true; } | sed 's|.*/linux-headers-||' |
		grep -xE "$re" | sort -V | tail -n1)
	[ -n "$k" ] || die "no $s kernel found: run scripts/deps.sh"
	echo "$k"
}

[ $# -eq 2 ] || die "usage: kernels.sh krel|kdir|image|root|moddir|buildroot SERIES"
what=$1 s=$2

# Series "debug": the debug kernel built by scripts/check-debug.sh, in
# $TM_DEBUG_DIR (which it exports), else the last one it built.
if [ "$s" = debug ]; then
	d=${TM_DEBUG_DIR:-}
	[ -n "$d" ] || read -r d 2>/dev/null < "$TM_CACHE/debug-kernel/current" ||
		die "no debug kernel: run scripts/check-debug.sh --build-only"
	[ -f "$d/.ok" ] || die "no finished debug kernel in $d: run scripts/check-debug.sh"
	read -r k < "$d/krel"
	case $what in
	krel)   echo "$k" ;;
	kdir)   echo "$d/root/lib/modules/$k/build" ;;
	root)   echo "$d/root" ;;
	image)  echo "$d/root/boot/vmlinuz-$k" ;;
	moddir) echo "$d/root/lib/modules/$k" ;;
	buildroot) ;;
	*)      die "unknown query '$what'" ;;
	esac
	exit 0
fi
k=$(krel "$s")
case $what in
krel)	echo "$k" ;;
kdir)
	for d in "/usr/src/linux-headers-$k" \
		 "$KCACHE/$k/headers/usr/src/linux-headers-$k" \
		 "$BUILD_ROOT/usr/src/linux-headers-$k"; do
		[ -f "$d/Makefile" ] && { echo "$d"; exit 0; }
	done
	die "no headers for $k: run scripts/deps.sh" ;;
root)
	for d in "$KCACHE/$k" "$KCACHE/$k/usr"; do
		[ -d "$d/lib/modules/$k" ] && { echo "$d"; exit 0; }
	done
	die "no unpacked image for $k: run scripts/deps.sh" ;;
image)
	for f in "$KCACHE/$k/boot/vmlinuz-$k" "$KCACHE/$k/usr/lib/modules/$k/vmlinuz" \
		 "$KCACHE/$k/usr/lib/modules/$k/vmlinuz.unsigned"; do
		[ -f "$f" ] && { echo "$f"; exit 0; }
	done
	die "no kernel image of $k in $KCACHE/$k: run scripts/deps.sh" ;;
buildroot)
	d=$("$0" kdir "$s")
	while [ "$d" != / ] && [ ! -f "$d/.tm-build-root" ]; do d=$(dirname "$d"); done
	[ "$d" = / ] || echo "$d" ;;
moddir)
	for d in "$KCACHE/$k/lib/modules/$k" "$KCACHE/$k/usr/lib/modules/$k"; do
		[ -d "$d" ] && { echo "$d"; exit 0; }
	done
	die "no modules for $k: run scripts/deps.sh" ;;
*)	die "unknown query '$what'" ;;
esac
