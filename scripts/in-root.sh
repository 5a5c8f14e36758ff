#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# in-root.sh ROOT [--bind DIR]... [--] CMD [ARGS...]
#
# Run CMD as root inside a build root: a Debian tree made by scripts/deps.sh
# with debootstrap (for the 7.x kernels, trixie: their headers' tools need
# its glibc, gcc-14 and pahole). The kernel headers' Makefile includes its
# common part by absolute path and its scripts/ is a relative link, so a
# module is built with make running in there, not by pointing the host's
# make at the files.
#
# CMD runs in a mount namespace of its own, where ROOT gets /proc, /dev,
# the host's resolv.conf (apt needs it) and each DIR bound at the same path
# as on the host (so the links of build/<krel>/ to the sources resolve).
# The mounts end with the namespace: nothing stays mounted under ROOT, so
# removing ROOT never reaches a bound tree. The environment is emptied but
# for PATH, HOME and LANG; pass variables with `env VAR=VALUE CMD`.

set -euo pipefail
die() { echo "in-root: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: in-root.sh ROOT [--bind DIR]... [--] CMD [ARGS...]"
root=${1%/}
shift
binds=()
while [ $# -gt 0 ]; do
	case $1 in
	--bind) [ $# -ge 2 ] || die "--bind needs a directory"
		binds+=("$(cd "$2" && pwd)"); shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die "no command"
[ -x "$root/usr/bin/env" ] || die "$root is not a build root (run scripts/deps.sh)"
[ "$(id -u)" = 0 ] || die "a build root needs root (chroot, mounts)"

# In the new namespace: $1 ROOT, $2 the number of binds, the binds, CMD.
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- /bin/bash -euc '
root=$1 n=$2
shift 2
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
if [ -e /etc/resolv.conf ]; then
	[ -e "$root/etc/resolv.conf" ] && [ ! -L "$root/etc/resolv.conf" ] ||
		{ rm -f "$root/etc/resolv.conf"; : > "$root/etc/resolv.conf"; }
	mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
fi
while [ "$n" -gt 0 ]; do
	mkdir -p "$root$1"
	mount --bind "$1" "$root$1"
	shift
	n=$((n - 1))
done
exec chroot "$root" /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 "$@"
' in-root "$root" "${#binds[@]}" "${binds[@]}" "$@"
