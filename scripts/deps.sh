#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build and the VM tests need on a Debian 12 machine
# (run as root). Idempotent, and quick when everything is already there: the
# apt index is refreshed only when something is missing.
#
# For each kernel series (6.1 and 6.12 by default, or TM_SERIES="6.1 ..."):
#   - resolve the ABI from Debian's meta package (linux-headers-amd64 ->
#     linux-headers-6.1.0-NN-amd64, linux-headers-6.12-amd64 ->
#     linux-headers-6.12.X+deb12-amd64), or take it from TM_KREL_6_1 /
#     TM_KREL_6_12 (e.g. TM_KREL_6_1=6.1.0-56-amd64) to pin it by hand;
#   - install those exact headers;
#   - fetch the SAME ABI kernel image with `apt-get download` and unpack it
#     into $TM_CACHE/kernels/<krel>/ (never installed: installing a kernel
#     runs Debian's initramfs generation, which is slow and useless here);
#   - record the kernel release in $TM_CACHE/kernels/series-<series>, which
#     scripts/kernels.sh reads, so every later step uses the same ABI.
#
# 6.12 headers: linux-headers-6.12.X+deb12-amd64 has a hard Depends on
# linux-image-6.12.X+deb12-amd64 | ...-unsigned (unlike the 6.1 headers), and
# installing an image package runs the initramfs hooks. So, unless the 6.12
# headers package is already installed, its three packages (headers, common,
# kbuild) are downloaded and unpacked into $TM_CACHE/kernels/<krel>/headers/
# instead, with the one absolute include in its Makefile rewritten. Their
# runtime dependencies (gcc-12, libelf1, libssl3, zlib1g, pahole) are
# installed normally. TM_UNPACK_HEADERS=1 unpacks them even when installed
# (to test that path).

set -euo pipefail

TM_CACHE=${TM_CACHE:-/var/cache/test_mirror}
KCACHE=$TM_CACHE/kernels
SERIES=${TM_SERIES:-6.1 6.12}
export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }


# What the build, the VM runs and the host checks need; flex bison bc
# libelf-dev libssl-dev build kernel trees (the debug kernel, the
# no-notifier builds). Nothing else installs packages.
BASE_PKGS="gcc gcc-12 libc6-dev make pkg-config libdrm-dev qemu-system-x86
	qemu-system-data busybox-static kmod cpio xz-utils gzip e2fsprogs
	sparse python3-docutils linux-source-6.1 libelf1 libssl3 zlib1g pahole
	coreutils flex bison bc libelf-dev libssl-dev"

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	log "apt-get update"
	apt-get update -q >> "$TM_CACHE/apt.log" 2>&1 ||
		{ tail -n 30 "$TM_CACHE/apt.log" >&2; die "apt-get update failed"; }
	updated=1
}

installed() {	# PKG...: true if all are installed
	local p s
	for p in "$@"; do
		s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || return 1
		[ "$s" = "install ok installed" ] || return 1
	done
}

apt_install() {	# PKG...: install those not installed yet
	local p missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run as root"
	apt_update
	log "installing ${missing[*]} (log: $TM_CACHE/apt.log)"
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>> "$TM_CACHE/apt.log" 2>&1; then
		tail -n 30 "$TM_CACHE/apt.log" >&2
		die "apt-get install failed"
	fi
}

# resolve_krel SERIES: print the kernel release (e.g. 6.1.0-56-amd64)
resolve_krel() {
	local s=$1 var meta re dep
	var=TM_KREL_${s//./_}
	if [ -n "${!var:-}" ]; then echo "${!var}"; return 0; fi
	case $s in
	6.1)  meta=linux-headers-amd64;      re='^linux-headers-(6\.1\.0-[0-9]+-amd64)$' ;;
	6.12) meta=linux-headers-6.12-amd64; re='^linux-headers-(6\.12\.[0-9]+\+deb12-amd64)$' ;;
	*) die "unknown kernel series $s (known: 6.1 6.12)" ;;
	esac
	for try in 1 2; do
		dep=$(apt-cache depends "$meta" 2>/dev/null |
		      sed -n 's/^ *Depends: *//p' | grep -E "$re" | head -n1 || true)
		if [ -n "$dep" ]; then
			[[ $dep =~ $re ]] && echo "${BASH_REMATCH[1]}"
			return 0
		fi
		[ $try = 1 ] && apt_update
	done
	die "cannot resolve $meta to a headers package"
}

