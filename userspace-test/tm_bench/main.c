// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: benchmarks of test_mirror, run inside the test guest.
 *
 *   tm_bench [--smoke] [--only P1,P2,...] [--max-mib N] [--reps N]
 *            [--peer-devs test_hmm,compat,drm] [--peer-modes base,thp]
 *            [harness options: tm_lib.h]
 *
 * Sections:
 *   P1 populate   pages/s to bring a CPU-resident buffer into the device
 *                 table: BIND+PREFAULT and a cold device READ, base pages
 *                 and THP, 4 MiB ... 1 GiB; the CPU touching / copying the
 *                 same pages and the event-blind policy for comparison;
 *                 then the hmm_range_fault() chunk size (fault_chunk_pages).
 *   P2 invalidate munmap / MADV_DONTNEED / mprotect(PROT_READ) of ranges
 *                 that are not bound, bound but empty, or fully mirrored.
 *   P3 memory     device-table bytes per mirrored page: the driver's STATS
 *                 table_bytes, checked against /proc/slabinfo and
 *                 /proc/meminfo deltas; base pages and THP.
 *   P4 events     a read-only device workload under repeated write-protect
 *                 events (fork, clear_refs, mprotect RO<->RW), aware and
 *                 blind files side by side on the same buffer.
 *   P5 sparse     1 GiB ... 1 TiB bindings with 8 pages mirrored: bind,
 *                 unbind and munmap cost against the range size.
 *   P6 peer       the kernel's lib/test_hmm, test_mirror's compat front-end
 *                 and its DRM path on the same workloads (populate, warm
 *                 read, snapshot, munmap), 16 MiB ... 1 GiB, base pages
 *                 and THP, with the floors (kernel copy, hmm_range_fault()
 *                 walk, plain munmap). Only when named (--only P6: make
 *                 bench-peer) or in --smoke.
 *   P7 devmem     the same three devices: migration to device memory and
 *                 back, pages/s each way, of a buffer of 4 KiB pages and
 *                 of one in 2 MiB THP folios, and device atomics/s (DRM
 *                 ATOMIC, test_hmm's EXCLUSIVE). Only when named (--only
 *                 P7: make bench-peer) or in --smoke; 7.3 only.
 *   P8 jobs       the device's engine: submit-to-signal latency and jobs/s
 *                 against the synchronous ioctls, and munmap latency with
 *                 the engine idle, using the range, or busy elsewhere.
 *   P9 faults     fault-model jobs (SUBMIT_FAULTABLE, user fences): device
 *                 faults/s one at a time against batched
 *                 (fault_batch_pages), fault latency p50/p99 against a job
 *                 that takes no fault, munmap latency with a fault-model
 *                 STREAM using the range (one file and two; two_pass=1/0
 *                 where TEST_MIRROR_CAP_TWO_PASS), and the TLB flushes and
 *                 replays the event-aware policy saves while the device
 *                 reads.
 *
 * Times in the guest are emulated (qemu TCG): the results are ratios of
 * quantities measured in the same boot, and counts. Every time is the median
 * of several repetitions, measured with CLOCK_MONOTONIC, and the
 * repetitions of the variants being compared are interleaved.
 *
 * Output (stdout), besides the human tables:
 *   SERIES name=<series> x=<size> xunit=<unit> y=<value> yunit=<unit>
 *   METRIC <name>=<value> unit=<unit> target=<target> met=yes|no|n/a [note=...]
 * and KTAP (one result per section, each a variant of the harness's test
 * bench: bench.p1_populate ... bench.p9_faults), so that --smoke can
 * run in the suite.
 *
 * --smoke runs every section on tiny sizes with one repetition, checks only
 * that each runs and its counts are consistent, never a performance target.
 *
 * Needs root (module parameters in /sys/module/test_mirror/parameters/,
 * /proc/slabinfo); changed parameters are restored at exit.
 *
 * One part per file (tm_bench.h: what several of them share):
 *   report.c         samples, medians, the SERIES and METRIC lines, errors
 *   common.c         buffers, files, BIND, READ: the helpers of the sections
 *   p1_populate.c    P1 populate, and P1 chunk size
 *   p2_invalidate.c  P2 invalidate
 *   p3_memory.c      P3 memory
 *   p4_events.c      P4 event-aware savings
 *   p5_sparse.c      P5 sparse ranges
 *   p6_peer.c        P6 peer: lib/test_hmm against test_mirror
 *   p7_devmem.c      P7 device memory and device atomics
 *   p8_jobs.c        P8 jobs on the engine
 *   p9_faults.c      P9 fault-model jobs
 *
 * This file: the options, the module's parameters put back at exit, the
 * sections as variants of the test bench, and main().
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm_bench.h"

