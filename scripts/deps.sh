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
#
# 7.x (series 7.3): Debian's newest kernels come from trixie-backports, and
# their headers need trixie's toolchain (gcc-14, glibc >= 2.38 for kbuild's
# host tools, the pahole the kernel was built with), none of which a
# Debian 12 host has. So the module is built in a build root: a trixie tree
# made with debootstrap in $TM_BUILD_ROOT (default $TM_CACHE/trixie-root),
# with its own apt sources (trixie, trixie-backports: the host's sources
# are never touched), where the headers, gcc-14, make, pahole, sparse,
# libdrm-dev, perl, python3, rsync and libc6-dev are installed with apt,
# and linux-source-7.3 of the headers' version (lint.sh takes checkpatch
# and kernel-doc from it, and check-debug.sh builds the debug kernel from
# it, on the host);
# scripts/in-root.sh runs commands in it. The release is pinned (TM_KREL_7_3, default below);
# TM_KVER_7_3 pins the package version too, else apt's candidate is taken.
# The image is the meta package linux-image-<krel>'s linux-binary-unsigned
# and linux-modules packages, of the same version as the headers,
# downloaded by the build root's apt and unpacked (never installed) into
# $TM_CACHE/kernels/<krel>/: kernel usr/lib/modules/<krel>/vmlinuz.unsigned,
# modules .ko.xz under usr/lib/modules/<krel>/. The archive mirror is the
# host's own (its Debian sources), or TM_DEBIAN_MIRROR.

set -euo pipefail

TM_CACHE=${TM_CACHE:-/var/cache/test_mirror}
KCACHE=$TM_CACHE/kernels
SERIES=${TM_SERIES:-6.1 6.12}
export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*" >&2; }
die() { echo "deps: error: $*" >&2; exit 1; }


# What the build, the VM runs and the host checks need; flex bison bc
# libelf-dev libssl-dev build kernel trees (the debug kernel, from the
# build root's linux-source-7.3, and the no-notifier builds, from
# linux-source-6.1). Nothing else installs packages.
BASE_PKGS="gcc gcc-12 libc6-dev make pkg-config libdrm-dev qemu-system-x86
	qemu-system-data busybox-static kmod cpio xz-utils gzip e2fsprogs
	sparse python3-docutils linux-source-6.1 libelf1 libssl3 zlib1g pahole
	coreutils flex bison bc libelf-dev libssl-dev debootstrap"

# The 7.x build root (see above): its suite, and what is installed in it
# besides the headers (perl: checkpatch; python3: 7.x's kernel-doc;
# rsync: make headers_install of linux-source-7.3 and libc6-dev: static
# programs, for 7.3's own hmm-tests, scripts/build-hmm-tests.sh).
KREL_7_3_DEFAULT=7.3.4+deb13-amd64
BUILD_ROOT=${TM_BUILD_ROOT:-$TM_CACHE/trixie-root}
ROOT_SUITE=trixie
ROOT_PKGS="gcc-14 make pahole sparse libdrm-dev perl python3 rsync libc6-dev"

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
	7.3)  echo "$KREL_7_3_DEFAULT"; return 0 ;;
	*) die "unknown kernel series $s (known: 6.1 6.12 7.3)" ;;
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

# ---- the 7.x build root ------------------------------------------------------

in_root() { "$(dirname "$0")/in-root.sh" "$BUILD_ROOT" -- "$@"; }

root_installed() {	# PKG...: true if all are installed in the build root
	local p st
	for p in "$@"; do
		st=$(dpkg-query --admindir="$BUILD_ROOT/var/lib/dpkg" -W \
			-f='${Status}' "$p" 2>/dev/null) || return 1
		[ "$st" = "install ok installed" ] || return 1
	done
}

# debian_mirror: the Debian archive the host's apt uses (its sources for
# the host's own release), unless TM_DEBIAN_MIRROR names one.
debian_mirror() {
	local codename m
	if [ -n "${TM_DEBIAN_MIRROR:-}" ]; then echo "$TM_DEBIAN_MIRROR"; return; fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for try in 1 2; do
		# shellcheck disable=SC2016
		m=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(TARGET_OF)' \
			2>/dev/null | awk -v c="$codename" '$2 == c && $3 == "deb" { print $1; exit }')
		[ -n "$m" ] && { echo "${m%/}"; return; }
		[ $try = 1 ] && apt_update
	done
	die "cannot tell the host's Debian mirror from its apt sources: set TM_DEBIAN_MIRROR"
}

