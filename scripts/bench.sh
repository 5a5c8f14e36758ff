#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [SERIES...]   (default: 6.1 6.12, or $TM_BENCH_KERNELS)
# bench.sh --peer [--profile] [SERIES]   (default 7.3; make bench-peer)
#
# The benchmarks (populate, invalidate, table memory, event-aware savings,
# sparse ranges): boots each Debian kernel under qemu in bench mode
# (scripts/each-kernel.sh bench), runs /usr/bin/tm_bench there, and
# collects, in build/bench/:
#   <krel>/tm_bench.out    tm_bench's own output (tables, SERIES, METRIC lines)
#   <krel>/report.txt      its human tables
#   <krel>/bench.svg       the plots
#   <krel>/output.log, guest-kernel.log, results.ktap   the VM run
#   metrics.txt            one METRIC line per metric and kernel
#   series.tsv             the size -> time series
#   summary.txt            the headline metrics side by side (also printed)
#   RESULTS.rst            the results page, copied to the top of the tree
#
# --peer: the comparison with the kernel's own lib/test_hmm (tm_bench's P6
# and P7 sections), in one boot of SERIES (7.3: the one kernel whose
# test_hmm.c builds out of tree here): scripts/build-test-hmm.sh builds the
# unmodified lib/test_hmm.c of its linux-source, the initramfs carries it
# beside test_mirror.ko, and tm_bench --only P6,P7 loads, measures and
# unloads each device in turn (TM_BENCH_ARGS="--only P7" runs P7 alone: the
# last --only wins). Results in build/bench-peer/ (same layout); the report
# rewrites the peer part of RESULTS.rst and keeps the rest. With --profile,
# the same boot runs P6 on 16 MiB once per device instead, under
# tm_profile (scripts/guest-profile.sh: ftrace function_graph, TCG has no
# PMU) with the device-access paths of each driver as graph roots
# ($TM_PROFILE_TM, $TM_PROFILE_HMM; $TM_PROFILE_DEPTH levels deep, on
# $TM_PROFILE_MIB MiB of $TM_PROFILE_MODES: base, thp or both); the tables
# go to build/bench-peer/<krel>/profile.txt.
#
# Times under qemu TCG are emulated: read ratios measured in one boot and
# counts, never absolute times. A target that is not met does not make this
# script fail; a VM run that fails (tm_bench error, splat, timeout) does.
#
# The clock: by default qemu runs with -icount shift=0,sleep=off, i.e. the
# guest's clock advances by 1 ns per emulated instruction and not at all
# while the host runs something else. On a shared, loaded host, wall-clock
# TCG times vary several-fold from one second to the next; icount times are
# reproducible and measure emulated work. icount needs a single vCPU (with
# -smp 2 the guest hangs bringing up the second CPU), so TM_SMP=1 then.
# vm-run.sh has no hook for qemu options, so they are added by a small
# qemu-system-x86_64 wrapper put first in PATH for the run.
#
# Environment:
#   TM_BENCH_ICOUNT="shift=0,sleep=off"   qemu -icount options; "off" = the
#                        host's wall clock and TM_SMP (default 2) vCPUs
#   TM_MEM=4096          guest RAM in MiB (the 1 GiB buffers need > 3 GiB)
#   TM_BENCH_ARGS="..."  more tm_bench arguments (e.g. --only P2,P5, --reps 5)
#   TM_TIMEOUT=3600      whole-VM bound per kernel, seconds
#   everything else of scripts/vm-run.sh (TM_SKIP_BUILD, TM_SMP, ...)

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/build/bench
peer=0 profile=0
while [ $# -gt 0 ]; do
	case $1 in
	--peer) peer=1; shift ;;
	--profile) profile=1; shift ;;
	*) break ;;
	esac