bool smoke;
unsigned int opt_reps;			/* 0 = per-size default */
static unsigned int opt_max_mib;
unsigned long max_bytes;		/* largest buffer we dare */
static const char *only = "";
char *win;				/* WIN_SZ bytes, resident */
static const char *krel;
uint32_t caps;

/* A section that runs only when named (or in --smoke) is "explicit". */
static bool want(const char *sec, bool explicit)
{
	if (!only[0])
		return !explicit || smoke;
	return strstr(only, sec);
}

static uint64_t orig_aware = 1, orig_chunk = 512;
static bool params_saved;

/* P9's parameters, where the module has them (the fault model) */
static const char *const fault_params[] = {
	"fault_batch_pages", "two_pass", "tlb_ack_delay_ms"
};
#define NFP	(sizeof(fault_params) / sizeof(fault_params[0]))
static uint64_t orig_fault[NFP];
static bool fault_saved[NFP];

static void restore_params(void)
{
	unsigned int i;
	char v[32];

	if (!params_saved)
		return;
	tm_param_set("event_aware", orig_aware ? "Y" : "N");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)orig_chunk);
	tm_param_set("fault_chunk_pages", v);
	for (i = 0; i < NFP; i++) {
		if (!fault_saved[i])
			continue;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)orig_fault[i]);
		tm_param_set(fault_params[i], v);
	}
}

