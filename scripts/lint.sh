#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh [SERIES...]		(default: 6.1 6.12 7.3)
#
# Static checks of the driver and the uAPI header, as one KTAP stream (plan
# first, diagnostics before each result); exit status 0 iff all passed.
#
#   checkpatch  scripts/checkpatch.pl --strict --no-tree from Debian's
#               linux-source of the newest series that has one (7.3's, in
#               the build root, else 6.1's on the host), on driver/*.[ch]
#               and uapi/drm/*.h: no ERROR,
#               and every WARNING/CHECK accepted, with its reason, in
#               scripts/checkpatch-accepted.txt; a second result fails on
#               entries of that list that match nothing any more.
#   w1          make module W=1, per kernel series, in a fresh directory:
#               every driver/*.c compiled, no warning (W=1 as -Werror).
#   sparse      then make module W=1 C=2 CF=-Wsparse-error in the same
#               directory (nothing recompiled, so only sparse speaks): every
#               compiled file checked, no message. The sparse is the one of
#               the build (the build root's for 7.3), or TM_LINT_CHECK (a
#               path there). 7.x headers use __typeof_unqual__ under
#               __CHECKER__, and kbuild validates the checker with
#               scripts/checker-valid.sh, which Debian's 7.x headers do not
#               ship: kbuild would then drop C=2 with one warning and check
#               nothing. So where the headers call that script and lack it,
#               lint.sh probes the sparse itself (a __typeof_unqual__
#               declaration must parse): if it parses, C=2 runs with
#               KBUILD_CHECKSRC=2 on the command line (which overrides the
#               failed validation); if not (trixie's sparse 0.6.4), the
#               result is a SKIP that says so. A full 7.x tree (the debug
#               kernel's) ships that script: the same probe decides between
#               a plain C=2 and that SKIP. Either way a pass needs a CHECK
#               line for every compiled file.
#   kernel-doc  the series' scripts/kernel-doc -none -Werror (and -Wall when
#               it knows it, 6.12, 7.3) on driver/*.[ch] and uapi/drm/*.h:
#               prints nothing; 7.x headers carry no kernel-doc, so 7.3's
#               (Python: tools/docs, tools/lib/python) comes from its
#               linux-source; and one result: every non-static function in
#               driver/*.c and every struct in uapi/drm/*.h has a kernel-doc
#               comment.
#   docs        scripts/docs.sh: Documentation.rst renders without warnings.
#
# TM_LINT_CHECKS="checkpatch w1 sparse kernel-doc docs" selects checks.
# The checkpatch (and 7.x kernel-doc) files are extracted once per source
# version from /usr/src/linux-source-<series>.tar.xz (on the host, or in the
# series' build root) into $TM_CACHE/lint-tools/ (TM_CACHE:
# /var/cache/test_mirror). Builds go to build/lint/, never to the
# build/<krel>/ of the normal build.

set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
TM_CACHE=${TM_CACHE:-/var/cache/test_mirror}
ACCEPTED=$TOP/scripts/checkpatch-accepted.txt
LINT_BUILD=$TOP/build/lint

SERIES=${*:-6.1 6.12 7.3}
read -ra SERIES_A <<<"$SERIES"
NS=${#SERIES_A[@]}
CHECKS=${TM_LINT_CHECKS:-checkpatch w1 sparse kernel-doc docs}

cd "$TOP" || exit 2
C_FILES=(driver/*.c)
LINT_FILES=(driver/*.c driver/*.h uapi/*/*.h)
NCPU=$(nproc 2>/dev/null || echo 2)

has_check() { case " $CHECKS " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- KTAP output ------------------------------------------------------------

plan=0 n=0 failed=0
for c in $CHECKS; do
	case $c in
	checkpatch) plan=$((plan + 2)) ;;
	sparse|w1) plan=$((plan + NS)) ;;
	kernel-doc) plan=$((plan + NS + 1)) ;;
	docs) plan=$((plan + 1)) ;;
	*) echo "lint: unknown check '$c' in TM_LINT_CHECKS" >&2; exit 2 ;;
	esac
done

echo "KTAP version 1"
echo "1..$plan"