done
# shellcheck disable=SC2206
series=(${TM_BENCH_KERNELS:-6.1 6.12})
[ $peer = 1 ] && series=(7.3)
[ $# -gt 0 ] && series=("$@")
mode=bench
# shellcheck disable=SC2206	# words of TM_BENCH_ARGS
bench_args=(${TM_BENCH_ARGS:-})
if [ $peer = 1 ]; then
	OUT=$TOP/build/bench-peer
	for s in "${series[@]}"; do
		ko=$("$TOP/scripts/build-test-hmm.sh" "$s") || exit 1
		export TM_EXTRA_MODULES="${TM_EXTRA_MODULES:-} $ko"
	done
	bench_args=(--only P6,P7 "${bench_args[@]}")
	if [ $profile = 1 ]; then
		mode=cmd
		tmf=${TM_PROFILE_TM:-tm_mirror_access tm_mirror_cpu_snapshot}
		hmmf=${TM_PROFILE_HMM:-dmirror_fault dmirror_do_read}
		# test_mirror (loaded by the guest) and test_hmm (loaded for the
		# profile, kept) each alone: they cannot share /dev/hmm_dmirror0
		p6="tm_bench --only P6 --max-mib ${TM_PROFILE_MIB:-16} --reps 1"
		p6+=" --peer-modes ${TM_PROFILE_MODES:-base,thp}"
		cmd="echo '## profile: compat, drm'; tm_profile -d ${TM_PROFILE_DEPTH:-6}"
		cmd+=" '$tmf' -- $p6 --peer-devs compat,drm;"
		cmd+=" echo '## profile: test_hmm'; tm_profile -d ${TM_PROFILE_DEPTH:-6}"
		cmd+=" -m test_hmm '$hmmf' -- $p6 --peer-devs test_hmm"
		bench_args=("$cmd")
	fi
fi

start=$(date +%s)
mkdir -p "$OUT"
rc=0

icount=${TM_BENCH_ICOUNT:-shift=0,sleep=off}
if [ "$icount" != off ]; then
	real_qemu=$(command -v qemu-system-x86_64) ||
		{ echo "bench: qemu-system-x86_64 not found (run scripts/deps.sh)" >&2; exit 1; }
	shim=$(mktemp -d "${TMPDIR:-/tmp}/tm-bench-qemu.XXXXXX")
	trap 'rm -rf "$shim"' EXIT
	printf '#!/bin/sh\nexec "%s" -icount "%s" "$@"\n' "$real_qemu" "$icount" \
		> "$shim/qemu-system-x86_64"
	chmod +x "$shim/qemu-system-x86_64"
	export PATH="$shim:$PATH"
	export TM_SMP=1
	clock="qemu -icount $icount (1 virtual ns per emulated instruction), 1 vCPU"
else
	clock="host wall clock under qemu TCG, ${TM_SMP:-2} vCPUs"
fi
echo "bench: clock: $clock"
# shellcheck disable=SC2086
TM_KERNELS="${series[*]}" TM_MEM=${TM_MEM:-4096} TM_ZRAM=${TM_ZRAM:-0} \
TM_HUGEPAGES=${TM_HUGEPAGES:-0} TM_TIMEOUT=${TM_TIMEOUT:-3600} \
	"$TOP/scripts/each-kernel.sh" $mode "${bench_args[@]}" || rc=1
for s in "${series[@]}"; do
	krel=$("$TOP/scripts/kernels.sh" krel "$s") || continue
	res=$TOP/build/$krel/results/$mode
	if [ $profile = 1 ]; then
		mkdir -p "$OUT/$krel"
		awk '/^TM-BEGIN cmd/ { on = 1; next } /^TM-END cmd/ { on = 0 } on' \
			"$res/output.log" > "$OUT/$krel/profile.txt"
		echo "bench: profile in ${OUT#"$TOP"/}/$krel/profile.txt"
		continue
	fi
	rm -rf "${OUT:?}/$krel"
	mkdir -p "$OUT/$krel"
	for f in output.log guest-kernel.log results.ktap cmdline; do
		[ -f "$res/$f" ] && cp "$res/$f" "$OUT/$krel/"
	done
	if [ -f "$res/output.log" ]; then
		# tm_bench's own lines, between the guest's begin and end markers
		awk '/^TM-BEGIN tm_bench/ { on = 1; next } /^TM-END tm_bench/ { on = 0 } on' \
			"$res/output.log" > "$OUT/$krel/tm_bench.out"
	fi
	[ -s "$OUT/$krel/tm_bench.out" ] || { echo "bench: no tm_bench output for $krel" >&2; rc=1; }
	echo "$clock" > "$OUT/$krel/clock.txt"
done

if [ $profile = 0 ] && ls "$OUT"/*/tm_bench.out >/dev/null 2>&1; then
	echo
	echo "== summary (${OUT#"$TOP"/}/summary.txt) =="
	report_opts=(--results "$TOP/RESULTS.rst")
	[ $peer = 1 ] && report_opts+=(--peer)
	python3 "$TOP/scripts/bench-report.py" "${report_opts[@]}" "$OUT" || rc=1
	cp "$OUT/RESULTS.rst" "$TOP/RESULTS.rst" || rc=1
	echo
	echo "results: RESULTS.rst, ${OUT#"$TOP"/}/{metrics.txt,series.tsv,summary.txt,<krel>/report.txt,<krel>/bench.svg}"
fi
echo "bench: $(( $(date +%s) - start )) s"
exit $rc
