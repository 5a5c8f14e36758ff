#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh [--build-only|--cached|--lockdep-only]   (make check-debug)
#
# The debug-kernel lane: the whole suite (scripts/suite.txt, with its fuzz
# and stress shares) on a kernel built from Debian's linux-source-7.3 with
# KASAN, lockdep (PROVE_LOCKING), DEBUG_VM, DEBUG_ATOMIC_SLEEP, KMEMLEAK and
# DEBUG_OBJECTS, and with what the driver's next steps need: device-private
# memory (ZONE_DEVICE, DEVICE_PRIVATE) and the DRM GPU scheduler
# (DRM_SCHED); the configuration is x86_64_defconfig + kvm_guest.config +
# scripts/debug-kernel.config, then olddefconfig, and every line of that
# fragment is checked to have stuck.
#
# The source is the linux-source-7.3 that scripts/deps.sh installs in the
# trixie build root, the version of the 7.3 headers there. The kernel is
# built on the host, with its gcc 12: 7.3 asks for gcc >= 8.1, binutils
# >= 2.30, make >= 4.0, flex, bison, bc and the libelf and libssl headers,
# all of which the host has (deps.sh), and pahole >= 1.26 only for BTF,
# which this kernel does without (DEBUG_INFO_NONE). Built there, its kbuild
# tools are the host's, so test_mirror.ko is built against it on the host
# as well, with no build root. (trixie's gcc 14 would compile it no faster,
# and the root would need a toolchain of its own for kernels.) One thing
# differs from a gcc 14 build: with KASAN and gcc < 13.3, 7.3 does not use
# named address spaces for per-CPU data (USE_X86_SEG_SUPPORT, GCC PR
# sanitizer/111736), a configuration the kernel supports.
#
# The kernel is built once per machine and cached in
#   $TM_CACHE/debug-kernel/<key>/       (TM_CACHE=/var/cache/test_mirror)
#     linux/        the source and build tree (KDIR for test_mirror.ko)
#     root/         boot/vmlinuz-<krel> and lib/modules/<krel>/ (installed)
#     config krel build.log build-seconds
#     .ok           the build finished
# (about 3 GB; an entry for an older fragment can be deleted by hand).
# <key> hashes the fragment's CONFIG lines, the linux-source-7.3 version,
# gcc's version and RECIPE below. An interrupted build resumes where it
# stopped; concurrent runs wait for each other (flock). The kernel release
# is 7.3.<sublevel>-tmdebug. Then the suite runs through the usual harness
# as the kernel series "debug" (scripts/check.sh debug -> vm-run.sh debug
# check, TM_DEBUG_DIR pointing at the cache entry; see kernels.sh), and in
# the guest, since /sys/kernel/debug/kmemleak exists, guest-init adds a
# kmemleak result after rmmod (scan, sleep, scan: the report must be
# empty). KASAN, lockdep, DEBUG_VM, debug-objects and sleep-in-atomic
# reports fail the run through vm-run.sh's splat check of the kernel log.
#
# Then one more boot of the same kernel, which must make lockdep report:
# see fence_lockdep_boot below. It counts as one result.
#
# Output as scripts/check.sh (last line "N passed, N failed, N skipped",
# the suite's and the lockdep boot's); exit status 0 iff nothing failed.
#
# Environment:
#   TM_DEBUG_JOBS=N     make -j (default: nproc)
#   TM_DEBUG_NICE=N     nice level of the kernel build (10)
#   TM_TIMEOUT, TM_PROG_TIMEOUT   as vm-run.sh; the defaults here are larger
#                       (KASAN + lockdep under TCG are several times slower)
#   TM_DEBUG_TSCALE=N   multiply the suite's timeout=S and each test's own
#                       timeout (the harness, tm_harness.c) by N (4)
#   TM_LOCKDEP_TIMEOUT=S  whole-VM bound of the lockdep boot (900)
#   LINUX_SRC_TARBALL   (default the build root's
#                       /usr/src/linux-source-7.3.tar.xz; TM_BUILD_ROOT)
#   --build-only        build (or find) the kernel, print its cache dir, stop
#   --cached            print the cache dir and exit 0 if the kernel of this
#                       configuration is built, else exit 1 (builds nothing)
#   --lockdep-only      only the lockdep boot (fence_lockdep_boot), not the
#                       suite

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
TM_CACHE=${TM_CACHE:-/var/cache/test_mirror}
DCACHE=$TM_CACHE/debug-kernel
BUILD_ROOT=${TM_BUILD_ROOT:-$TM_CACHE/trixie-root}
SRC_PKG=linux-source-7.3
DEF_TARBALL=$BUILD_ROOT/usr/src/$SRC_PKG.tar.xz
TARBALL=${LINUX_SRC_TARBALL:-$DEF_TARBALL}
FRAG=$TOP/scripts/debug-kernel.config
RECIPE=2	# bump when a change below changes what gets built
JOBS=${TM_DEBUG_JOBS:-$(nproc)}
NICE=${TM_DEBUG_NICE:-10}
BUILD_PKGS="gcc make flex bison bc libelf-dev libssl-dev kmod xz-utils"

