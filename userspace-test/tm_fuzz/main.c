// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: an ioctl fuzzer with an oracle, for every test_mirror front-end.
 *
 * Usage: tm_fuzz [--seed N] [--calls N] [harness options] [test patterns]
 *   --seed N    base seed (default 1); each test derives its own from it, so a
 *               failure is reproduced by the same seed, call count and test
 *   --calls N   ioctl calls (default 100000), shared by the DRM tests in
 *               proportion to their weights (which sum to 100, each share
 *               rounded up); the test_hmm-compatible tests make 17% more.
 *               Every test makes at least its share, so a full passing run
 *               makes at least N calls. The "tm_fuzz total" line counts the
 *               calls of the tests that completed (a failing test stops at
 *               its failure and is not counted there).
 *
 * The world of one test (a forked child, see tm_lib.h) is fully modelled:
 *
 *   window:  16 guard pages (PROT_NONE) | 160 arena pages | 16 guard pages
 *   arena:   A [0,64)    anonymous RW, filled with a pattern
 *            B [64,80)   anonymous PROT_READ (zero pages)
 *            C [80,88)   anonymous PROT_NONE
 *            D [88,96)   a hole (unmapped)
 *            E [96,128)  anonymous RW, untouched
 *            F [128,160) memfd MAP_SHARED RW, filled with a pattern
 *   zone:    1024 PROT_NONE pages for "wild" bindings
 *   low:     [0, 64 KiB), never mapped (mmap_min_addr)
 *   buffers: RW, read-only, half RW / half RO, each followed by a guard page
 *
 * plus a shadow copy of what the arena must contain, two device files (two
 * mirrors of this process) with a model of their bindings (handle, range,
 * access, pages whose tracking munmap dropped), and the module's parameters.
 * Every call's arguments are drawn from edge classes (unaligned, zero, huge,
 * wrapping and kernel addresses and sizes, unknown flags, non-zero reserved
 * fields, NULL / kernel / unmapped / read-only pointers, handles never issued,
 * freed, or of the other file), then issued normally, or through a raw ioctl
 * number with another size or direction (DRM zero-extends and truncates), or
 * with a bad argument pointer. The model predicts the exact errno (a set of
 * them only where the contract leaves a choice) and the side effects:
 *
 *   - an unexpected errno, or an unexpected success, is a failure;
 *   - READ data must equal the shadow; WRITE must land exactly on the pages
 *     it reports, nowhere else (the whole arena is compared with the shadow
 *     after every CPU-side change and every 64 calls);
 *   - bytes of a destination buffer past what the device copied, and every
 *     guard and canary, must be untouched;
 *   - SNAPSHOT may never show an entry for memory the CPU cannot access, or
 *     a write entry where the CPU maps read-only; EVENTS records and STATS
 *     counters must be well formed and agree with the model;
 *   - where the device has memory (TEST_MIRROR_CAP_DEVICE_PRIVATE), moves
 *     to it and back (DEVMEM; the compat MIGRATE_TO_DEV / SYS, RELEASE)
 *     never change the data, wherever it lives; SNAPSHOT shows a page in
 *     device memory only where the model cannot know it is home (the CPU
 *     read or replaced it since the last move there), and every page of a
 *     range that moved whole; without device memory DEVMEM is -EOPNOTSUPP;
 *   - where the device has atomics (TEST_MIRROR_CAP_DEVICE_EXCLUSIVE),
 *     ATOMIC returns the word the shadow holds and leaves exactly the
 *     result there (the shadow takes it), and the page is the device's
 *     (SNAPSHOT EXCLUSIVE) until the CPU looks; the compat EXCLUSIVE reads
 *     back what memory holds; without them both are -EOPNOTSUPP.
 *   - a job (SUBMIT) the model says is queued is waited for: its fence
 *     carries status 1 and the arena then holds what it wrote (COPY, FILL,
 *     ATOMIC, a writing STREAM); STATS counts exactly those jobs, all
 *     completed, with no access after an invalidation (submit.c);
 *   - a job of the fault model (SUBMIT_FAULTABLE) is checked by SUBMIT
 *     against the bindings only; queued, it ends in its user fence
 *     (WAIT_UFENCE) with 0 or the error of a page the device cannot fault
 *     in, and what it wrote is in the arena; STATS count the jobs that
 *     failed, and the fault model's counters stay 0 until such a job runs
 *     (submit.c).
 *
 * The classes that seed bindings (drm_access, drm_snapshot, drm_stats_events,
 * drm_migrate, drm_devmem, drm_atomic, drm_submit, drm_raw_size, drm_mixed)
 * also keep the arena bound (they bind the gaps again when the model says random
 * unbinds wore the bindings down), and they and drm_bind draw a share of
 * READ / WRITE calls from the model, so that many of them reach the device
 * copy and succeed (see keep_bound_pct, guided_pct). Each test prints how many of its calls,
 * and of its device READ / WRITE calls, succeeded.
 *
 * The harness checks the guest kernel log for splats after the run.
 *
 * Tests (KTAP, one per class): drm_bind, drm_unbind, drm_access, drm_snapshot,
 * drm_stats_events, drm_migrate, drm_devmem, drm_atomic, drm_submit,
 * drm_raw_size, drm_raw_nr, drm_argptr, drm_mixed (all of them interleaved with munmap /
 * mmap / mprotect / madvise / CPU writes), drm_foreign (a forked child:
 * -EACCES, nothing touched),
 * drm_race_unbind (threads: unbind/rebind racing device accesses), and the
 * same for the test_hmm-compatible front-end when the module has it
 * (hmm_cmds, hmm_raw, hmm_foreign).
 *
 * One concern per file: tm_fuzz.h lists them. This one has the options,
 * the random numbers, the counters and the program's hooks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tm_fuzz.h"