diag() { sed 's/^/# /'; }		# stdin -> diagnostics

skipped=0
skip() {	# DESCRIPTION REASON
	n=$((n + 1)) skipped=$((skipped + 1))
	echo "ok $n $1 # SKIP $2"
}

result() {	# STATUS(0 = ok) DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

# ---- checkpatch ---------------------------------------------------------------

# source_of SERIES: "TARBALL VERSION" of Debian's linux-source-SERIES,
# installed on the host (6.1) or in the series' build root (7.3); fails if
# there is none.
source_of() {
	local s=$1 root tb ver
	root=$("$TOP/scripts/kernels.sh" buildroot "$s" 2>/dev/null) || root=
	tb=$root/usr/src/linux-source-$s.tar.xz
	[ -f "$tb" ] || return 1
	ver=$(dpkg-query ${root:+--admindir="$root/var/lib/dpkg"} -W -f='${Version}' \
		"linux-source-$s" 2>/dev/null) || ver=$(stat -c %s-%Y "$tb")
	echo "$tb $ver"
}

# tools_dir SERIES: print the directory holding the tools lint.sh takes
# from linux-source-SERIES (scripts/checkpatch.pl, spelling.txt,
# const_structs.checkpatch; from 7.x also scripts/kernel-doc, which is
# tools/docs/kernel-doc and its tools/lib/python), extracted once per
# source version.
tools_dir() {
	local s=$1 tb ver base dir tmp members
	read -r tb ver <<<"$(source_of "$s")" || true
	[ -n "${tb:-}" ] || {
		echo "no linux-source-$s: run scripts/deps.sh" >&2
		return 1
	}
	base=$TM_CACHE/lint-tools
	mkdir -p "$base" 2>/dev/null || base=$LINT_BUILD/cache
	mkdir -p "$base" || return 1
	dir=$base/linux-source-${s}_$ver
	if [ ! -f "$dir/.ok" ]; then
		members=(scripts/checkpatch.pl scripts/spelling.txt
			 scripts/const_structs.checkpatch)
		case $s in
		6.*) ;;
		*) members+=(scripts/kernel-doc tools/docs/kernel-doc tools/lib/python) ;;
		esac
		tmp=$(mktemp -d "$base/.extract.XXXXXX") || return 1
		if ! tar -xJf "$tb" -C "$tmp" --strip-components=1 \
			"${members[@]/#/linux-source-$s/}" >&2; then
			rm -rf "$tmp"
			return 1
		fi
		touch "$tmp/.ok"
		rm -rf "$dir"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# The series whose checkpatch runs: the newest of SERIES with a
# linux-source (7.3's is the strictest, and knows 7.x's APIs), else 6.1.
checkpatch_series() {
	local s
	for s in $(printf '%s\n' $SERIES 6.1 | sort -Vru); do
		source_of "$s" >/dev/null && { echo "$s"; return 0; }
	done
	return 1
}