# make_root: debootstrap the build root once (into ROOT.new, renamed when
# complete, so that an interrupted run starts over), with its own sources.
make_root() {
	local tmp mirror
	[ -f "$BUILD_ROOT/.tm-build-root" ] && return 0
	[ "$(id -u)" = 0 ] || die "no build root in $BUILD_ROOT: run as root"
	mirror=$(debian_mirror)
	tmp=$BUILD_ROOT.new
	rm -rf "$tmp"
	log "debootstrap $ROOT_SUITE into $BUILD_ROOT from $mirror (log: $TM_CACHE/buildroot.log)"
	# In a mount namespace of its own: debootstrap mounts /proc and /sys
	# in the target, and a failed run must not leave them mounted.
	if ! unshare --mount --propagation private -- debootstrap --variant=minbase \
		--components=main "$ROOT_SUITE" "$tmp" "$mirror" \
		> "$TM_CACHE/buildroot.log" 2>&1; then
		tail -n 30 "$TM_CACHE/buildroot.log" >&2
		die "debootstrap $ROOT_SUITE failed"
	fi
	rm -f "$tmp/etc/apt/sources.list"
	cat > "$tmp/etc/apt/sources.list.d/debian.sources" <<-EOF
	# written by test_mirror's scripts/deps.sh: the build root of the 7.x kernels
	Types: deb
	URIs: $mirror
	Suites: $ROOT_SUITE $ROOT_SUITE-updates $ROOT_SUITE-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	cat > "$tmp/etc/apt/apt.conf.d/90test-mirror" <<-EOF
	APT::Install-Recommends "false";
	Acquire::Languages "none";
	EOF
	rm -f "$tmp"/var/cache/apt/archives/*.deb
	echo "$ROOT_SUITE $mirror" > "$tmp/.tm-build-root"
	mv -T "$tmp" "$BUILD_ROOT"
}

root_updated=0
root_apt() {	# apt-get ARGS... in the build root, logged
	if [ "$root_updated" = 0 ]; then
		log "apt-get update in the build root"
		in_root apt-get update -q >> "$TM_CACHE/buildroot.log" 2>&1 ||
			{ tail -n 30 "$TM_CACHE/buildroot.log" >&2; die "apt-get update in $BUILD_ROOT failed"; }
		root_updated=1
	fi
	in_root env DEBIAN_FRONTEND=noninteractive apt-get -q \
		-o APT::Sandbox::User=root "$@" >> "$TM_CACHE/buildroot.log" 2>&1 ||
		{ tail -n 30 "$TM_CACHE/buildroot.log" >&2; die "apt-get $* in $BUILD_ROOT failed"; }
}

# root_install PKG[=VERSION]...: install in the build root those missing
root_install() {
	local p missing=()
	for p in "$@"; do root_installed "${p%%=*}" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]} in the build root (log: $TM_CACHE/buildroot.log)"
	root_apt install -y "${missing[@]}"
	root_apt clean
}

# fetch_image_root KREL: the image of KREL, of the version of its headers
# in the build root, unpacked into $KCACHE/KREL. 7.x packaging: the meta
# package linux-image-KREL depends on linux-base-KREL, linux-modules-KREL
# and linux-binary-KREL, the kernel signed for Secure Boot (source package
# linux-signed-amd64, usr/lib/modules/KREL/vmlinuz; linux-base has the
# config, modules.order and modules.builtin). Its unsigned twin
# linux-binary-unsigned-KREL (usr/lib/modules/KREL/vmlinuz.unsigned) comes
# from the source package of the headers and the modules themselves, and
# nothing here checks signatures: that is the one taken.
fetch_image_root() {
	local k=$1 dir=$KCACHE/$1 ver deps pkgs=() p dl get
	ver=$(dpkg-query --admindir="$BUILD_ROOT/var/lib/dpkg" -W -f='${Version}' \
		"linux-headers-$k")
	if [ -f "$dir/.image-ok" ] && [ "$(cat "$dir/.image-ok")" = "$ver" ] &&
	   [ -f "$dir/usr/lib/modules/$k/vmlinuz.unsigned" ] &&
	   [ -f "$dir/usr/lib/modules/$k/modules.builtin" ]; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "no image of $k: run as root"
	deps=$(in_root apt-cache show "linux-image-$k=$ver" 2>/dev/null |
	       sed -n 's/^Depends: //p' | head -n1) ||
		{ root_apt update; deps=$(in_root apt-cache show "linux-image-$k=$ver" |
		  sed -n 's/^Depends: //p' | head -n1); }
	for p in $(echo "$deps" | tr ',|' '\n\n' | sed 's/(.*//; s/ //g'); do
		case $p in
		"linux-binary-$k"|"linux-binary-unsigned-$k")
			pkgs+=("linux-binary-unsigned-$k=$ver") ;;
		"linux-modules-$k"|"linux-base-$k") pkgs+=("$p=$ver") ;;
		esac
	done
	# linux-base: config, modules.order, modules.builtin (what is built in)
	[ ${#pkgs[@]} = 3 ] ||
		die "linux-image-$k=$ver does not depend on linux-binary(-unsigned)-$k, linux-modules-$k and linux-base-$k (Depends: $deps)"
	dl=/var/cache/tm-download
	rm -rf "${BUILD_ROOT:?}$dl"
	mkdir -p "$BUILD_ROOT$dl"
	log "downloading ${pkgs[*]}"
	# shellcheck disable=SC2016
	get='cd "$0" && exec apt-get download -q -o APT::Sandbox::User=root "$@"'
	in_root sh -c "$get" "$dl" "${pkgs[@]}" >> "$TM_CACHE/buildroot.log" 2>&1 ||
		{ root_apt update; in_root sh -c "$get" "$dl" "${pkgs[@]}" \
			>> "$TM_CACHE/buildroot.log" 2>&1; } ||
		{ tail -n 20 "$TM_CACHE/buildroot.log" >&2; die "cannot download ${pkgs[*]}"; }
	mkdir -p "$dir"
	rm -rf "${dir:?}/boot" "${dir:?}/lib" "${dir:?}/usr" "$dir/.image-ok"
	log "unpacking them into $dir"
	for p in "$BUILD_ROOT$dl"/*.deb; do dpkg-deb -x "$p" "$dir"; done
	rm -rf "${BUILD_ROOT:?}$dl"
	[ -f "$dir/usr/lib/modules/$k/vmlinuz.unsigned" ] &&
	[ -f "$dir/usr/lib/modules/$k/modules.builtin" ] ||
		die "no usr/lib/modules/$k/vmlinuz.unsigned or modules.builtin in ${pkgs[*]}"
	# modules.dep is made by the package's postinst, which is not run.
	depmod -b "$dir/usr" "$k" || die "depmod failed for $k"
	echo "$ver" > "$dir/.image-ok"
}

# series_7x KREL: the build root, KREL's headers in it (TM_KVER_7_3 pins
# their version), its image of the same version; under a lock, since trees
# sharing $TM_CACHE may run this at the same time.
series_7x() {
	local k=$1 v=${TM_KVER_7_3:-} hv
	exec 7> "$TM_CACHE/.buildroot.lock"
	flock 7
	make_root
	# shellcheck disable=SC2086
	root_install $ROOT_PKGS "linux-headers-$k${v:+=$v}"
	hv=$(dpkg-query --admindir="$BUILD_ROOT/var/lib/dpkg" -W -f='${Version}' \
		"linux-headers-$k")
	[ -z "$v" ] || [ "$hv" = "$v" ] ||
		die "linux-headers-$k in $BUILD_ROOT is $hv, not $v (TM_KVER_7_3)"
	# The same version's source, for scripts/lint.sh (7.x's checkpatch and
	# kernel-doc: the headers carry neither) and scripts/check-debug.sh
	# (the debug kernel is built from it).
	root_install "linux-source-$(echo "$k" | cut -d. -f1,2)=$hv"
	fetch_image_root "$k"
	exec 7>&-
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
		7.*)
			series_7x "$k"
			;;
		*)
			if [ -n "${TM_UNPACK_HEADERS:-}" ] ||
			   ! installed "linux-headers-$k"; then
				fetch_headers "$k"
			fi
			;;
		esac
		case $s in 7.*) ;; *) fetch_image "$k" ;; esac
		echo "$k" > "$KCACHE/series-$s.tmp"
		mv "$KCACHE/series-$s.tmp" "$KCACHE/series-$s"
		log "kernel $s: $k ($("$(dirname "$0")/kernels.sh" kdir "$s"))"
	done
}

main "$@"
