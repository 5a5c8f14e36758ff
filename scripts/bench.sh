#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [SERIES...]   (default: 6.1 6.12, or $TM_BENCH_KERNELS)
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
# shellcheck disable=SC2206
series=(${TM_BENCH_KERNELS:-6.1 6.12})
[ $# -gt 0 ] && series=("$@")

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
	"$TOP/scripts/each-kernel.sh" bench ${TM_BENCH_ARGS:-} || rc=1
for s in "${series[@]}"; do
	krel=$("$TOP/scripts/kernels.sh" krel "$s") || continue
	res=$TOP/build/$krel/results/bench
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

if ls "$OUT"/*/tm_bench.out >/dev/null 2>&1; then
	echo
	echo "== summary (build/bench/summary.txt) =="
	python3 "$TOP/scripts/bench-report.py" "$OUT" || rc=1
	cp "$OUT/RESULTS.rst" "$TOP/RESULTS.rst" || rc=1
	echo
	echo "results: RESULTS.rst, ${OUT#"$TOP"/}/{metrics.txt,series.tsv,summary.txt,<krel>/report.txt,<krel>/bench.svg}"
fi
echo "bench: $(( $(date +%s) - start )) s"
exit $rc