# download PKG... into the current directory (apt index refreshed on failure)
download() {
	apt-get download -q -o APT::Sandbox::User=root "$@" >&2 && return 0
	apt_update
	apt-get download -q -o APT::Sandbox::User=root "$@" >&2
}

# fetch_image KREL: unpack linux-image-KREL(-unsigned) into $KCACHE/KREL
fetch_image() {
	local k=$1 dir=$KCACHE/$1 tmp pkg
	[ -f "$dir/.image-ok" ] && [ -f "$dir/boot/vmlinuz-$k" ] && return 0
	tmp=$(mktemp -d "$KCACHE/.dl.XXXXXX")
	pkg=linux-image-$k-unsigned
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		apt_update
		apt-cache show "$pkg" >/dev/null 2>&1 || pkg=linux-image-$k
	fi
	log "downloading $pkg"
	(cd "$tmp" && download "$pkg")
	mkdir -p "$dir"
	rm -rf "${dir:?}/boot" "${dir:?}/lib" "${dir:?}/usr"
	log "unpacking $pkg into $dir"
	dpkg-deb -x "$tmp"/*.deb "$dir"
	rm -rf "$tmp"
	[ -f "$dir/boot/vmlinuz-$k" ] || die "no boot/vmlinuz-$k in $pkg"
	# modules.dep is made by the package's postinst, which is not run.
	depmod -b "$dir" "$k" || die "depmod failed for $k"
	touch "$dir/.image-ok"
}

# fetch_headers KREL: unpack the headers of a kernel whose headers package
# cannot be installed without its image (6.12) into $KCACHE/KREL/headers
fetch_headers() {
	local k=$1 dir=$KCACHE/$1/headers tmp ver kb
	[ -f "$dir/.headers-ok" ] && return 0
	ver=$(apt-cache show --no-all-versions "linux-headers-$k" 2>/dev/null |
	      sed -n 's/^Version: //p' | head -n1)
	[ -n "$ver" ] || { apt_update; ver=$(apt-cache show --no-all-versions \
		"linux-headers-$k" | sed -n 's/^Version: //p' | head -n1); }
	kb=$(apt-cache show --no-all-versions "linux-headers-$k" |
	     sed -n 's/^Depends: //p' | tr ',' '\n' |
	     sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -n1)
	[ -n "$kb" ] || die "cannot find the kbuild package of linux-headers-$k"
	tmp=$(mktemp -d "$KCACHE/.dl.XXXXXX")
	log "downloading linux-headers-$k, linux-headers-${k%-amd64}-common, $kb"
	(cd "$tmp" && download "linux-headers-$k" \
		"linux-headers-${k%-amd64}-common" "$kb")
	rm -rf "$dir"
	mkdir -p "$dir"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
	rm -rf "$tmp"
	# Its Makefile includes the common headers by absolute path.
	sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
		"$dir/usr/src/linux-headers-$k/Makefile"
	[ -e "$dir/usr/src/linux-headers-$k/scripts/Makefile.build" ] ||
		die "unpacked headers of $k are incomplete"
	touch "$dir/.headers-ok"
}

main() {
	command -v apt-get >/dev/null || die "apt-get not found: Debian 12 needed"
	mkdir -p "$KCACHE"
	# shellcheck disable=SC2086
	apt_install $BASE_PKGS
	local s k
	for s in $SERIES; do
		k=$(resolve_krel "$s")
		case $s in
		6.1)
			apt_install "linux-headers-$k"
			;;
		*)
			if [ -n "${TM_UNPACK_HEADERS:-}" ] ||
			   ! installed "linux-headers-$k"; then
				fetch_headers "$k"
			fi
			;;
		esac
		fetch_image "$k"
		echo "$k" > "$KCACHE/series-$s.tmp"
		mv "$KCACHE/series-$s.tmp" "$KCACHE/series-$s"
		log "kernel $s: $k ($("$(dirname "$0")/kernels.sh" kdir "$s"))"
	done
}

main "$@"
