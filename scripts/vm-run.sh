#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh SERIES MODE [ARGS...]
#
# Build test_mirror.ko for one Debian kernel series (6.1, 6.12, 7.3) and the
# test programs, make an initramfs, boot that kernel's real image in
# qemu-system-x86_64 (TCG) and run MODE in it (see scripts/guest-init):
#   check   the suite (scripts/suite.txt), KTAP
#   demo    /usr/bin/tm_demo ARGS        bench  /usr/bin/tm_bench ARGS
#   cmd     ARGS as a shell command line (debugging)
#   load    nothing between the module's load and its unload (what loading
#           with TM_MODPARAMS does: scripts/check-debug.sh's lockdep boot)
#
# Results go to build/<krel>/results/<MODE>/:
#   guest-kernel.log  kernel console (ttyS0)
#   output.log        the guest's test output (ttyS1)
#   results.ktap      flat KTAP: build, guest and host-side results
#   counts            "PASSED FAILED SKIPPED"
#   expected-report.log  the report TM_EXPECT_REPORT asked for, if found
# The results are printed as they come (KTAP in check and load mode, the
# programs' own output otherwise), then "<krel>: N passed, N failed, N skipped".
# Exit status 0 iff nothing failed.
#
# Host-side results added to the guest's: the guest reached its end marker
# (TM-GUEST-DONE) before the timeout, and the guest kernel log has no splat
# (WARNING, BUG, Oops, panic, lockdep, KASAN, hung task, RCU stall, a work
# queued on a deprecated workqueue...).
#
# Environment:
#   TM_TIMEOUT=S       whole-VM bound (check 1200, demo 600, bench 1800)
#   TM_PROG_TIMEOUT=S  bound of each program in the guest (600; other
#                      modes: TM_TIMEOUT - 60)
#   TM_MODPARAMS="..." test_mirror module parameters
#   TM_MEM=2048 TM_SMP=2 TM_HUGEPAGES=64 TM_ZRAM=256M TM_SCRATCH_MB=256
#   TM_CMDLINE="..."   more kernel command line
#   TM_SKIP_BUILD=1    use build/<krel>/test_mirror.ko and build/userspace as
#                      they are, built before (make check does; TM_MODULE,
#                      TM_USERSPACE, TM_SUITE: see mkinitramfs.sh); else the
#                      module is built with scripts/build-module.sh (and,
#                      on a kernel with device-private memory, lib/test_hmm
#                      with scripts/build-test-hmm.sh) and the programs
#                      with make userspace
#   TM_SPLAT_IGNORE=RE kernel log lines matching RE are not splats
#   TM_EXPECT_REPORT=RE  the boot provokes one kernel report on purpose,
#                      whose title line matches RE: the log must have it
#                      (result "guest kernel log has the expected report"),
#                      and the splat check becomes "no other splat": it
#                      skips only that report, from the "=====" line above
#                      its title to the "</TASK>" ending its stack dump,
#                      which is saved as expected-report.log
#   TM_QUIET=1         print only the summary line

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "vm-run: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: vm-run.sh SERIES MODE [ARGS...]"
series=$1 mode=$2; shift 2
args="$*"
case $args in *\"*) die "ARGS cannot contain double quotes" ;; esac
case ${TM_MODPARAMS:-} in *\"*) die "TM_MODPARAMS cannot contain double quotes" ;; esac

krel=$("$TOP/scripts/kernels.sh" krel "$series")
kdir=$("$TOP/scripts/kernels.sh" kdir "$series")
image=$("$TOP/scripts/kernels.sh" image "$series")

case $mode in
check) def_timeout=1200 ;;
demo)  def_timeout=600 ;;
bench) def_timeout=1800 ;;
*)     def_timeout=1200 ;;
esac
timeout_s=${TM_TIMEOUT:-$def_timeout}
if [ "$mode" = check ]; then ptimeout=${TM_PROG_TIMEOUT:-600}
else ptimeout=${TM_PROG_TIMEOUT:-$((timeout_s > 120 ? timeout_s - 60 : timeout_s))}; fi