static void on_signal(int sig)
{
	restore_params();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Each section is a variant of one test, bench (a forked child, as every
 * test): it maps and populates its own window, so that device READs into
 * it never break copy-on-write of the runner's. The errors of a section
 * (bench_err()) are reported as they come; the section fails at its end.
 */
FIXTURE(sections) {};

FIXTURE_VARIANT(sections) {
	const char *name;	/* for --only */
	const char *desc;
	void (*fn)(void);
	bool explicit;		/* only when named in --only, or in --smoke */
};

FIXTURE_VARIANT_ADD(sections, p1_populate) {
	.name = "P1", .desc = "P1 populate", .fn = p1_populate,
};

FIXTURE_VARIANT_ADD(sections, p1_chunk_size) {
	.name = "P1", .desc = "P1 chunk size", .fn = p1_chunk,
};

FIXTURE_VARIANT_ADD(sections, p2_invalidate) {
	.name = "P2", .desc = "P2 invalidate", .fn = p2_invalidate,
};

FIXTURE_VARIANT_ADD(sections, p3_memory) {
	.name = "P3", .desc = "P3 memory", .fn = p3_memory,
};

FIXTURE_VARIANT_ADD(sections, p4_event_aware_savings) {
	.name = "P4", .desc = "P4 event-aware savings", .fn = p4_events,
};

FIXTURE_VARIANT_ADD(sections, p5_sparse_ranges) {
	.name = "P5", .desc = "P5 sparse ranges", .fn = p5_sparse,
};

FIXTURE_VARIANT_ADD(sections, p6_peer) {
	.name = "P6", .desc = "P6 peer (lib/test_hmm)", .fn = p6_peer,
	.explicit = true,
};

FIXTURE_VARIANT_ADD(sections, p7_devmem) {
	.name = "P7", .desc = "P7 device memory and atomics", .fn = p7_devmem,
	.explicit = true,
};

FIXTURE_VARIANT_ADD(sections, p8_jobs) {
	.name = "P8", .desc = "P8 jobs", .fn = p8_jobs,
};

FIXTURE_VARIANT_ADD(sections, p9_faults) {
	.name = "P9", .desc = "P9 fault-model jobs", .fn = p9_faults,
};

TEST_F_OPTS(sections, bench, TM_OPT_NODEV, 0)
{
	uint64_t t0;

	if (!want(variant->name, variant->explicit))
		SKIP("not selected");
	win = map_populated(WIN_SZ, false);
	if (!win)
		SKIP("cannot map the %lu MiB window", WIN_SZ / MiB);
	section_failed = 0;
	t0 = tm_now_ns();
	variant->fn();
	printf("# %s: %.1f s\n", variant->desc, (tm_now_ns() - t0) / 1e9);
	if (section_failed)
		FAIL("%s: see the errors above", variant->desc);
}

/*
 * Before the sections: the sizes, the module's parameters (put back at
 * exit, whatever happens), its capabilities. A machine the benchmarks
 * cannot run on skips them all.
 */
static int bench_setup(struct tm_run *run)
{
	struct drm_test_mirror_stats st;
	unsigned long avail;
	unsigned int i;
	int fd;

	if (opt_reps > MAXREP)
		opt_reps = MAXREP;
	if (smoke)
		mpfx = "# ";
	max_bytes = opt_max_mib * MiB;
	/* the sections bound themselves; the VM bounds the program */
	if (!run->timeout_given)
		run->timeout = 24 * 3600;
	if (run->list)
		return -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	krel = tm_kernel_release();
	avail = meminfo_kb("MemAvailable") * KiB;
	/* the biggest buffer must fit a few times over (P1: buffer + window) */
	if (!max_bytes)
		max_bytes = avail / 2 > WIN_SZ ? avail / 2 - WIN_SZ : 0;
	printf("# tm_bench%s: kernel %s, %ld CPUs, MemAvailable %lu MiB,"
	       " largest buffer %lu MiB\n", smoke ? " --smoke" : "", krel,
	       sysconf(_SC_NPROCESSORS_ONLN), avail / MiB, max_bytes / MiB);
	printf("%sBENCH kernel=%s cpus=%ld mem_avail_mib=%lu smoke=%d\n", mpfx, krel,
	       sysconf(_SC_NPROCESSORS_ONLN), avail / MiB, smoke);

	if (tm_param_get("event_aware", &orig_aware) ||
	    tm_param_get("fault_chunk_pages", &orig_chunk)) {
		printf("TAP version 13\n1..0 # SKIP test_mirror module parameters not readable\n");
		return 4;
	}
	for (i = 0; i < NFP; i++)
		fault_saved[i] = !tm_param_get(fault_params[i], &orig_fault[i]);
	params_saved = true;
	atexit(restore_params);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	fd = tm_open();
	if (fd < 0) {
		printf("TAP version 13\n1..0 # SKIP no test_mirror device (%s)\n",
		       tm_errname(fd));
		return 4;
	}
	if (!tm_stats(fd, &st, false))
		caps = st.caps;
	close(fd);
	printf("# module: event_aware=%llu fault_chunk_pages=%llu caps=%#x\n",
	       (unsigned long long)orig_aware, (unsigned long long)orig_chunk, caps);
	return -1;
}

static int bench_teardown(int status)
{
	restore_params();
	return status;
}

static const struct tm_option bench_options[] = {
	{ "smoke", TM_OPT_FLAG, &smoke, NULL,
	  "every section on tiny sizes, one repetition (the suite's share)" },
	{ "only", TM_OPT_STR, &only, "P1,P2,...", "only these sections" },
	{ "max-mib", TM_OPT_UINT, &opt_max_mib, "N", "largest buffer, MiB" },
	{ "reps", TM_OPT_UINT, &opt_reps, "N", "repetitions of each measure" },
	{ "peer-devs", TM_OPT_STR, &opt_peer_devs, "test_hmm,compat,drm",
	  "P6: only these devices" },
	{ "peer-modes", TM_OPT_STR, &opt_peer_modes, "base,thp",
	  "P6: only these kinds of memory" },
	{ NULL },
};

TM_PROGRAM(.options = bench_options, .setup = bench_setup,
	   .teardown = bench_teardown);
TM_MAIN()
