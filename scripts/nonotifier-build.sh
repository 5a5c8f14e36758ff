#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nonotifier-build.sh [CONFIG...]	(default: nonotifier nodrm hmm)
#
# Proves the "required kernel options" check at the end of Kbuild: on a
# kernel without CONFIG_MMU_NOTIFIER / CONFIG_HMM_MIRROR (or without DRM)
# the module build stops before compiling anything, with exactly one message
# naming what is missing; on a kernel with them it builds.
#
# Debian's linux-source-6.1 is extracted once into $TM_CACHE/src/ (outside
# the repository; TM_CACHE=/var/cache/test_mirror), then for each CONFIG a
# fresh tree $TM_CACHE/src/obj-CONFIG/ (O=) is configured from
# x86_64_defconfig and prepared with `make modules_prepare`, which is all an
# external module needs, and test_mirror is built against it:
#
#   nonotifier  DRM=m; DRM_I915, KVM, X86_SGX, INTEL_IOMMU_SVM, AMD_IOMMU_V2
#               off (each selects MMU_NOTIFIER; defconfig has DRM_I915=y).
#               Asserts MMU_NOTIFIER and HMM_MIRROR unset, then that the
#               build fails with one message naming exactly those two.
#   nodrm       hmm below without DRM: the message names CONFIG_DRM alone.
#   hmm         nonotifier plus TEST_HMM=m (lib/test_hmm: the one driver that
#               selects HMM_MIRROR with few dependencies: TRANSPARENT_HUGEPAGE,
#               MEMORY_HOTPLUG, MEMORY_HOTREMOVE, ZONE_DEVICE, DEVICE_PRIVATE).
#               Asserts MMU_NOTIFIER=y, HMM_MIRROR=y, DRM=m, then that the
#               module builds with W=1 and no compiler warning. modpost's
#               "undefined!" warnings are expected and only counted: a
#               modules_prepare tree has no vmlinux symbol list.
#
# Output is KTAP, with wall times as diagnostics; exit status 0 iff all
# passed. Installs flex, bison, bc and libelf-dev (kconfig, objtool) if
# missing and run as root.

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
TM_CACHE=${TM_CACHE:-/var/cache/test_mirror}
TARBALL=${LINUX_SRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
D=$TM_CACHE/src
SRC=$D/linux-source-6.1
PKGS="linux-source-6.1 gcc make flex bison bc libelf-dev"
NCPU=$(nproc 2>/dev/null || echo 2)
CONFIGS=${*:-nonotifier nodrm hmm}

die() { echo "nonotifier-build: $*" >&2; exit 2; }

# ---- KTAP ----------------------------------------------------------------------

n=0 failed=0 plan=1
for c in $CONFIGS; do
	case $c in
	nonotifier|nodrm|hmm) plan=$((plan + 3)) ;;
	*) die "unknown config '$c' (known: nonotifier nodrm hmm)" ;;
	esac
done

result() {	# STATUS(0 = ok) DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /'; }

t0=0
tstart() { t0=$(date +%s.%N); }
telapsed() { echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }'; }

# ---- setup -----------------------------------------------------------------------

missing=()
for p in $PKGS; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || die "missing packages: ${missing[*]} (run make deps)"
[ -f "$TARBALL" ] || die "$TARBALL not found"

mkdir -p "$D" || die "cannot create $D"
exec 9>"$D/.lock"
flock 9	# one run at a time: the trees below are rebuilt from scratch

echo "KTAP version 1"
echo "1..$plan"

# The source, extracted once per linux-source version.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ "$TARBALL" = /usr/src/linux-source-6.1.tar.xz ] && [ -n "$srcver" ] ||
	srcver="$(basename "$TARBALL") $(stat -c %s-%Y "$TARBALL")"
tstart
if [ -f "$SRC/.tm-source" ] && [ "$(cat "$SRC/.tm-source")" = "$srcver" ]; then
	result 0 "linux-source $srcver: already extracted in $SRC"
else
	rm -rf "$SRC" "$D/.extract"
	mkdir -p "$D/.extract"
	if tar -xJf "$TARBALL" -C "$D/.extract" &&
	   mv "$D/.extract"/linux-source-* "$SRC"; then
		echo "$srcver" > "$SRC/.tm-source"
		echo "# time: extract $(telapsed) s"
		result 0 "linux-source $srcver: extracted in $SRC"
	else
		result 1 "linux-source $srcver: extraction into $SRC failed"
		rm -rf "$D/.extract"
		echo "# nonotifier-build: cannot go on without the source"
		exit 1
	fi
	rm -rf "$D/.extract"
fi

# ---- per configuration ---------------------------------------------------------

kmake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }

# cfg OBJ SYMBOL: y, m, or n for SYMBOL in OBJ/.config
cfg() {
	local v
	v=$(sed -n "s/^CONFIG_$2=//p" "$1/.config")
	echo "${v:-n}"
}

NO_NOTIFIER=(-d DRM_I915 -d KVM -d X86_SGX -d INTEL_IOMMU_SVM -d AMD_IOMMU_V2 -m DRM)
WITH_HMM=(-e TRANSPARENT_HUGEPAGE -e MEMORY_HOTPLUG -e MEMORY_HOTREMOVE
	  -e ZONE_DEVICE -e DEVICE_PRIVATE -m TEST_HMM)