log() { echo "check-debug: $*" >&2; }
die() { echo "check-debug: error: $*" >&2; exit 2; }

build_only=0 cached_only=0 lockdep_only=0
case ${1:-} in
--build-only) build_only=1 ;;
--cached) cached_only=1 ;;
--lockdep-only) lockdep_only=1 ;;
"") ;;
*) die "usage: check-debug.sh [--build-only|--cached|--lockdep-only]" ;;
esac


need_packages() {
	local p missing=()
	for p in $BUILD_PKGS; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = \
		  "install ok installed" ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] || die "missing packages: ${missing[*]} (run make deps)"
}

# The version of linux-source-7.3 in the build root, if installed there.
src_version() {
	dpkg-query --admindir="$BUILD_ROOT/var/lib/dpkg" -W -f='${Version}' \
		"$SRC_PKG" 2>/dev/null || true
}

# The fragment's meaningful lines: CONFIG_X=V and "# CONFIG_X is not set".
frag_lines() {
	grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$FRAG"
}

cache_key() {
	local srcver
	srcver=$(src_version)
	[ "$TARBALL" = "$DEF_TARBALL" ] && [ -n "$srcver" ] ||
		srcver="$(basename "$TARBALL") $(stat -c %s "$TARBALL")"
	{
		echo "recipe $RECIPE"
		echo "source $srcver"
		echo "cc $(gcc --version | head -n1)"
		frag_lines
	} | sha256sum | cut -c1-16
}

# verify_config .config: every fragment line stuck
verify_config() {
	local cfg=$1 line sym bad=0
	while IFS= read -r line; do
		case $line in
		'# CONFIG_'*)
			sym=${line#\# }; sym=${sym%% *}
			if grep -q "^$sym=" "$cfg"; then
				log "config: wanted '$line', got '$(grep "^$sym=" "$cfg")'"
				bad=1
			fi ;;
		*)
			if ! grep -qxF -- "$line" "$cfg"; then
				sym=${line%%=*}
				log "config: wanted '$line', got '$(grep -E "^$sym=|^# $sym is not set" "$cfg" || echo "(absent)")'"
				bad=1
			fi ;;
		esac
	done < <(frag_lines)
	[ $bad = 0 ] || die "the debug kernel configuration is not what scripts/debug-kernel.config asks"
}

kmake() {
	nice -n "$NICE" make -C "$src" -j"$JOBS" "$@"
}

build_kernel() {
	local d=$1 t0 krel
	src=$d/linux
	mkdir -p "$d"
	t0=$(date +%s)
	if [ ! -f "$d/.extracted" ]; then
		log "extracting $TARBALL into $src"
		rm -rf "$src" "$d/src.tmp"
		mkdir -p "$d/src.tmp"
		tar -xJf "$TARBALL" -C "$d/src.tmp"
		mv "$d/src.tmp"/linux-source-* "$src"
		rm -rf "$d/src.tmp"
		touch "$d/.extracted"
	fi
	if [ ! -f "$d/.configured" ]; then
		log "configuring: x86_64_defconfig + kvm_guest.config + ${FRAG#"$TOP"/}"
		{
			kmake defconfig
			kmake kvm_guest.config
			(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$FRAG")
			kmake olddefconfig
		} > "$d/config.log" 2>&1 || { tail -n 30 "$d/config.log" >&2; die "configuration failed"; }
		verify_config "$src/.config"
		cp "$src/.config" "$d/config"
		touch "$d/.configured"
	fi
	log "building in $src ($JOBS jobs, nice $NICE; log: $d/build.log)"
	if ! kmake bzImage modules >> "$d/build.log" 2>&1; then
		tail -n 40 "$d/build.log" >&2
		die "kernel build failed (log: $d/build.log; rerun to resume)"
	fi
	# known only once the build has made include/config/auto.conf
	krel=$(cat "$src/include/config/kernel.release")
	case $krel in *-tmdebug) ;; *) die "kernel release '$krel' lacks -tmdebug" ;; esac
	rm -rf "$d/root"
	mkdir -p "$d/root/boot"
	kmake -s modules_install INSTALL_MOD_PATH="$d/root" >> "$d/build.log" 2>&1 ||
		die "modules_install failed (log: $d/build.log)"
	cp "$src/arch/x86/boot/bzImage" "$d/root/boot/vmlinuz-$krel"
	cp "$src/System.map" "$d/root/boot/System.map-$krel"
	ln -sfn "$src" "$d/root/lib/modules/$krel/build"
	depmod -b "$d/root" "$krel"
	echo "$krel" > "$d/krel"
	echo $(( $(date +%s) - t0 )) >> "$d/build-seconds"
	# CPU time of this script's children (the build), user and system
	{ times; } > "$d/times.tmp"
	tail -n1 "$d/times.tmp" > "$d/build-cpu-times"
	rm -f "$d/times.tmp"
	touch "$d/.ok"
	log "built $krel in $(( $(date +%s) - t0 )) s (CPU user/sys: $(cat "$d/build-cpu-times"))"
}

