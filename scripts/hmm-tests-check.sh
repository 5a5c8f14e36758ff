#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run and judge Linux 6.1's hmm-tests against test_mirror's test_hmm-
# compatible devices. POSIX sh and awk only: it runs on the host and in the
# test guest (busybox).
#
#   hmm-tests-check.sh check EXPECT LOG
#	Judge LOG, the output of hmm-tests (stdout and stderr together, as
#	is or indented by four spaces as "run" prints it), against EXPECT (scripts/hmm-tests-expect.txt: each test required,
#	xfail ERRNO, devmem ERRNO or skip; devmem is required where the
#	devices have memory of their own, environment TM_DEVMEM=1, else
#	xfail ERRNO). Prints one KTAP result per test, then the plan:
#	"ok" for a test that did what EXPECT says (a required pass, an
#	expected failure "# XFAIL", an expected skip "# SKIP"), "not ok" for
#	one that did not: a required test that failed or skipped, an expected
#	failure that passed or failed with another errno, a test that did not
#	run, or a test EXPECT does not list. Exit status 1 if any is "not ok".
#
#	A line of EXPECT may start with a guard, [FEATURE] or [!FEATURE]:
#	it counts only where the module has (or lacks) FEATURE, as listed in
#	$TM_HMM_FEATURES (words; "run" finds them itself, see features()).
#	The one feature: "exclusive", device-exclusive access (test_hmm's
#	EXCLUSIVE and CHECK_EXCLUSIVE).
#
#   hmm-tests-check.sh run [EXPECT]
#	In the guest: turn the devices on (test_mirror's hmm_compat
#	parameter), make sure two huge pages are free, tell whether the
#	devices have memory of their own (test_mirror's debugfs devmem file:
#	TM_DEVMEM), run hmm-tests (found
#	beside this script or in PATH) with its output indented as a nested
#	KTAP stream, judge it as above, and turn the devices off again.
#
#	On a kernel with device-private memory, "run" does not run: it
#	prints one skipped result. The expectations describe a device
#	without device memory, on kernels without it (6.1, 6.12); there the
#	kernel's own hmm-tests of that release runs instead, against the
#	kernel's own lib/test_hmm and then test_mirror ("peer" below), and
#	it has every test of 6.1's.
#
#   hmm-tests-check.sh peer
#	In the guest of a kernel with device-private memory (7.3): run
#	hmm-tests-SERIES (SERIES: the kernel's, e.g. 7.3; found beside this
#	script), the selftest of that release (scripts/build-hmm-tests.sh
#	--peer), one test at a time (run_each, below, says why), twice in
#	one boot: against lib/test_hmm (modprobe test_hmm,
#	the module scripts/build-test-hmm.sh builds from the same release,
#	unmodified; its device-private /dev/hmm_dmirror0 and 1), which is
#	then removed, and against test_mirror's devices (hmm_compat=1). Both
#	outputs are shown, then the table of every test with its result on
#	each (pass, fail with its first failed assertion, skip with its
#	reason), then one KTAP result per test: "not ok" iff the test passes
#	on lib/test_hmm and does not pass on test_mirror, unless peer_gaps
#	(below) lists it with its reason (XFAIL; a listed test that passes
#	on test_mirror is "not ok", so the list only shrinks); a test lib/test_hmm
#	does not pass is "ok ... # SKIP" with its result there. Also "not ok"
#	if lib/test_hmm passes no test at all or the two runs do not run the
#	same tests. The device-coherent variants open /dev/hmm_dmirror2 and 3,
#	which neither has (test_hmm makes them only from RAM reserved at boot,
#	its spm_addr_dev0/1 parameters), so they skip on both. On a kernel
#	without device-private memory (no make_device_exclusive in
#	/proc/kallsyms): one skipped result.
#
# scripts/build-hmm-tests.sh installs this script as
# build/userspace/hmm-tests-run, with the expectations appended after a
# "__EXPECT__" line; run that way without arguments, it does "run" with the
# appended expectations. The guest suite (scripts/suite.txt) runs it so.
# Installed as hmm-tests-peer (build-hmm-tests.sh --peer), it does "peer".