declare -A WANT_CFG=(
	[nonotifier]="MMU_NOTIFIER=n HMM_MIRROR=n DRM=m"
	[nodrm]="MMU_NOTIFIER=y HMM_MIRROR=y DRM=n"
	[hmm]="MMU_NOTIFIER=y HMM_MIRROR=y DRM=m"
)
declare -A WANT_MISSING=(
	[nonotifier]="CONFIG_MMU_NOTIFIER, CONFIG_HMM_MIRROR"
	[nodrm]="CONFIG_DRM"
	[hmm]=""
)

one_config() {
	local name=$1 obj=$D/obj-$1 log=$D/obj-$1.log blog=$D/tm-build-$1.log
	local args=() kv have ok=0 bad="" krel rc lines msg w ko undef cc
	case $name in
	nonotifier) args=("${NO_NOTIFIER[@]}") ;;
	nodrm)      args=("${NO_NOTIFIER[@]}" "${WITH_HMM[@]}" -d DRM) ;;
	hmm)        args=("${NO_NOTIFIER[@]}" "${WITH_HMM[@]}") ;;
	esac

	# 1. configure
	tstart
	rm -rf "$obj" "$D/tm-build-$name"
	if ! { kmake -C "$SRC" O="$obj" x86_64_defconfig &&
	       "$SRC/scripts/config" --file "$obj/.config" "${args[@]}" &&
	       kmake -C "$SRC" O="$obj" olddefconfig; } >"$log" 2>&1; then
		tail -n 20 "$log" | diag
		result 1 "$name: configure"
		return
	fi
	for kv in ${WANT_CFG[$name]}; do
		have=$(cfg "$obj" "${kv%=*}")
		[ "$have" = "${kv#*=}" ] || { ok=1; bad+=" CONFIG_${kv%=*}=$have"; }
	done
	[ -n "$bad" ] && echo "# $name: wanted ${WANT_CFG[$name]}, got$bad"
	echo "# time: $name configure $(telapsed) s"
	result $ok "$name: x86_64_defconfig ${args[*]} gives ${WANT_CFG[$name]}"

	# 2. modules_prepare
	tstart
	if ! kmake -C "$SRC" O="$obj" -j"$NCPU" modules_prepare >>"$log" 2>&1; then
		tail -n 20 "$log" | diag
		result 1 "$name: make modules_prepare (log: $log)"
		return
	fi
	echo "# time: $name modules_prepare $(telapsed) s"
	result 0 "$name: make modules_prepare"

	# 3. build test_mirror against it
	krel=$(cat "$obj/include/config/kernel.release" 2>/dev/null)
	tstart
	"$TOP/scripts/build-module.sh" "$obj" "$D/tm-build-$name/$krel" W=1 >"$blog" 2>&1
	rc=$?
	echo "# time: $name test_mirror build $(telapsed) s"
	ko=$(find "$D/tm-build-$name" -name test_mirror.ko 2>/dev/null | head -n1)
	cc=$(grep -cE 'CC \[M\] +.*/driver/[^/]+\.o$' "$blog")
	if [ -n "${WANT_MISSING[$name]}" ]; then
		# Exactly one "***" line that is not make's own, naming
		# exactly the missing options; nothing compiled; no module.
		lines=$(grep -F '***' "$blog" | grep -vE '^make(\[[0-9]+\])?: ')
		msg=$(sed -nE 's/.* has (.*) unset\..*/\1/p' <<<"$lines")
		printf '%s\n' "$lines" | diag
		ok=0
		[ $rc != 0 ] || { ok=1; echo "# the build succeeded"; }
		[ "$(grep -c . <<<"$lines")" = 1 ] || { ok=1; echo "# wanted exactly one message"; }
		grep -q 'test_mirror needs' <<<"$lines" || { ok=1; echo "# not the Kbuild message"; }
		[ "$msg" = "${WANT_MISSING[$name]}" ] ||
			{ ok=1; echo "# it names '$msg', wanted '${WANT_MISSING[$name]}'"; }
		[ "$cc" = 0 ] || { ok=1; echo "# $cc files were compiled first"; }
		[ -z "$ko" ] || { ok=1; echo "# a module was produced: $ko"; }
		[ $ok = 0 ] || tail -n 20 "$blog" | diag
		result $ok "$name: kernel $krel: the build stops before compiling, naming ${WANT_MISSING[$name]}"
	else
		w=$(grep -E '(warning|error):|\*\*\*' "$blog" | grep -vE '^make(\[[0-9]+\])?: ')
		undef=$(grep -c 'WARNING: modpost: .*undefined!' "$blog")
		ok=0
		[ $rc = 0 ] || ok=1
		[ -z "$w" ] || { ok=1; printf '%s\n' "$w" | diag; }
		[ -n "$ko" ] || { ok=1; echo "# no test_mirror.ko"; }
		[ $ok = 0 ] || tail -n 20 "$blog" | diag
		echo "# modpost: $undef undefined-symbol warnings (expected: no vmlinux symbol list in a modules_prepare tree)"
		result $ok "$name: kernel $krel: test_mirror builds with W=1, $cc files, no compiler warning"
	fi
}

tall=$(date +%s.%N)
for c in $CONFIGS; do one_config "$c"; done
echo "# time: all configs $(echo "$(date +%s.%N) $tall" | awk '{ printf "%.1f", $1 - $2 }') s"
echo "# nonotifier-build: $((n - failed)) passed, $failed failed"
[ $failed = 0 ] && [ $n = $plan ]