if [ $cached_only = 1 ]; then
	# no installing, no building: is this configuration's kernel there?
	[ -r "$TARBALL" ] && command -v gcc >/dev/null || exit 1
	dir=$DCACHE/$(cache_key)
	[ -f "$dir/.ok" ] || exit 1
	echo "$dir"
	exit 0
fi
need_packages
[ -r "$TARBALL" ] ||
	die "$TARBALL not found (make deps installs $SRC_PKG in the build root with the 7.3 kernel)"
[ -r "$FRAG" ] || die "$FRAG not found"
key=$(cache_key)
dir=$DCACHE/$key
mkdir -p "$DCACHE"
exec 9> "$DCACHE/$key.lock"
if ! flock -n 9; then
	log "another run is building $dir: waiting"
	flock 9
fi
if [ -f "$dir/.ok" ]; then
	log "cached kernel $(cat "$dir/krel") in $dir (built in $(tail -n1 "$dir/build-seconds") s)"
else
	build_kernel "$dir"
fi
echo "$dir" > "$DCACHE/current"
flock -u 9
exec 9>&-

export TM_DEBUG_DIR=$dir
if [ $build_only = 1 ]; then
	echo "$dir"
	exit 0
fi

# KASAN + lockdep + kmemleak under TCG: the test programs run about 10
# times slower than on Debian's 7.3 (measured on 7.3.4-tmdebug, the machine
# shared: tm_tests 31 s vs 3, tm_events 90 vs 6, tm_fuzz 214 vs 21), plus
# ~35 s of kmemleak scans; the whole lane took 10 to 16 minutes. Generous
# bounds: the whole VM normally ends long before them.
export TM_TIMEOUT=${TM_TIMEOUT:-3600}
export TM_PROG_TIMEOUT=${TM_PROG_TIMEOUT:-1800}
# kmemleak's own info lines are not splats (vm-run.sh matches
# "kmemleak:.*leak"): its banner, and the "N new suspected memory leaks"
# each scan prints, including guest-init's baseline scan of what leaked
# while booting. Leaks since the baseline fail guest-init's kmemleak result.
# Nor is the boot banner "rcu: RCU lockdep checking is enabled."
ignore='kmemleak: (Kernel memory leak detector initialized|[0-9]+ new suspected memory leaks)'
ignore+='|RCU lockdep checking is enabled'
export TM_SPLAT_IGNORE="$ignore${TM_SPLAT_IGNORE:+|$TM_SPLAT_IGNORE}"
# The suite's "timeout=S" bounds and the tests' own are for Debian's
# kernels: TM_TIMEOUT_SCALE on the kernel command line reaches guest-init
# and every program as an environment variable, and multiplies them.
#
# no5lvl: the guest runs with 4-level paging although qemu's "-cpu max"
# offers LA57. With LA57 this kernel makes false KASAN reports at boot that
# are not ours (first seen with 6.1; 7.3.4's code is the same):
# identify_cpu() zeroes boot_cpu_data's capabilities before it reads CPUID
# again, with interrupts on and before the alternatives are patched, and
# during that window pgtable_l5_enabled() (which outside the early boot
# code is cpu_feature_enabled(X86_FEATURE_LA57), there a test of
# boot_cpu_data) says 4-level, so KASAN's shadow bounds shrink to the
# 47-bit layout and an interrupt taken then (handle_edge_irq's
# raw_spin_lock on an irq_desc in the 5-level direct map, 0xff11...) is
# reported as "BUG: KASAN: wild-memory-access". Measured on 7.3.4-tmdebug
# under TCG: 3 boots in 15 with LA57 had it, none in 12 with no5lvl; under
# gdb, at identify_cpu()'s call of get_cpu_cap(), IF=1, CR4.LA57=1 and the
# LA57 bit of boot_cpu_data is clear. With no5lvl the kernel clears LA57
# for good (setup_clear_cpu_cap), so the answer never flips. The
# Debian-kernel lanes keep 5-level paging.
export TM_CMDLINE="TM_TIMEOUT_SCALE=${TM_DEBUG_TSCALE:-4} no5lvl${TM_CMDLINE:+ $TM_CMDLINE}"
# The host-side checks are make check's business, but for what only this
# kernel builds (the KUnit module): W=1 and sparse on it.
export TM_LINT_CHECKS=${TM_LINT_CHECKS:-w1 sparse}
export TM_NONOTIFIER=${TM_NONOTIFIER:-0}