out=$TOP/build/$krel/results/$mode
# Several people may share this tree: runs of the same kernel and mode wait
# for each other (fd 8), and so do builds for the same kernel (fd 9).
mkdir -p "$TOP/build/$krel/results"
exec 8> "$TOP/build/$krel/results/.$mode.lock"
if ! flock -n 8; then
	echo "vm-run: waiting for another vm-run.sh $series $mode to finish" >&2
	flock 8
fi
rm -rf "$out"
mkdir -p "$out"
raw=$out/output.raw klog_raw=$out/guest-kernel.raw
: > "$raw"; : > "$klog_raw"

emit() { echo "TM-RESULT $*"; }

# build: runs in the pipeline below; leaves $out/build.ok when it worked
build() {
	local ok=1
	exec 9> "$TOP/build/$krel/results/.build.lock"
	flock 9
	local ko=${TM_MODULE:-$TOP/build/$krel/test_mirror.ko}
	ko=${ko//\{krel\}/$krel}
	if [ -n "${TM_SKIP_BUILD:-}" ]; then
		# built already (make check builds before it runs the suite)
		if [ -f "$ko" ]; then
			emit ok "build: test_mirror.ko for $krel (built before)"
		else
			emit not ok "build: test_mirror.ko for $krel: no $ko"
			ok=0
		fi
		if [ -x "${TM_USERSPACE:-$TOP/build/userspace}/tm_tests" ]; then
			emit ok "build: test programs (built before)"
		else
			emit not ok "build: test programs: none in ${TM_USERSPACE:-build/userspace}"
			ok=0
		fi
	else
		if "$TOP/scripts/build-module.sh" "$kdir" \
			> "$out/build-module.log" 2>&1; then
			emit ok "build: test_mirror.ko for $krel"
		else
			emit not ok "build: test_mirror.ko for $krel"
			tail -n 40 "$out/build-module.log" | sed 's/^/# /'
			ok=0
		fi
		# the kernel's own lib/test_hmm, where hmm-tests-peer uses it
		if grep -q '^CONFIG_DEVICE_PRIVATE=y' "$kdir/.config"; then
			if "$TOP/scripts/build-test-hmm.sh" "$series" \
				> "$out/build-test-hmm.log" 2>&1; then
				emit ok "build: lib/test_hmm.ko for $krel"
			else
				emit not ok "build: lib/test_hmm.ko for $krel"
				tail -n 40 "$out/build-test-hmm.log" | sed 's/^/# /'
				ok=0
			fi
		fi
		if make -C "$TOP" --no-print-directory userspace \
			> "$out/build-userspace.log" 2>&1; then
			emit ok "build: test programs"
		else
			emit not ok "build: test programs"
			tail -n 40 "$out/build-userspace.log" | sed 's/^/# /'
			ok=0
		fi
	fi
	[ $ok = 1 ] || { exec 9>&-; return 0; }
	if "$TOP/scripts/mkinitramfs.sh" "$series" "$out/initramfs.cpio" \
		> "$out/initramfs.log" 2>&1; then
		sed 's/^/# /' "$out/initramfs.log"
		touch "$out/build.ok"
	else
		emit not ok "build: initramfs"
		sed 's/^/# /' "$out/initramfs.log"
	fi
	exec 9>&-
}

# no_timer_check: the IO-APIC timer check at boot can fail under TCG on a
# loaded host ("IO-APIC + timer doesn't work!" panic).
cmdline="console=ttyS0,115200 loglevel=7 printk.devkmsg=on panic=-1 no_timer_check"
cmdline+=" hugepages=${TM_HUGEPAGES:-64}"
cmdline+=" tm.mode=$mode tm.ptimeout=$ptimeout tm.zram=${TM_ZRAM:-256M} tm.scratch=1"
[ -n "$args" ] && cmdline+=" tm.args=\"$args\""
[ -n "${TM_MODPARAMS:-}" ] && cmdline+=" tm.modparams=\"$TM_MODPARAMS\""
[ -n "${TM_CMDLINE:-}" ] && cmdline+=" $TM_CMDLINE"

# boot: start qemu (under timeout) in the background, pid in $qpid
boot() {
	truncate -s "${TM_SCRATCH_MB:-256}M" "$out/scratch.img"
	mkfs.ext4 -q -F "$out/scratch.img"
	echo "$cmdline" > "$out/cmdline"
	# Single-threaded TCG: with one host thread per vCPU, code patched by
	# one vCPU (static keys, static calls: enabling a tracepoint, creating
	# the first memory cgroup) was seen executed stale by the other, an
	# "Oops: int3" in the guest. Round-robin TCG keeps 2 guest CPUs.
	timeout -k 10 "$timeout_s" qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=single -cpu max -smp "${TM_SMP:-2}" -m "${TM_MEM:-2048}" \
		-bios /usr/share/qemu/qboot.rom \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$image" -initrd "$out/initramfs.cpio" \
		-append "$cmdline" \
		-chardev file,id=con,path="$klog_raw",append=on \
		-serial chardev:con \
		-chardev file,id=out,path="$raw",append=on \
		-serial chardev:out \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-drive file="$out/scratch.img",if=virtio,format=raw,cache=unsafe \
		</dev/null > "$out/qemu.log" 2>&1 &
	qpid=$!
}

# Splat patterns in the guest kernel log (extended regexps).
splat_re='WARNING:|BUG:|kernel BUG at|Oops|Kernel panic|general protection fault'
splat_re+='|possible circular locking|possible recursive locking|lockdep'
splat_re+='|INFO: task .* blocked|KASAN|UBSAN|kmemleak:.*suspected memory leak|unreferenced object'
splat_re+='|RCU stall|self-detected stall|rcu_sched self-detected|detected stalls on CPU'
splat_re+='|soft lockup|hard LOCKUP|Unable to handle kernel|double fault'
splat_re+='|list_add corruption|list_del corruption|refcount_t: |stack-protector|ODEBUG:'
# a fault that reached a userfaultfd it cannot wait for (DEBUG_VM kernels)
splat_re+='|FAULT_FLAG_ALLOW_RETRY missing'
# a workqueue deprecated by the kernel (7.2's system_unbound_wq): compat.h
splat_re+='|enqueued on deprecated workqueue'

# TM_EXPECT_REPORT: find the report (its first and last line in rep_from
# and rep_to), save it, and say whether it is there. Lockdep turns itself
# off after its first report, hence one report per boot.
expected_report() {
	local log=$out/guest-kernel.log title
	title=$(grep -nE -m1 -- "$TM_EXPECT_REPORT" "$log" | cut -d: -f1)
	if [ -n "$title" ]; then
		rep_from=$title
		sed -n "$((title - 1))p" "$log" | grep -qE '^\[[ 0-9.]+\] =+$' &&
			rep_from=$((title - 1))
		rep_to=$(awk -v t="$title" 'NR > t && /<\/TASK>/ { print NR; exit }' "$log")
	fi
	if [ -z "$title" ]; then
		emit not ok "guest kernel log has the expected report ($TM_EXPECT_REPORT): absent"
		rep_from=0 rep_to=0
	elif [ -z "$rep_to" ]; then
		emit not ok "guest kernel log has the expected report ($TM_EXPECT_REPORT): no end of its stack dump (</TASK>)"
		rep_to=$title
	else
		sed -n "${rep_from},${rep_to}p" "$log" > "$out/expected-report.log"
		emit ok "guest kernel log has the expected report (lines $rep_from-$rep_to: $(sed -n "${title}p" "$log" | sed 's/^\[[ 0-9.]*\] //'))"
	fi
}

host_checks() {	# qemu's exit status
	local qrc=$1
	tr -d '\r' < "$klog_raw" > "$out/guest-kernel.log"
	if grep -q '^TM-GUEST-DONE' "$out/output.log"; then
		emit ok "guest finished (TM-GUEST-DONE)"
	else
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			emit not ok "guest finished (TM-GUEST-DONE): killed by the host timeout after $timeout_s s"
		else
			emit not ok "guest finished (TM-GUEST-DONE): no end marker, qemu exit status $qrc"
		fi
		echo "# last lines of the guest kernel log:"
		tail -n 25 "$out/guest-kernel.log" | sed 's/^/#   /'
		sed 's/^/#   qemu: /' "$out/qemu.log"
	fi
	local hits what="no splat" rep_from=0 rep_to=0
	if [ -n "${TM_EXPECT_REPORT:-}" ]; then
		what="no other splat"
		expected_report
	fi
	# (lines rep_from..rep_to are the expected report, if any)
	hits=$(grep -nE "$splat_re" "$out/guest-kernel.log" |
	       awk -F: -v a="$rep_from" -v b="$rep_to" '$1 < a || $1 > b' |
	       { if [ -n "${TM_SPLAT_IGNORE:-}" ]; then grep -vE "$TM_SPLAT_IGNORE"; else cat; fi; } || true)
	if [ -z "$hits" ]; then
		emit ok "guest kernel log has $what"
	else
		emit not ok "guest kernel log has $what"
		echo "# $(echo "$hits" | wc -l) offending line(s) in $out/guest-kernel.log:"
		echo "$hits" | head -n 40 | sed 's/^/#   /'
		# the first splat with some context
		local first
		first=$(echo "$hits" | head -n1 | cut -d: -f1)
		echo "# context of the first one:"
		sed -n "$((first > 5 ? first - 5 : 1)),$((first + 30))p" "$out/guest-kernel.log" |
			sed 's/^/#   | /'
	fi
}

stream() {
	# runs in a pipeline subshell: keep going on errors, every result
	# line matters more than stopping early
	set +e +o pipefail
	build
	[ -f "$out/build.ok" ] || return 0
	local qrc attempt
	for attempt in 1 2; do
		boot || { emit not ok "boot: qemu could not start"; return 0; }
		trap 'kill "$qpid" 2>/dev/null' INT TERM
		# (ktap-summary.sh strips the serial port's \r)
		tail -n +1 -s 0.2 -f --pid="$qpid" "$raw"
		qrc=0
		wait "$qpid" || qrc=$?
		trap - INT TERM
		# A guest that died before running /init (e.g. a timer check
		# that failed on a heavily loaded host) is booted once more;
		# nothing of ours has run in it yet.
		if [ $attempt = 1 ] && [ ! -s "$raw" ] && [ "$qrc" != 124 ]; then
			tr -d '\r' < "$klog_raw" > "$out/guest-kernel.attempt1.log"
			echo "# boot attempt 1 died before /init (qemu exit status $qrc), booting again;"
			echo "# its kernel log: ${out#"$TOP"/}/guest-kernel.attempt1.log"
			grep -E "$splat_re" "$out/guest-kernel.attempt1.log" | head -n 3 | sed 's/^/#   /'
			: > "$klog_raw"
			continue
		fi
		break
	done
	echo "$qrc" > "$out/qemu.rc"
	tr -d '\r' < "$raw" > "$out/output.log"
	host_checks "$qrc"
}

summary_opts=(--counts "$out/counts")
# (load runs no program: only harness results, shown as in check mode)
case $mode in check|load) ;; *) summary_opts+=(--raw) ;; esac
start=$(date +%s)
if [ -n "${TM_QUIET:-}" ]; then
	stream | "$TOP/scripts/ktap-summary.sh" "${summary_opts[@]}" > "$out/results.ktap"
else
	stream | "$TOP/scripts/ktap-summary.sh" "${summary_opts[@]}" | tee "$out/results.ktap"
fi
rm -f "$raw" "$klog_raw" "$out/scratch.img"
read -r passed failed skipped < "$out/counts"
echo "$krel: $passed passed, $failed failed, $skipped skipped ($(( $(date +%s) - start )) s, results in ${out#"$TOP"/})"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