run_checkpatch() {
	local cps dir out err summary acc_file rc=0 errs warns checks acc unacc stale bad
	out=$(mktemp) err=$(mktemp)
	if ! cps=$(checkpatch_series) || ! dir=$(tools_dir "$cps" 2>"$err"); then
		echo "no linux-source of $SERIES 6.1 found: run scripts/deps.sh" >> "$err"
		diag < "$err"
		result 1 "checkpatch --strict: checkpatch.pl not available"
		result 1 "checkpatch: accepted list is current # not checked"
		rm -f "$out" "$err"
		return
	fi
	# HOME: no ~/.checkpatch.conf; the tree has no .checkpatch.conf.
	HOME=/nonexistent perl "$dir/scripts/checkpatch.pl" --strict --no-tree \
		--show-types --terse --no-summary --color=never \
		--file "${LINT_FILES[@]}" >"$out" 2>"$err"
	if [ -s "$err" ]; then	# checkpatch itself failed (perl error...)
		diag < "$err"
		rc=1
	fi
	acc_file=$ACCEPTED
	if [ ! -f "$acc_file" ]; then
		echo "# ${ACCEPTED#"$TOP"/} missing: nothing is accepted"
		acc_file=/dev/null
	fi
	# Match the findings against the list; print diagnostics, then a
	# last line of counts.
	summary=$(awk -v accfile="${ACCEPTED#"$TOP"/}" '
	FNR == NR {
		if ($0 ~ /^[ \t]*(#|$)/) next
		if (match($0, /^[^: \t]+:[A-Z0-9_]+:/)) {
			key = substr($0, 1, RLENGTH - 1)
			reason = substr($0, RLENGTH + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", reason)
			if (reason != "") { acc[key] = 0; order[++nacc] = key; next }
		}
		printf "# %s:%d: bad entry (want FILE:TYPE: reason): %s\n", accfile, FNR, $0
		bad++
		next
	}
	match($0, /^[^:]+:[0-9]+: (ERROR|WARNING|CHECK):[A-Z0-9_]+:/) {
		split($0, f, ":")
		file = f[1]; level = substr(f[3], 2); type = f[4]
		key = file ":" type
		if (level == "ERROR") errs++
		else if (level == "WARNING") warns++
		else checks++
		if (level != "ERROR" && (key in acc)) { acc[key]++; nacc_hit++; next }
		print "# not accepted: " $0
		unacc++
		next
	}
	/^[ \t]*$/ { next }
	{ print "# checkpatch: " $0 }
	END {
		for (i = 1; i <= nacc; i++) {
			k = order[i]
			if (acc[k]) printf "# accepted: %s (%d)\n", k, acc[k]
			else { printf "# stale entry, matches nothing (remove it): %s\n", k; stale++ }
		}
		printf "COUNTS %d %d %d %d %d %d %d\n", errs, warns, checks, nacc_hit, unacc, stale, bad
	}' "$acc_file" "$out")
	printf '%s\n' "$summary" | grep -v '^COUNTS ' | grep -v '^# stale'
	read -r _ errs warns checks acc unacc stale bad <<<"$(printf '%s\n' "$summary" | grep '^COUNTS ')"
	[ "$errs" = 0 ] && [ "$unacc" = 0 ] && [ "$bad" = 0 ] || rc=1
	result $rc "checkpatch --strict (linux-source-$cps): ${#LINT_FILES[@]} files, $errs errors, $warns warnings, $checks checks; $acc accepted, $unacc not accepted"
	printf '%s\n' "$summary" | grep '^# stale' || true
	result "$([ "$stale" = 0 ] && [ "$bad" = 0 ] && echo 0 || echo 1)" \
		"checkpatch: accepted list is current ($stale stale, $bad bad entries)"
	rm -f "$out" "$err"
}

# ---- builds: W=1 and sparse -------------------------------------------------

# build_series SERIES: once per series, in a fresh build/lint/<series>/ (so
# that nothing is skipped as up to date): a W=1 build, which compiles every
# object, then in the same directory a C=2 CF=-Wsparse-error pass with the
# same flags, which recompiles nothing, so that its messages are sparse's
# alone. Sets B_STATUS[SERIES] to "W1RC SPARSERC", or "none" when the series
# has no headers (then B_WHY[SERIES] says why); SPARSERC is "skip" when the
# sparse cannot check these headers (then B_WHY[SERIES] says why).
declare -A B_STATUS B_WHY
build_series() {
	local s=$1 dir=$LINT_BUILD/$1 kdir w1 sp plan check=()
	[ -n "${B_STATUS[$s]:-}" ] && return
	if ! kdir=$("$TOP/scripts/kernels.sh" kdir "$s" 2>&1); then
		B_STATUS[$s]=none B_WHY[$s]=$kdir
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	lint_make() {
		"$TOP/scripts/build-module.sh" "$kdir" "$dir/build/$(krel_of "$s")" \
			-k -j"$NCPU" W=1 "$@"
	}
	lint_make >"$dir/w1.log" 2>&1
	w1=$?
	[ -n "${TM_LINT_CHECK:-}" ] && check=(CHECK="$TM_LINT_CHECK")
	plan=$(sparse_plan "$s" "$kdir")
	case $plan in
	run)	lint_make C=2 CF=-Wsparse-error "${check[@]}" >"$dir/sparse.log" 2>&1
		sp=$? ;;
	force)	lint_make C=2 KBUILD_CHECKSRC=2 CF=-Wsparse-error "${check[@]}" \
			>"$dir/sparse.log" 2>&1
		sp=$? ;;
	*)	sp=skip B_WHY[$s]=${plan#no } ;;
	esac
	B_STATUS[$s]="$w1 $sp"
}

# sparse_plan SERIES KDIR: how C=2 can run against KDIR. "run": as it is
# (kbuild does not validate the checker, or validates it with
# scripts/checker-valid.sh and the sparse passes: a full 7.x tree, the
# debug kernel's); "force": the headers' Makefile validates it with
# scripts/checker-valid.sh but does not ship that script (Debian's 7.x
# headers), so kbuild would drop C=2 with a warning; the sparse parsed a
# __typeof_unqual__ declaration here (what 7.x's headers use under
# __CHECKER__, and what checker-valid.sh tries), so C=2 runs with
# KBUILD_CHECKSRC=2 on the command line; "no REASON": it did not parse.
sparse_plan() {
	local s=$1 kdir=$2 root mk inc sp probe out ver script=0
	root=$("$TOP/scripts/kernels.sh" buildroot "$s" 2>/dev/null) || root=
	if [ -f "$kdir/scripts/checker-valid.sh" ]; then
		script=1
	else
		# the headers' Makefile, and the common one it includes (Debian)
		mk=("$kdir/Makefile")
		for inc in $(sed -n 's|^include \(/.*\)|\1|p' "$kdir/Makefile"); do
			mk+=("$root$inc")
		done
		grep -qs 'checker-valid\.sh' "${mk[@]}" || { echo run; return; }
	fi
	sp=${TM_LINT_CHECK:-sparse}
	probe=$LINT_BUILD/$s/typeof-unqual.c
	printf '%s\n' 'int tm_probe(const volatile long *p);' \
		'int tm_probe(const volatile long *p)' \
		'{' '	__typeof_unqual__(*p) v = *p;' '' '	return v > 0;' '}' > "$probe"
	in_series_root() {
		if [ -n "$root" ]; then "$TOP/scripts/in-root.sh" "$root" --bind "$TOP" -- "$@"
		else "$@"; fi
	}
	ver=$(in_series_root "$sp" --version 2>&1 | head -n1)
	out=$(in_series_root "$sp" -m64 "$probe" 2>&1)
	if [ $? != 0 ] || grep -q 'error' <<<"$out"; then
		if [ $script = 1 ]; then
			echo "no $sp ${ver:-(not found)}${root:+ in $root} cannot parse __typeof_unqual__, which $(krel_of "$s")'s headers use under __CHECKER__: its scripts/checker-valid.sh rejects this sparse, and kbuild would drop C=2 and check nothing. A newer sparse (TM_LINT_CHECK=path) would run"
		else
			echo "no $sp ${ver:-(not found)}${root:+ in $root} cannot parse __typeof_unqual__, which $(krel_of "$s")'s headers use under __CHECKER__; they also lack scripts/checker-valid.sh, with which kbuild would drop C=2 and check nothing. A newer sparse (TM_LINT_CHECK=path) would run"
		fi
		return
	fi
	[ $script = 1 ] && echo run || echo force
}

# warnings_in LOG: print the lines that are warnings or errors, with paths
# in build/lint/<series>/build/<krel>/ (links to the sources) made relative.
warnings_in() {
	grep -E '(warning|error):|WARNING:|\*\*\*' "$1" | grep -v '^make' |
		sed "s|$LINT_BUILD/[^/]*/build/[^/]*/||g" || true
}

# built_files LOG PATTERN: driver/NAME.c for each line of kbuild's output
# "  CC [M]  .../driver/NAME.o" (PATTERN "CC \[M\]", ".o") or
# "  CHECK   .../driver/NAME.c" (PATTERN CHECK, ".c"); 7.x's kbuild prints
# the paths relative to the module's directory ("driver/NAME.o").
built_files() {
	sed -nE "s|^ *$2 +(.*/)?driver/([^/ ]+)\\$3\$|driver/\\2.c|p" "$1" | sort -u
}

krel_of() { "$TOP/scripts/kernels.sh" krel "$1" 2>/dev/null || echo "$1"; }

# FILE SERIES: print the kernel option FILE is built with, if SERIES' kernel
# lacks it (Kbuild leaves FILE out there); fail otherwise.
option_missing() {
	local opt kdir
	case $1 in
	driver/tm_kunit.c) opt=CONFIG_KUNIT ;;
	*) return 1 ;;
	esac
	kdir=$("$TOP/scripts/kernels.sh" kdir "$2" 2>/dev/null) || return 1
	grep -q "^$opt=[ym]" "$kdir/.config" 2>/dev/null && return 1
	echo "$opt"
}