/* ------------------------------------------------------------------------ */
/* Options, random numbers, counters                                         */
/* ------------------------------------------------------------------------ */

static uint64_t opt_seed = 1;
bool opt_trace;
static uint64_t opt_calls = 100000;

uint64_t rs;

uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

void seed_for(const char *name)
{
	uint64_t h = opt_seed * 0x100000001b3ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	rs = h;
}

/* Totals over the tests (each runs in its own child): shared memory. */
static struct total {
	uint64_t calls, checks, cpu_ops, tests;
} *total;

uint64_t cnt_err[NERR + 1];
uint64_t cnt_calls, cnt_skipped, cnt_cpu_ops, cnt_checks;
uint64_t cnt_acc, cnt_acc_ok, cnt_acc_pages;
uint64_t cnt_dm, cnt_dm_ok, cnt_dm_pages, cnt_dm_whole;
uint64_t cnt_at, cnt_at_ok, cnt_at_excl;

void count_ret(int ret)
{
	int e = -ret;

	cnt_calls++;
	cnt_err[e >= 0 && e < NERR ? e : NERR]++;
}

void print_counts(const char *name)
{
	char buf[1024];
	size_t n = 0;
	int e;

	buf[0] = '\0';
	if (total) {
		total->calls += cnt_calls;
		total->checks += cnt_checks;
		total->cpu_ops += cnt_cpu_ops;
		total->tests += !strchr(name, '(');
	}

	for (e = 0; e <= NERR; e++) {
		if (!cnt_err[e])
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, " %s=%" PRIu64,
			      e == NERR ? "other" : tm_errname(-e), cnt_err[e]);
		if (n >= sizeof(buf) - 32)
			break;
	}
	tm_diag("%s: %" PRIu64 " calls (%" PRIu64 " checks, %" PRIu64
		" CPU-side ops, %" PRIu64 " unpredictable draws skipped):%s",
		name, cnt_calls, cnt_checks, cnt_cpu_ops, cnt_skipped, buf);
	tm_diag("%s: %" PRIu64 " calls, %" PRIu64 " succeeded (%" PRIu64 "%%)",
		name, cnt_calls, cnt_err[0],
		cnt_calls ? cnt_err[0] * 100 / cnt_calls : 0);
	if (cnt_acc)
		tm_diag("%s: %" PRIu64 " device READ/WRITE calls, %" PRIu64
			" succeeded (%" PRIu64 "%%), %" PRIu64
			" pages copied and checked",
			name, cnt_acc, cnt_acc_ok, cnt_acc_ok * 100 / cnt_acc,
			cnt_acc_pages);
	if (cnt_dm)
		tm_diag("%s: %" PRIu64 " DEVMEM calls, %" PRIu64
			" succeeded, %" PRIu64 " pages moved, %" PRIu64
			" whole moves checked in SNAPSHOT",
			name, cnt_dm, cnt_dm_ok, cnt_dm_pages, cnt_dm_whole);
	if (cnt_job)
		tm_diag("%s: %" PRIu64 " SUBMIT calls, %" PRIu64
			" jobs queued and checked (fence 1, the arena after), %"
			PRIu64 " pages; %" PRIu64 " fault-model jobs checked"
			" (user fence, the arena after), %" PRIu64
			" of them ended with an error",
			name, cnt_job, cnt_job_ok, cnt_job_pages, cnt_fjob,
			cnt_fjob_err);
	if (cnt_at)
		tm_diag("%s: %" PRIu64 " ATOMIC calls, %" PRIu64
			" succeeded (the word checked), %" PRIu64
			" seen exclusive in SNAPSHOT",
			name, cnt_at, cnt_at_ok, cnt_at_excl);
}

uint64_t share(unsigned int weight)
{
	/* weights sum to 100 over the DRM tests (hmm tests: extra) */
	uint64_t n = (opt_calls * weight + 99) / 100;

	return n ? n : 1;
}

/* ------------------------------------------------------------------------ */

/* Before the tests: the timeout scales with the calls; the shared totals. */
static int fuzz_setup(struct tm_run *run)
{
	/* about 2 ms a call under TCG, generously */
	if (!run->timeout_given)
		run->timeout = (unsigned int)(60 + opt_calls / 200);
	opt_trace = getenv("TM_FUZZ_TRACE") != NULL;
	printf("# tm_fuzz: seed %llu, %llu calls\n",
	       (unsigned long long)opt_seed, (unsigned long long)opt_calls);
	total = mmap(NULL, sizeof(*total), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (total == MAP_FAILED)
		total = NULL;
	return -1;
}

static int fuzz_teardown(int status)
{
	if (total)
		printf("# tm_fuzz total: %llu ioctl calls (%llu asked), %llu checks, %llu CPU-side ops in %llu tests (seed %llu)\n",
		       (unsigned long long)total->calls,
		       (unsigned long long)opt_calls,
		       (unsigned long long)total->checks,
		       (unsigned long long)total->cpu_ops,
		       (unsigned long long)total->tests,
		       (unsigned long long)opt_seed);
	return status;
}

static const struct tm_option fuzz_options[] = {
	{ "seed", TM_OPT_U64, &opt_seed, "N", "base seed (default 1)" },
	{ "calls", TM_OPT_U64, &opt_calls, "N",
	  "ioctl calls over the tests (default 100000)" },
	{ "iterations", TM_OPT_U64, &opt_calls, "N", "the same as --calls" },
	{ NULL },
};

TM_PROGRAM(.options = fuzz_options, .setup = fuzz_setup,
	   .teardown = fuzz_teardown);
TM_MAIN()