# fence_lockdep_boot: prove that lockdep checks the job engine's
# fence-signalling sections ("Job engine" in driver/tm_sched.c), on this
# kernel, with a deliberate violation: test_mirror loaded with
# job_fence_violation=1, whose load-time engine self-check allocates with
# GFP_KERNEL inside the section (vm-run.sh mode "load": nothing else runs).
# The kernel taught lockdep at boot that reclaim may wait for a fence
# (dma_resv_lockdep(): fs_reclaim --> mmu_notifier_invalidate_range_start
# --> dma_fence_map), so that allocation closes a cycle, and the boot
# passes only if the log has that report:
#   WARNING: possible circular locking dependency detected
#   ... is trying to acquire lock:
#   ... (fs_reclaim){...}, at: <the allocator>
#   but task is already holding lock:
#   ... (dma_fence_map){...}, at: tm_sched_engine_work+...
# with tm_selftest_run (the hook) in the acquiring stack, and if the rest
# of the boot is clean: the module loads (the self-check's jobs still
# complete: lockdep only reports) and unloads, kmemleak finds nothing, and
# the kernel log has no splat outside that report (vm-run.sh's
# TM_EXPECT_REPORT). A boot of its own, with its own results
# (build/<krel>/results/load/), because lockdep turns itself off after its
# first report, and so that the suite's boot keeps failing on any splat.
# Prints one KTAP result; adds it to tp/tf.
fence_lockdep_boot() {
	local krel res rep t0 secs rc why="" hold acq
	local desc="lockdep reports a GFP_KERNEL allocation in the job engine's fence-signalling section (job_fence_violation=1)"

	krel=$("$TOP/scripts/kernels.sh" krel debug)
	res=$TOP/build/$krel/results/load
	rep=$res/expected-report.log
	echo "== kernel $krel: load job_fence_violation=1 (the lockdep boot) =="
	t0=$(date +%s)
	TM_MODPARAMS=job_fence_violation=1 TM_TIMEOUT=${TM_LOCKDEP_TIMEOUT:-900} \
	TM_EXPECT_REPORT='WARNING: possible circular locking dependency detected' \
	TM_QUIET=1 "$TOP/scripts/vm-run.sh" debug load | sed 's/^/# /' && rc=0 || rc=$?
	secs=$(( $(date +%s) - t0 ))
	acq=$(grep -A1 'is trying to acquire lock:' "$rep" 2>/dev/null | tail -n +2 || true)
	hold=$(grep -A1 'but task is already holding lock:' "$rep" 2>/dev/null | tail -n +2 || true)
	if [ "$rc" != 0 ]; then
		why="the boot failed (${res#"$TOP"/}/results.ktap)"
		grep '^not ok' "$res/results.ktap" 2>/dev/null | sed 's/^/#   /' || true
	elif ! echo "$acq" | grep -q ' (fs_reclaim){'; then
		why="the lock acquired is not fs_reclaim"
	elif ! echo "$hold" | grep -qE ' \(dma_fence_map\)\{.*, at: tm_sched_engine_work\+'; then
		why="the lock held is not dma_fence_map of tm_sched_engine_work"
	elif ! grep -q ' tm_selftest_run+' "$rep"; then
		why="tm_selftest_run is not in the report's stacks"
	fi
	if [ -s "$rep" ]; then
		echo "# the report (${rep#"$TOP"/}), in part:"
		{ grep 'WARNING: possible circular' "$rep"
		  grep -E -A1 'is trying to acquire|but task is already holding|Chain exists of' "$rep"
		} | grep -v '^--$' | sed 's/^\[[ 0-9.]*\] /#   /' || true
	fi
	echo "# lockdep boot: $secs s"
	if [ -z "$why" ]; then
		echo "ok 1 $desc"
		tp=$((tp + 1))
	else
		echo "not ok 1 $desc: $why"
		tf=$((tf + 1))
	fi
}

# The suite, as the kernel series "debug"; its totals line comes last, with
# the lockdep boot's result added.
tp=0 tf=0 ts=0
if [ $lockdep_only = 0 ]; then
	counts=$TOP/build/check-debug-counts
	rm -f "$counts"
	TM_COUNTS=$counts "$TOP/scripts/check.sh" debug | sed '$d' || true
	if [ -s "$counts" ]; then
		read -r tp tf ts < "$counts"
	else
		echo "not ok 1 check.sh debug produced no results"
		tf=1
	fi
fi
fence_lockdep_boot
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ] && [ "$tp" -gt 0 ]