run_w1() {
	local s=$1 log=$LINT_BUILD/$1/w1.log rc w cc f opt missing=0 want=0
	build_series "$s"
	if [ "${B_STATUS[$s]}" = none ]; then
		printf '%s\n' "${B_WHY[$s]}" | diag
		result 1 "W=1 build $s: no headers"
		return
	fi
	rc=${B_STATUS[$s]% *}
	w=$(warnings_in "$log")
	cc=$(built_files "$log" 'CC \[M\]' .o)
	[ -n "$w" ] && printf '%s\n' "$w" | diag
	[ "$rc" != 0 ] && [ -z "$w" ] && tail -n 20 "$log" | diag
	for f in "${C_FILES[@]}"; do
		if opt=$(option_missing "$f" "$s"); then
			echo "# $f: built only with $opt, which $(krel_of "$s") lacks (the debug kernel has it)"
			continue
		fi
		want=$((want + 1))
		grep -qx "$f" <<<"$cc" && continue
		echo "# $f is not in the build (Kbuild): neither W=1 nor sparse checks it"
		missing=$((missing + 1))
	done
	result "$([ "$rc" = 0 ] && [ -z "$w" ] && [ $missing = 0 ] && echo 0 || echo 1)" \
		"W=1 build $(krel_of "$s"): $(grep -c . <<<"$cc") of $want .c files compiled, $(printf '%s' "$w" | grep -c .) warnings"
}

