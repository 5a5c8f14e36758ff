#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tm_profile [-d DEPTH] [-m MODULE]... FUNCS -- CMD [ARGS...]
#
# Installed in the guest as /usr/bin/tm_profile (make userspace). Profiles
# the kernel under qemu TCG, which has no PMU for perf: ftrace's
# function_graph tracer records every call made inside the functions FUNCS
# (a space-separated list, set_graph_function), DEPTH levels deep (default
# 5), while CMD runs; then prints, for each of FUNCS, each function called
# inside it with its calls, its total and average inclusive time, and its
# share of the root's time. MODULE is modprobe'd first, so that functions
# of a module that is not loaded yet can be named, and stays loaded: the
# graph filter would forget its functions if it went.
#
# Times are the guest's clock: under make bench's -icount, 1 ns per
# emulated instruction. The tracer adds its own cost to every call it
# records (the deeper the more), so read the shares of one root's callees
# against each other, at the same depth, not as absolute costs.
#
# Example (scripts/bench-peer.sh --profile does this):
#   tm_profile -m test_hmm "tm_fault dmirror_fault" -- tm_bench --only P6 ...

set -u
T=/sys/kernel/tracing
depth=5
mods=""
while [ $# -gt 0 ]; do
	case $1 in
	-d) depth=$2; shift 2 ;;
	-m) mods="$mods $2"; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 3 ] || [ "$2" != -- ]; then
	echo "usage: tm_profile [-d DEPTH] [-m MODULE]... FUNCS -- CMD [ARGS...]" >&2
	exit 2
fi
funcs=$1
shift 2
[ -d $T/options ] || mount -t tracefs tracefs $T || exit 1
for m in $mods; do
	modprobe "$m" || exit 1
done

echo 0 > $T/tracing_on
echo nop > $T/current_tracer
echo > $T/trace
echo 131072 > $T/buffer_size_kb
: > $T/set_graph_function
for f in $funcs; do
	echo "$f" >> $T/set_graph_function || { echo "tm_profile: cannot trace $f" >&2; exit 1; }
done
echo "$depth" > $T/max_graph_depth
echo function_graph > $T/current_tracer
for o in funcgraph-tail funcgraph-duration funcgraph-cpu funcgraph-overhead; do
	echo "$o" > $T/trace_options 2>/dev/null
done
for o in nofuncgraph-proc nofuncgraph-abstime nofuncgraph-irqs; do
	echo "$o" > $T/trace_options 2>/dev/null
done

echo 1 > $T/tracing_on
"$@"
rc=$?
echo 0 > $T/tracing_on

echo "# tm_profile: events lost (overrun): $(awk '/^overrun/ { n += $2 } END { print n + 0 }' $T/per_cpu/cpu*/stats)"
echo "# tm_profile: graph of [$funcs], $depth levels; us inclusive (guest clock)"
# function_graph lines: " 0) <overhead> <duration> us | <indent>name() {",
# "... | <indent>name();" (a leaf, with its time) and
# "... <duration> us | <indent>} /* name */" (the end of a call, its time).
awk -v roots="$funcs" '
BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) isroot[r[i]] = 1 }
/^#/ { next }
{
	bar = index($0, "|")
	if (!bar)
		next
	left = substr($0, 1, bar - 1)
	right = substr($0, bar + 1)
	dur = -1
	if (match(left, /[0-9]+(\.[0-9]*)? us/))
		dur = substr(left, RSTART, RLENGTH - 3) + 0
	m = match(right, /[^ ]/)
	if (!m)
		next
	lvl = int((m - 2) / 2)
	txt = substr(right, m)
	name = ""
	if (txt ~ /^} \/\* /) {
		name = txt; sub(/^} \/\* /, "", name); sub(/ \*\/.*/, "", name)
	} else if (txt ~ /\(\);/) {
		name = txt; sub(/\(\);.*/, "", name)
	} else if (txt ~ /\(\) \{/) {
		name = txt; sub(/\(\) \{.*/, "", name)
		sub(/ \[.*\]$/, "", name)
		if (lvl == 0)
			root = name
		next
	} else {
		next
	}
	sub(/ \[.*\]$/, "", name)
	if (dur < 0)
		next
	if (lvl == 0) {
		root = name
		rtot[name] += dur; rcnt[name]++
		next
	}
	k = root SUBSEP lvl SUBSEP name
	tot[k] += dur; cnt[k]++
}
END {
	for (k in tot) {
		split(k, a, SUBSEP)
		share = rtot[a[1]] ? 100 * tot[k] / rtot[a[1]] : 0
		printf "%-24s %2d %-44s %9d %12.1f %10.3f %6.1f%%\n", a[1], a[2], a[3], cnt[k], tot[k], tot[k] / cnt[k], share
	}
	for (x in rtot)
		printf "%-24s %2d %-44s %9d %12.1f %10.3f %6.1f%%\n", x, 0, x, rcnt[x], rtot[x], rtot[x] / rcnt[x], 100
}' $T/trace | sort -k1,1 -k2,2n -k5,5nr > /tmp/tm_profile.out
printf "%-24s %2s %-44s %9s %12s %10s %7s\n" root lvl function calls total_us avg_us share
cat /tmp/tm_profile.out
echo nop > $T/current_tracer
exit $rc