set -u

me=$0
PARAM=/sys/module/test_mirror/parameters/hmm_compat

usage() {
	echo "usage: $me check EXPECT LOG | $me run [EXPECT] | $me peer" >&2
	exit 2
}

# The expectations appended to this file, if any.
embedded_expect() {
	sed -n '/^__EXPECT__$/,$p' "$me" | sed 1d
}

check() {	# EXPECT LOG
	awk -v feats=" ${TM_HMM_FEATURES:-} " '
	# The value a failed assertion saw: "...:Expected ret (-95) == 0 (0)".
	function seen_value(line,   s) {
		s = substr(line, index(line, ":Expected ") + 10)
		if (!match(s, /\(-?[0-9]+\)/))
			return ""
		return substr(s, RSTART + 1, RLENGTH - 2)
	}
	function diag(t, line) {
		if (line != "")
			print "# " t ": " substr(line, index(line, ":Expected ") + 1)
	}
	function result(ok, desc) {
		n++
		printf "%s %d %s\n", ok ? "ok" : "not ok", n, desc
		if (!ok)
			nbad++
	}
	BEGIN {
		# errno names used in EXPECT (x86-64 / asm-generic values)
		split("EPERM 1 ENOENT 2 ESRCH 3 EINTR 4 EIO 5 ENXIO 6 " \
		      "E2BIG 7 EBADF 9 ECHILD 10 EAGAIN 11 ENOMEM 12 " \
		      "EACCES 13 EFAULT 14 EBUSY 16 EEXIST 17 ENODEV 19 " \
		      "EINVAL 22 ENOTTY 25 ENOSPC 28 ERANGE 34 ENOSYS 38 " \
		      "EOPNOTSUPP 95 ETIMEDOUT 110", e, " ")
		for (i = 1; i in e; i += 2)
			errno[e[i]] = e[i + 1]
		nexp = 0
	}
	# Pass 1: the expectations.
	FNR == NR {
		sub(/\r$/, "")
		if ($0 ~ /^[ \t]*(#|$)/)
			next
		# a guard: [feature] or [!feature]
		if ($1 ~ /^\[!?[a-z_]+\]$/) {
			g = substr($1, 2, length($1) - 2)
			neg = substr(g, 1, 1) == "!"
			if (neg)
				g = substr(g, 2)
			if ((index(feats, " " g " ") > 0) == neg)
				next
			sub(/^[ \t]*[^ \t]+[ \t]+/, "")
		}
		name = $1
		if (name in want) {
			bad_expect = bad_expect "\n# duplicate expectation: " name
			next
		}
		st = $2
		if (st == "required" && NF == 2) {
			why[name] = ""
		} else if (st == "xfail" && NF >= 4 && ($3 in errno)) {
			err[name] = $3
			why[name] = $0
			sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", why[name])
		} else if (st == "devmem" && NF >= 4 && ($3 in errno)) {
			# required with device memory, else an expected failure
			st = devmem ? "required" : "xfail"
			err[name] = $3
			why[name] = $0
			sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", why[name])
		} else if (st == "skip" && NF >= 3) {
			why[name] = $0
			sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", why[name])
		} else {
			bad_expect = bad_expect "\n# bad expectation line: " $0
			next
		}
		want[name] = st
		order[++nexp] = name
		next
	}
	# Pass 2: the hmm-tests output. A test is the block from its RUN line
	# to its result line; its own diagnostics come in between. The output
	# may be indented by four spaces, as "run" shows it (so the guest log
	# output.log can be judged again on the host).
	{ sub(/\r$/, ""); sub(/^    /, "") }
	$1 == "#" && $2 == "RUN" && $NF == "..." {
		cur = $3
		sawskip[cur] = 0
		firstexp[cur] = ""
		next
	}
	cur != "" && /^(not )?ok [0-9]+/ {
		if ($1 == "not")
			res[cur] = "fail"
		else if ($0 ~ /# SKIP/ || sawskip[cur])
			res[cur] = "skip"
		else
			res[cur] = "pass"
		ran[++nran] = cur
		cur = ""
		next
	}
	cur != "" && /^#[ \t]+SKIP[ \t]/ { sawskip[cur] = 1; next }
	cur != "" && /:Expected / && firstexp[cur] == "" {
		firstexp[cur] = $0
		next
	}
	END {
		if (bad_expect != "")
			print substr(bad_expect, 2)
		npass = nxfail = nskip = nbad = 0
		for (i = 1; i <= nexp; i++) {
			t = order[i]
			st = want[t]
			r = (t in res) ? res[t] : "missing"
			if (r == "missing") {
				result(0, t " (did not run)")
			} else if (st == "required") {
				if (r == "pass") {
					npass++
					result(1, t)
				} else {
					diag(t, firstexp[t])
					result(0, t " (required, " \
						(r == "fail" ? "failed" : "skipped") ")")
				}
			} else if (st == "xfail") {
				v = seen_value(firstexp[t])
				if (r == "fail" && v == "-" errno[err[t]]) {
					nxfail++
					result(1, t " # XFAIL " err[t] ": " why[t])
				} else if (r == "fail") {
					diag(t, firstexp[t])
					result(0, t " (expected to fail with -" \
						err[t] " (-" errno[err[t]] "), " \
						"first failed assertion saw " \
						(v == "" ? "no value" : v) ")")
				} else {
					result(0, t " (expected failure " err[t] \
						" " (r == "pass" ? "passed" : "skipped") \
						": update scripts/hmm-tests-expect.txt)")
				}
			} else {
				if (r == "skip") {
					nskip++
					result(1, t " # SKIP " why[t])
				} else {
					result(0, t " (expected to skip, " \
						(r == "pass" ? "passed" : "failed") ")")
				}
			}
		}
		for (i = 1; i <= nran; i++)
			if (!(ran[i] in want))
				result(0, ran[i] " (" res[ran[i]] \
					", not listed in the expectations)")
		if (bad_expect != "")
			result(0, "hmm-tests expectations file is valid")
		printf "# hmm-tests: %d required passed, %d expected failures, " \
		       "%d skipped, %d unexpected, of %d listed\n", \
		       npass, nxfail, nskip, nbad, nexp
		print "1.." n
		exit (nbad > 0 ? 1 : 0)
	}
	' devmem="${TM_DEVMEM:-0}" "$1" "$2"
}

# device_private: does the running kernel have device-private memory?
# make_device_exclusive() (make_device_exclusive_range() before 6.14) is
# built only with CONFIG_DEVICE_PRIVATE.
device_private() {
	awk '$3 ~ /^make_device_exclusive(_range)?$/ { f = 1; exit }
	     END { exit !f }' /proc/kallsyms 2>/dev/null
}

# results LOG: one line per test of hmm-tests' output LOG (as "check"
# reads it): NAME, a tab, pass, fail or skip, a tab, the detail (a
# failure's first failed assertion, a skip's reason).
results() {
	awk '
	{ sub(/\r$/, ""); sub(/^    /, "") }
	$1 == "#" && $2 == "RUN" && $NF == "..." {
		cur = $3
		why = ""
		next
	}
	cur != "" && /^(not )?ok [0-9]+/ {
		if ($1 == "not") {
			r = "fail"
		} else if ($0 ~ /# SKIP/) {
			r = "skip"
			if (why == "") {
				why = $0
				sub(/.*# SKIP[ \t]*/, "", why)
			}
		} else if (skipped) {
			r = "skip"
		} else {
			r = "pass"
		}
		printf "%s\t%s\t%s\n", cur, r, (r == "pass" ? "" : why)
		cur = ""
		skipped = 0
		next
	}
	cur != "" && /^#[ \t]+SKIP[ \t]/ {
		skipped = 1
		why = $0
		sub(/^#[ \t]+SKIP[ \t]+/, "", why)
		next
	}
	cur != "" && /:Expected / && why == "" {
		why = substr($0, index($0, ":Expected ") + 1)
		next
	}
	cur != "" && /Test terminated/ && why == "" {
		why = $0
		sub(/^#[ \t]*/, "", why)
	}
	' "$1"
}

# break_loops PID: copy hmm-tests' output (PID: its main process) from
# stdin to stdout, cutting short the harness's teardown loop.
#
# In 6.1's kselftest_harness.h, once an ASSERT has failed in a test, every
# later ASSERT, even a passing one, jumps back to the test's start, so the
# fixture's teardown (hmm-tests' FIXTURE_TEARDOWN asserts that close()
# returned 0) runs again and again, the same failed assertion printed each
# time, until the harness kills the test after its 30 s timeout. It is the
# harness's behaviour, not hmm-tests' nor the driver's (it happens with any
# file), and each expected failure would cost 30 s and ~75000 lines. So,
# when a line repeats, the test's process group is killed at once: the
# test still fails ("terminated unexpectedly by signal 9" instead of "by
# timeout"), its first failed assertion, which the check reads, is kept,
# and the repeats are counted in one line.
break_loops() {
	awk -v kill="$me kill-test $1" '
	$0 == prev {
		if (++rep == 2) {
			system(kill)
			print "# hmm-tests-run: assertion loop in the harness, test killed"
			fflush()
		}
		next
	}
	{
		if (rep)
			print "# hmm-tests-run: previous line repeated " rep " times"
		rep = 0
		prev = $0
		print
		fflush()
	}
	END {
		if (rep)
			print "# hmm-tests-run: previous line repeated " rep " times"
	}'
}

# kill_test MAIN: kill the test MAIN is waiting for. The harness runs each
# test in a child of its main process, in a process group of its own.
# shellcheck disable=SC2013	# words (pids) are what is wanted
kill_test() {
	for c in $(awk -v m="$1" '$4 == m { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
		for p in $(awk -v g="$c" '$5 == g { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
}

# features: the TM_HMM_FEATURES of the running module. "exclusive": the
# kernel has the one-page make_device_exclusive() (7.3; 6.1 and 6.12 have
# make_device_exclusive_range(), a word of its own), which test_mirror
# uses wherever it exists (tm_atomic's cap_matches_kernel checks that its
# capability says the same).
features() {
	if grep -q ' make_device_exclusive$' /proc/kallsyms 2>/dev/null; then
		echo exclusive
	fi
}

# run_bin BIN LOG [ARG...]: run hmm-tests BIN with ARGs; its own KTAP is
# kept in LOG for the check and shown indented as a nested stream.
# restore() and $tmp: the caller's, undone if the run is stopped from
# outside.
run_bin() {
	rb_bin=$1 rb_log=$2
	shift 2
	mkfifo "$tmp/out" || exit 1
	"$rb_bin" "$@" > "$tmp/out" 2>&1 < /dev/null &
	pid=$!
	# Stopped from outside (the suite's timeout): take hmm-tests along.
	trap 'kill_test "$pid"; kill -9 "$pid" 2>/dev/null; restore; rm -rf "$tmp"
	      echo "Bail out! ${me##*/} stopped by a signal"; exit 1' TERM INT
	break_loops "$pid" < "$tmp/out" | tee "$rb_log" | sed 's/^/    /' &
	wait $!
	wait "$pid"
	echo "# hmm-tests: exit status $?"
	trap - TERM INT
	rm -f "$tmp/out"
}

# list_tests BIN: the name of every test of hmm-tests BIN as its -r option
# takes it (FIXTURE.VARIANT.TEST, or FIXTURE.TEST without variants), one per
# line, in the order the harness runs them: for each fixture, each variant
# with each test. From the table of BIN -l (kselftest_harness.h's
# test_harness_list_tests(): the fixture, variant and test columns, 20, 25
# and the rest wide, the variants and the tests of a fixture listed side by
# side, a fixture starting where the first column is not blank).
list_tests() {
	"$1" -l 2>&1 | awk '
	/^#/ || /^-+$/ {
		next
	}
	{
		f = substr($0, 1, 20)
		v = substr($0, 22, 25)
		t = substr($0, 48)
		gsub(/[ \t]/, "", f)
		gsub(/[ \t]/, "", v)
		gsub(/[ \t]/, "", t)
		if (f != "")
			fx[++nf] = f
		if (v != "")
			var[nf, ++nv[nf]] = v
		if (t != "")
			tst[nf, ++nt[nf]] = t
	}
	END {
		for (i = 1; i <= nf; i++) {
			for (j = 1; j <= (nv[i] ? nv[i] : 1); j++) {
				p = fx[i] "." (nv[i] ? var[i, j] "." : "")
				for (k = 1; k <= nt[i]; k++)
					print p tst[i, k]
			}
		}
	}'
}

# wait_gone BIN: wait until no process of BIN (its name, as the kernel
# keeps it: 15 characters) is left but zombies, whose memory is torn down.
# Return 1 if one is still there after gone_secs (120 s times
# TM_TIMEOUT_SCALE).
gone_secs=$((120 * ${TM_TIMEOUT_SCALE:-1}))
wait_gone() {
	comm=$(basename "$1" | cut -c1-15)
	i=0
	while awk -v c="($comm)" '$2 == c && $3 != "Z" { f = 1 }
	      END { exit !f }' /proc/[0-9]*/stat 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((gone_secs * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# run_each BIN LOG: run hmm-tests BIN one test at a time (list_tests,
# run_bin with -r), LOG all their outputs in turn; after each, wait_gone.
#
# Why one at a time: when a test outlives the harness's 30 s timeout, the
# harness SIGKILLs it and starts the next test at once, without waiting for
# the killed one to exit. lib/test_hmm's release() evicts every page of
# its device memory, whoever maps it; a page of the killed test's process
# is then migrated home while that process's exit_mmap() unmaps it and
# frees its anon_vma, and the migration's remove_migration_ptes() walks the
# freed anon_vma (a core-mm race of migrate_device_range(): it pins no
# anon_vma; KASAN's "slab-use-after-free in rmap_walk_anon", seen twice on
# the debug kernel, where hmm.hmm_device_private.migrate_remap_fault takes
# longer than 30 s on lib/test_hmm). Waiting until the killed test's
# processes are gone keeps each test to its own memory, as on hardware
# where the tests end in time. A test that times out still fails.
run_each() {
	bin=$1
	each_log=$2
	: > "$each_log"
	list_tests "$bin" > "$tmp/list"
	nlist=$(grep -c . "$tmp/list")
	if [ "$nlist" = 0 ]; then
		echo "Bail out! $bin -l lists no test"
		restore
		exit 1
	fi
	: > "$tmp/times"
	while read -r name; do
		read -r s0 _ < /proc/uptime
		run_bin "$bin" "$tmp/one" -r "$name"
		cat "$tmp/one" >> "$each_log"
		if ! wait_gone "$bin"; then
			echo "Bail out! $name: a process of $bin still alive $gone_secs s after its end"
			restore
			exit 1
		fi
		read -r s1 _ < /proc/uptime
		echo "$name $s0 $s1" >> "$tmp/times"
	done < "$tmp/list"
	nran=$(grep -c '^#  *RUN  ' "$each_log")
	if [ "$nran" != "$nlist" ]; then
		echo "Bail out! $bin ran $nran tests of the $nlist it lists"
		restore
		exit 1
	fi
	echo "# hmm-tests-peer: $nran tests, one at a time; the slowest (s):" \
	     "$(awk '{ printf "%.2f %s\n", $3 - $2, $1 }' "$tmp/times" |
		sort -rn | head -n 5 | tr '\n' ' ')"
	rm -f "$tmp/times"
}

# wait_nodes PRESENT: wait (5 s at most) until /dev/hmm_dmirror0 and 1
# exist (PRESENT 1) or are gone (0).
wait_nodes() {
	i=0
	while :; do
		if [ "$1" = 1 ]; then
			[ -c /dev/hmm_dmirror0 ] && [ -c /dev/hmm_dmirror1 ] && return 0
		else
			[ -e /dev/hmm_dmirror0 ] || [ -e /dev/hmm_dmirror1 ] || return 0
		fi
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.1
	done
}

# huge_reserve: anon_write_hugetlbfs and compound each map one huge page,
# and compound passes without checking anything when it gets none: make
# sure two are free, reserving more if needed. Sets old_nr (to put back)
# and hfree (free now).
huge_reserve() {
	old_nr=$(cat /proc/sys/vm/nr_hugepages)
	hfree=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if [ "${hfree:-0}" -lt 2 ]; then
		echo $((old_nr + 2 - ${hfree:-0})) > /proc/sys/vm/nr_hugepages
		hfree=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	fi
}

run() {	# [EXPECT]
	dir=$(dirname "$me")
	if device_private; then
		echo "1..1"
		echo "ok 1 hmm-tests # SKIP this kernel has device-private memory:" \
		     "its own release's hmm-tests runs beside lib/test_hmm instead" \
		     "(hmm-tests-peer)"
		exit 0
	fi
	tmp=${TMPDIR:-/tmp}/hmm-tests.$$
	mkdir -p "$tmp" || exit 1
	if [ $# -ge 1 ]; then
		cp "$1" "$tmp/expect" || exit 1
	else
		embedded_expect > "$tmp/expect"
	fi
	if ! grep -q '^[a-z]' "$tmp/expect"; then
		echo "Bail out! no expectations (give EXPECT, or run the installed hmm-tests-run)"
		exit 1
	fi
	bin=$dir/hmm-tests
	[ -x "$bin" ] || bin=$(command -v hmm-tests) || {
		echo "Bail out! hmm-tests not found (scripts/build-hmm-tests.sh)"
		exit 1
	}

	# The devices: test_mirror's hmm_compat parameter, restored at the end.
	if [ ! -w "$PARAM" ]; then
		echo "Bail out! no $PARAM: test_mirror is not loaded, or has no hmm_compat"
		exit 1
	fi
	old_param=$(cat "$PARAM")
	if ! echo 1 > "$PARAM"; then
		echo "Bail out! could not set $PARAM"
		exit 1
	fi
	i=0
	while [ ! -c /dev/hmm_dmirror0 ] || [ ! -c /dev/hmm_dmirror1 ]; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			echo "$old_param" > "$PARAM"
			echo "Bail out! /dev/hmm_dmirror0 and 1 did not appear"
			exit 1
		fi
		sleep 0.1
	done

	huge_reserve
	restore() {
		[ "$old_param" = Y ] || echo 0 > "$PARAM"
		[ "$(cat /proc/sys/vm/nr_hugepages)" = "$old_nr" ] ||
			echo "$old_nr" > /proc/sys/vm/nr_hugepages
	}
	hsize=$(awk '/^Hugepagesize:/ { print $2 " " $3 }' /proc/meminfo)
	echo "# hmm-tests: $PARAM=1 (was $old_param), huge pages free: ${hfree:-0} x $hsize"
	TM_DEVMEM=0
	[ -e /sys/kernel/debug/test_mirror/devmem ] && TM_DEVMEM=1
	export TM_DEVMEM
	echo "# hmm-tests: device memory: TM_DEVMEM=$TM_DEVMEM"

	run_bin "$bin" "$tmp/log"
	restore

	if [ "${hfree:-0}" -lt 1 ]; then
		echo "not ok 1 hmm-tests: no free huge page, the hugetlb tests cannot run"
		echo "1..1"
		rm -rf "$tmp"
		exit 1
	fi
	TM_HMM_FEATURES=${TM_HMM_FEATURES-$(features)}
	echo "# hmm-tests-run: module features: ${TM_HMM_FEATURES:-none}"
	TM_HMM_FEATURES=$TM_HMM_FEATURES check "$tmp/expect" "$tmp/log"
	rc=$?
	rm -rf "$tmp"
	exit $rc
}

# peer_gaps: what test_mirror is known not to do yet that lib/test_hmm
# does, one "TEST<tab>REASON" per line. A listed test that passes on
# lib/test_hmm and not on test_mirror is "ok ... # XFAIL REASON"; one that
# passes on test_mirror is "not ok" (the gap closed: strike the line), so
# the list can only shrink. Every other test keeps the rule above.
peer_gaps() {
	# None left: 2 MiB device folios closed the last two
	# (migrate_anon_huge_fault, benchmark_thp_migration).
	:
}

# compare LIB TM: the side-by-side table and the KTAP verdict of the
# results() lists LIB (lib/test_hmm) and TM (test_mirror), with the gaps
# of peer_gaps.
compare() {
	peer_gaps > "$tmp/gaps"
	awk -F '\t' -v G="$tmp/gaps" -v L="$1" '
	function show(r, d) {
		return d == "" ? r : r ": " d
	}
	function result(ok, desc) {
		n++
		printf "%s %d %s\n", ok ? "ok" : "not ok", n, desc
		if (!ok)
			nbad++
	}
	FILENAME == G {
		gap[$1] = $2
		next
	}
	FILENAME == L {
		if (!($1 in lib))
			order[++nt] = $1
		lib[$1] = $2
		ld[$1] = $3
		next
	}
	{
		if (!($1 in lib) && !($1 in tm))
			order[++nt] = $1
		tm[$1] = $2
		td[$1] = $3
	}
	END {
		w = 40
		for (i = 1; i <= nt; i++)
			if (length(order[i]) > w)
				w = length(order[i])
		printf "# %-" w "s  %-12s  %s\n", "test", "lib/test_hmm", "test_mirror"
		for (i = 1; i <= nt; i++) {
			t = order[i]
			l = (t in lib) ? lib[t] : "missing"
			m = (t in tm) ? tm[t] : "missing"
			printf "# %-" w "s  %-12s  %s\n", t, l, m
			if (l == m && ld[t] == td[t]) {
				if (l != "pass" && ld[t] != "")
					printf "#   both: %s\n", ld[t]
			} else {
				if (l != "pass" && ld[t] != "")
					printf "#   lib/test_hmm: %s\n", ld[t]
				if (m != "pass" && td[t] != "")
					printf "#   test_mirror:  %s\n", td[t]
			}
			if (l == "pass")
				lp++
			if (m == "pass")
				mp++
			if (l == "pass" && m != "pass")
				both_not++
			if (l == "pass" && m != "pass" && (t in gap))
				gaps++
		}
		printf "# hmm-tests side by side: lib/test_hmm passed %d, " \
		       "test_mirror passed %d, of %d tests; %d passed by " \
		       "lib/test_hmm and not by test_mirror (%d of them " \
		       "known gaps, peer_gaps)\n", lp, mp, nt, both_not, gaps + 0
		nbad = 0
		for (i = 1; i <= nt; i++) {
			t = order[i]
			l = (t in lib) ? lib[t] : "missing"
			m = (t in tm) ? tm[t] : "missing"
			if (l == "pass" && (t in gap))
				result(m != "pass", t (m == "pass" ? \
				       " (listed in peer_gaps, but passes on test_mirror: strike it)" : \
				       " # XFAIL " gap[t] " (test_mirror " show(m, td[t]) ")"))
			else if (l == "pass")
				result(m == "pass", t (m == "pass" ? "" : \
				       " (passes on lib/test_hmm; on test_mirror " \
				       show(m, td[t]) ")"))
			else
				result(1, t " # SKIP lib/test_hmm: " show(l, ld[t]) \
				       "; test_mirror: " m)
		}
		result(lp > 0, "lib/test_hmm passes hmm-tests (" lp " of " nt ")")
		same = 1
		for (i = 1; i <= nt; i++)
			if (!(order[i] in lib) || !(order[i] in tm))
				same = 0
		result(same, "both runs ran the same tests")
		print "1.." n
		exit (nbad > 0 ? 1 : 0)
	}' "$tmp/gaps" "$1" "$2"
}

peer() {
	dir=$(dirname "$me")
	if ! device_private; then
		echo "1..1"
		echo "ok 1 hmm-tests-peer # SKIP no device-private memory in this kernel," \
		     "so no lib/test_hmm to compare with (6.1's hmm-tests runs:" \
		     "hmm-tests-run)"
		exit 0
	fi
	series=$(uname -r | cut -d. -f1,2)
	bin=$dir/hmm-tests-$series
	if [ ! -x "$bin" ]; then
		echo "Bail out! no $bin (scripts/build-hmm-tests.sh --peer $series)"
		exit 1
	fi
	if [ ! -w "$PARAM" ]; then
		echo "Bail out! no $PARAM: test_mirror is not loaded, or has no hmm_compat"
		exit 1
	fi
	tmp=${TMPDIR:-/tmp}/hmm-tests-peer.$$
	mkdir -p "$tmp" || exit 1
	old_param=$(cat "$PARAM")
	huge_reserve
	restore() {
		[ -d /sys/module/test_hmm ] && rmmod test_hmm
		echo "$old_param" > "$PARAM"
		[ "$(cat /proc/sys/vm/nr_hugepages)" = "$old_nr" ] ||
			echo "$old_nr" > /proc/sys/vm/nr_hugepages
	}
	if [ "${hfree:-0}" -lt 2 ]; then
		restore
		echo "Bail out! fewer than two free huge pages: compound would" \
		     "check nothing"
		exit 1
	fi

	# lib/test_hmm alone: test_mirror's devices have the same names.
	echo 0 > "$PARAM"
	if ! wait_nodes 0; then
		restore
		echo "Bail out! test_mirror's /dev/hmm_dmirror0 and 1 did not go"
		exit 1
	fi
	t0=$(date +%s)
	if ! modprobe test_hmm; then
		restore
		echo "Bail out! modprobe test_hmm failed (scripts/build-test-hmm.sh" \
		     "builds it; make modules does on this kernel)"
		exit 1
	fi
	if ! wait_nodes 1; then
		restore
		echo "Bail out! lib/test_hmm's /dev/hmm_dmirror0 and 1 did not appear"
		exit 1
	fi
	echo "# hmm-tests-peer: $bin against lib/test_hmm"
	run_each "$bin" "$tmp/lib.log"
	if ! rmmod test_hmm || ! wait_nodes 0; then
		restore
		echo "Bail out! rmmod test_hmm failed, or its devices stayed"
		exit 1
	fi
	t1=$(date +%s)

	echo 1 > "$PARAM"
	if ! wait_nodes 1; then
		restore
		echo "Bail out! test_mirror's /dev/hmm_dmirror0 and 1 did not appear"
		exit 1
	fi
	echo "# hmm-tests-peer: $bin against test_mirror (hmm_compat=1)"
	run_each "$bin" "$tmp/tm.log"
	restore
	t2=$(date +%s)
	echo "# hmm-tests-peer: lib/test_hmm run $((t1 - t0)) s, test_mirror run $((t2 - t1)) s"

	results "$tmp/lib.log" > "$tmp/lib"
	results "$tmp/tm.log" > "$tmp/tm"
	compare "$tmp/lib" "$tmp/tm"
	rc=$?
	rm -rf "$tmp"
	exit $rc
}

case ${1:-} in
check)	[ $# -eq 3 ] || usage; check "$2" "$3"; exit $? ;;
run)	shift; [ $# -le 1 ] || usage; run "$@" ;;
peer)	[ $# -eq 1 ] || usage; peer ;;
kill-test)	[ $# -eq 2 ] || usage; kill_test "$2" ;;	# internal
"")	# installed as hmm-tests-peer, or as hmm-tests-run with the
	# expectations appended
	[ "${me##*/}" = hmm-tests-peer ] && peer
	grep -q '^__EXPECT__$' "$me" || usage
	run ;;
*)	usage ;;
esac
exit $?