run_sparse() {
	local s=$1 log=$LINT_BUILD/$1/sparse.log rc w cc ck
	build_series "$s"
	if [ "${B_STATUS[$s]}" = none ]; then
		printf '%s\n' "${B_WHY[$s]}" | diag
		result 1 "sparse $s: no headers"
		return
	fi
	rc=${B_STATUS[$s]#* }
	if [ "$rc" = skip ]; then
		skip "sparse C=2 $(krel_of "$s")" "${B_WHY[$s]}"
		return
	fi
	w=$(warnings_in "$log")
	cc=$(built_files "$LINT_BUILD/$s/w1.log" 'CC \[M\]' .o)
	ck=$(built_files "$log" CHECK .c)
	[ -n "$w" ] && printf '%s\n' "$w" | diag
	[ "$rc" != 0 ] && [ -z "$w" ] && tail -n 20 "$log" | diag
	[ -n "$ck" ] && [ "$ck" = "$cc" ] ||
		echo "# sparse checked: ${ck//$'\n'/ }; compiled: ${cc//$'\n'/ } (log: ${log#"$TOP"/})"
	result "$([ "$rc" = 0 ] && [ -z "$w" ] && [ -n "$ck" ] && [ "$ck" = "$cc" ] && echo 0 || echo 1)" \
		"sparse C=2 CF=-Wsparse-error $(krel_of "$s"): $(grep -c . <<<"$ck") files checked, $(printf '%s' "$w" | grep -c .) messages"
}

# ---- kernel-doc -----------------------------------------------------------------

# SERIES: print that series' scripts/kernel-doc: its headers' (6.1, 6.12),
# else its linux-source's (7.x headers carry none).
kerneldoc_of() {
	local kdir dir
	kdir=$("$TOP/scripts/kernels.sh" kdir "$1" 2>/dev/null) || return 1
	if [ -x "$kdir/scripts/kernel-doc" ]; then
		echo "$kdir/scripts/kernel-doc"
		return
	fi
	dir=$(tools_dir "$1" 2>/dev/null) && [ -x "$dir/scripts/kernel-doc" ] || return 1
	echo "$dir/scripts/kernel-doc"
}

run_kerneldoc() {
	local s=$1 kd opts out rc
	if ! kd=$(kerneldoc_of "$s"); then
		result 1 "kernel-doc ($s): scripts/kernel-doc not found: run scripts/deps.sh"
		return
	fi
	opts=(-none -Werror)
	grep -q -- '-Wall' "$kd" && opts+=(-Wall)
	out=$("$kd" "${opts[@]}" "${LINT_FILES[@]}" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | diag
	result "$([ $rc = 0 ] && [ -z "$out" ] && echo 0 || echo 1)" \
		"kernel-doc ${opts[*]} ($s): $(printf '%s' "$out" | grep -c .) lines of output"
}

# Every non-static function defined in driver/*.c and every struct of the
# uAPI has a kernel-doc comment that kernel-doc itself recognises.
run_kerneldoc_coverage() {
	local kd s missing=0 nfun=0 nstruct=0 f name documented
	kd=
	for s in $SERIES; do kd=$(kerneldoc_of "$s") && break; done
	if [ -z "$kd" ]; then
		result 1 "kernel-doc coverage: scripts/kernel-doc not found"
		return
	fi
	for f in driver/*.c uapi/*/*.h; do
		documented=$("$kd" -rst "$f" 2>/dev/null |
			sed -nE 's/^\.\. c:function:: [^(]*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*) ?\(.*/fn \1/p;
				  s/^\.\. c:(type|struct):: (struct )?([A-Za-z_][A-Za-z0-9_]*).*/struct \3/p')
		case $f in
		*.c)
			# A definition at column 0 that does not start with
			# "static", its "{" alone on the next line.
			for name in $(perl -0777 -ne 'while (/^(?!static\b)(?![#\s\/*}])[A-Za-z_][^;{}()=]*?\b(\w+)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*\n\{/mg) { print "$1\n" }' "$f"); do
				nfun=$((nfun + 1))
				grep -qx "fn $name" <<<"$documented" && continue
				echo "# $f: $name() is not static and has no kernel-doc comment"
				missing=$((missing + 1))
			done ;;
		*.h)
			for name in $(sed -nE 's/^struct ([A-Za-z_][A-Za-z0-9_]*) *\{.*/\1/p' "$f"); do
				nstruct=$((nstruct + 1))
				grep -qx "struct $name" <<<"$documented" && continue
				echo "# $f: struct $name has no kernel-doc comment"
				missing=$((missing + 1))
			done ;;
		esac
	done
	# Finding nothing at all means the patterns broke, not that all is well.
	[ $nfun -gt 0 ] && [ $nstruct -gt 0 ] || echo "# found $nfun functions, $nstruct structs: pattern broken?"
	result "$([ $missing = 0 ] && [ $nfun -gt 0 ] && [ $nstruct -gt 0 ] && echo 0 || echo 1)" \
		"kernel-doc coverage: $nfun non-static functions, $nstruct uAPI structs, $missing undocumented"
}

# ---- docs -------------------------------------------------------------------------

run_docs() {
	local out rc
	out=$("$TOP/scripts/docs.sh" 2>&1)
	rc=$?
	[ $rc != 0 ] && printf '%s\n' "$out" | diag
	result $rc "docs: Documentation.rst renders without warnings (build/docs/Documentation.html)"
}

# ---- main -------------------------------------------------------------------------

command -v sparse >/dev/null || echo "# sparse not installed: run scripts/deps.sh"
for c in $CHECKS; do
	case $c in
	checkpatch) run_checkpatch ;;
	sparse)	for s in $SERIES; do run_sparse "$s"; done ;;
	w1)	for s in $SERIES; do run_w1 "$s"; done ;;
	kernel-doc)
		for s in $SERIES; do run_kerneldoc "$s"; done
		run_kerneldoc_coverage ;;
	docs)	run_docs ;;
	esac
done

[ "$n" = "$plan" ] || echo "# internal error: planned $plan results, printed $n"
echo "# lint: $((n - failed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$n" = "$plan" ]
