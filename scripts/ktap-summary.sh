#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ktap-summary.sh [--raw] [--counts FILE] < guest-stream
#
# Turns the guest's ttyS1 stream (the protocol of scripts/guest-init, plus
# TM-RESULT lines added by the host) into one flat KTAP stream on stdout:
#   - TM-RESULT lines become numbered results;
#   - each program's own KTAP results (between TM-BEGIN and TM-END) are
#     renumbered and prefixed "<program>: "; its diagnostics pass through;
#     other output becomes "# " diagnostics;
#   - each program gets one more result of its own: it exited cleanly (exit
#     status 0, or 1 with a failed result to explain it, or 4 = kselftest
#     skip) and printed as many results as its plan said (1..N);
#   - the plan 1..N comes last.
# --raw: program output is not KTAP (demo, bench): it passes verbatim and
# only the exit status is checked; harness results and diagnostics are shown
# only when they fail.
# --counts FILE: write "PASSED FAILED SKIPPED" there.
# Counting: "ok" is passed, "# SKIP" is skipped, "not ok" is failed
# ("not ok ... # TODO" counts as skipped, "ok ... # XFAIL" as passed).

set -euo pipefail
ktap=1 counts=/dev/null
while [ $# -gt 0 ]; do
	case $1 in
	--raw) ktap=0 ;;
	--counts) counts=$2; shift ;;
	*) echo "usage: ktap-summary.sh [--raw] [--counts FILE]" >&2; exit 2 ;;
	esac
	shift
done

# mawk reads its input in blocks unless told otherwise: results would show
# only at the end instead of live.
awk=(awk)
awk -W version 2>&1 | grep -q mawk && awk+=(-W interactive)

exec "${awk[@]}" -v ktap="$ktap" -v counts="$counts" '
function emit(st, desc) {
	n++
	# --raw: harness results are shown only when they fail
	quiet = !ktap && st == "ok"
	if (!quiet) printf "%s %d %s\n", st, n, desc
	showdiag = !quiet
	if (desc ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) skip++
	else if (st == "ok") pass++
	else if (desc ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) skip++
	else fail++
	fflush()
}
function field(name,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, name "=") == 1) return substr($i, length(name) + 2)
	return ""
}
function end_section(rc, secs, limit,   ok, why, res) {
	insec = 0
	ok = 1; why = ""
	res = !ktap ? "" : (plan >= 0) ? ", " nres "/" plan " results" : ", " nres " results"
	if (rc == "") {
		ok = 0; why = "did not finish (guest died or was killed)" res
	} else if (rc + 0 >= 128 && secs + 0 >= limit + 0) {
		ok = 0; why = "timed out after " secs " s" res
	} else if (rc + 0 >= 128) {
		ok = 0; why = "killed by signal " (rc - 128) res
	} else if (rc != 0 && !(ktap && rc == 1 && nfail > 0) && !(ktap && rc == 4 && nfail == 0)) {
		ok = 0; why = "exit status " rc res
	} else if (ktap && bailed) {
		ok = 0; why = "bailed out" res
	} else if (ktap && plan < 0 && nres == 0) {
		if (rc == 4) { emit("ok", pname ": exit status 4 # SKIP whole program skipped"); return }
		ok = 0; why = "printed no KTAP result (exit status " rc ")"
	} else if (ktap && plan >= 0 && nres != plan) {
		ok = 0; why = "planned " plan " results, printed " nres
	} else if (ktap && plan == 0) {
		emit("ok", pname ": exit status " rc ", no results # SKIP " planskip); return
	} else {
		why = "exit status " rc res
	}
	emit(ok ? "ok" : "not ok", pname ": " why)
}
BEGIN { if (ktap) print "TAP version 13"; insec = 0; showdiag = 1 }
{ sub(/\r+$/, "") }
/^TM-RESULT / && insec { end_section("") }
/^TM-RESULT ok / { emit("ok", substr($0, 14)); next }
/^TM-RESULT not ok / { emit("not ok", substr($0, 18)); next }
/^TM-BEGIN / {
	if (insec) end_section("")
	insec = 1; pname = $2; plan = -1; nres = 0; nfail = 0; bailed = 0; planskip = ""
	if (ktap) print "# ---- " substr($0, 10)
	fflush(); next
}
/^TM-END / {
	if (!insec) pname = $2
	end_section(field("rc"), field("secs"), field("limit"))
	next
}
/^TM-GUEST-DONE/ { if (ktap) print "# " $0; next }
insec && !ktap { print; fflush(); next }
insec && /^(TAP|KTAP) version/ { next }
insec && /^1\.\.[0-9]+/ {
	plan = substr($1, 4) + 0
	if (match($0, /#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/)) planskip = substr($0, RSTART + RLENGTH)
	next
}
insec && /^(not )?ok( |$)/ {
	st = ($1 == "not") ? "not ok" : "ok"
	rest = $0
	sub(/^(not )?ok[ \t]*/, "", rest)
	sub(/^[0-9]+[ \t]*/, "", rest)
	sub(/^-[ \t]*/, "", rest)
	before = fail
	emit(st, pname ": " rest)
	nres++
	if (fail > before) nfail++
	next
}
insec && /^Bail out!/ { bailed = 1; emit("not ok", pname ": " $0); next }
/^TAP version/ && !insec { next }
/^[ \t]*$/ { next }
!ktap && !insec && !showdiag { next }
/^#/ { print; fflush(); next }
{ print "# " $0; fflush() }
END {
	if (insec) end_section("")
	if (ktap) print "1.." n
	printf "%d %d %d\n", pass, fail, skip > counts
}
'
