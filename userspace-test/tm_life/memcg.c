// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: memory cgroups. The device table, and the segments the UNMAP
 * work item allocates, are charged to the opener's memory cgroup
 * (memory.current and the slab follow them); a fault that fails frees the
 * table memory it prepared; a cgroup limit turns a huge mirror into
 * -ENOMEM or an OOM kill inside the cgroup, never a machine-wide OOM; the
 * pages the test_hmm-compatible mmap() hands out are charged too.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_life.h"

/* The device table is charged to the opener's memory cgroup. */
TEST_OPTS(table_charged_to_memcg, 0, 300)
{
	char cg[128];
	pid_t pid;
	int pfd[2];
	long long v[6];

	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	tm_cg_path(cg, sizeof(cg), "charge");
	tm_cg_make(cg, NULL);
	ASSERT_SYS(pipe(pfd));
	pid = tm_fork();
	if (!pid) {
		size_t np = 262144;	/* 1 GiB of zero pages: a 2 MiB table */
		uint8_t *p = tm_map_aligned(np, 2u << 20, PROT_READ | PROT_WRITE);
		struct drm_test_mirror_stats st;
		volatile uint8_t sink = 0;
		uint32_t h;
		size_t i;
		int f;

		tm_cg_enter(cg);
		ASSERT_TRUE(p != NULL);
		madvise(p, SZ(np), MADV_NOHUGEPAGE);
		/* CPU page tables first, so that only the table is new later */
		for (i = 0; i < np; i++)
			sink += p[SZ(i)];
		f = tm_must_open();
		usleep(100000);
		v[0] = tm_cg_read(cg, "memory.current", NULL);
		v[1] = tm_cg_read(cg, "memory.stat", "slab_unreclaimable");
		h = tm_must_bind(f, p, SZ(np), RO | PREFAULT);
		tm_must_stats(f, &st);
		v[2] = tm_cg_read(cg, "memory.current", NULL);
		v[3] = tm_cg_read(cg, "memory.stat", "slab_unreclaimable");
		v[5] = (long long)st.table_bytes;
		ASSERT_OK(tm_unbind(f, h));
		usleep(100000);
		v[4] = tm_cg_read(cg, "memory.current", NULL);
		if (write(pfd[1], v, sizeof(v)) != sizeof(v))
			_exit(2);
		(void)sink;
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], v, sizeof(v)) != sizeof(v))
		memset(v, 0, sizeof(v));
	tm_must_exit0(tm_wait_bounded(pid, 240000, "charge child"), "charge child");
	tm_cg_remove(cg);
	tm_diag("1 GiB mirrored: table %lld KiB; memory.current %lld -> %lld KiB (+%lld), slab_unreclaimable %lld -> %lld KiB; after UNBIND %lld KiB (-%lld)",
		v[5] >> 10, v[0] >> 10, v[2] >> 10, (v[2] - v[0]) >> 10,
		v[1] >> 10, v[3] >> 10, v[4] >> 10, (v[2] - v[4]) >> 10);
	ASSERT_EQ(v[5], 2 << 20);	/* 512 leaves of 4 KiB */
	/* the charge follows the table (per-cpu charge batching aside) */
	ASSERT_GE(v[2] - v[0], v[5] * 8 / 10);
	ASSERT_GE(v[2] - v[4], v[5] * 8 / 10);
}

/* slab_reclaimable + slab_unreclaimable of memory.stat, bytes; -1 if none. */
static long long cg_slab(const char *cg)
{
	long long r = tm_cg_read(cg, "memory.stat", "slab_reclaimable");
	long long u = tm_cg_read(cg, "memory.stat", "slab_unreclaimable");

	return r < 0 || u < 0 ? -1 : r + u;
}

/*
 * cg_slab() once objects freed through RCU (xarray nodes) are gone and the
 * cgroup's statistics were flushed (the kernel does it every 2 s at least).
 */
static long long cg_slab_settled(const char *cg)
{
	sleep(3 * tm_timeout_scale());
	return cg_slab(cg);
}

/* The cgroup a test's child (run by tm_with_params()) enters. */
static char cg_child[128];

#define RESV_STEP	((size_t)128 << 20)	/* 64 slots: one xarray node */
#define RESV_ROUNDS	256

/*
 * One round of failed_faults_free_table_memory at x, inside the PROT_NONE
 * reservation: 4 MiB, a THP then 512 4 KiB pages, bound read-only and read
 * whole in one fault (fault_chunk_pages=1024), which fails with -ENOSPC:
 * the one slot is taken. Then unbound, and the reservation mapped back
 * over it (so that the VMAs merge again: a hole per round would grow the
 * slab by itself). Returns whether the first 2 MiB were a THP.
 */
static bool failed_fault_round(int f, uint8_t *x, uint8_t *buf,
			       unsigned int round)
{
	const size_t len = 2 * HUGE_SZ;
	struct drm_test_mirror_stats st;
	struct tm_result r;
	bool thp;
	uint32_t h;

	ASSERT_TRUE(mmap(x, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == x);
	ASSERT_SYS(madvise(x, HUGE_SZ, MADV_HUGEPAGE));
	ASSERT_SYS(madvise(x + HUGE_SZ, HUGE_SZ, MADV_NOHUGEPAGE));
	tm_fill(x, len, round);
	thp = tm_smaps_kb(x, "AnonHugePages:") >= (long)(HUGE_SZ >> 10);
	h = tm_must_bind(f, x, len, RO);
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, x, len, buf, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.entries_present, 1);	/* the 4 KiB page, only */
	ASSERT_EQ(st.huge_entries, 0);
	ASSERT_OK(tm_unbind(f, h));
	ASSERT_TRUE(mmap(x, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED | MAP_NORESERVE, -1, 0) == x);
	return thp;
}

/* The child of failed_faults_free_table_memory, in its cgroup. */
static void failed_faults_child(int old_fd)
{
	struct drm_test_mirror_stats st;
	uint8_t *one, *resv, *base, *buf;
	unsigned int k, thp = 0;
	long long s0, s1, grew;
	struct tm_result r;
	int f;

	(void)old_fd;
	tm_cg_enter(cg_child);
	f = tm_must_open();	/* the limits are read at open */
	buf = tm_must_map(2 * HUGE_SZ / PAGE_SZ, PROT_READ | PROT_WRITE);
	memset(buf, 1, 2 * HUGE_SZ);
	/* one 4 KiB page mirrored: it takes the file's one slot */
	one = tm_must_map_pattern(1, 0xb00b);
	tm_must_bind(f, one, PAGE_SZ, RO);
	ASSERT_OK(tm_read(f, one, PAGE_SZ, buf, &r));
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 4096);
	resv = mmap(NULL, (RESV_ROUNDS + 2) * RESV_STEP, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_TRUE(resv != MAP_FAILED);
	base = (uint8_t *)(((uintptr_t)resv + RESV_STEP - 1) &
			   ~(uintptr_t)(RESV_STEP - 1));
	/* round 0 warms up whatever the kernel allocates once */
	failed_fault_round(f, base, buf, 0);
	s0 = cg_slab_settled(cg_child);
	for (k = 1; k <= RESV_ROUNDS; k++)
		thp += failed_fault_round(f, base + k * RESV_STEP, buf, k);
	s1 = cg_slab_settled(cg_child);
	grew = s1 - s0;
	tm_must_stats(f, &st);
	tm_diag("%u failed faults (%u with a THP first), each in its own xarray node: cgroup slab %lld -> %lld bytes (%+lld, %+lld per fault; a node is 576 bytes); table %llu bytes, %llu entries",
		RESV_ROUNDS, thp, s0, s1, grew, grew / RESV_ROUNDS,
		(unsigned long long)st.table_bytes,
		(unsigned long long)st.entries_present);
	ASSERT_TRUE(s0 >= 0 && s1 >= 0);
	/* without THPs the faults would fail before any slot is touched */
	ASSERT_GE(thp, RESV_ROUNDS * 3 / 4);
	ASSERT_EQ(st.table_bytes, 4096);
	ASSERT_EQ(st.entries_present, 1);
	/*
	 * The table is back to its baseline: what the faults prepared went.
	 * A node left per failed fault would be 256 x 576 = 147456 bytes (the
	 * slots reserved and never released measured +150024 to +159624 on
	 * 6.1 and 6.12, upper nodes included); with nothing left, the loop
	 * measured +264 to +1448 bytes. The bound leaves room for the noise
	 * of the rest of the loop (VMAs, maple tree, anon_vma, statistics
	 * batched per CPU).
	 */
	ASSERT_LT(grew, 32 << 10);
	close(f);
}

/*
 * A fault that fails frees the table memory it prepared. With
 * max_mirror_pages=512 (one 2 MiB slot) taken by a 4 KiB page, and
 * fault_chunk_pages=1024 (one fault covers a THP and the 4 KiB chunk after
 * it), 256 reads of such 4 MiB, each in its own xarray node, fail with
 * -ENOSPC. The cgroup's slab must not grow by a node per failed fault: the
 * slots reserved for the huge entries are released (or never taken).
 */
TEST_OPTS(failed_faults_free_table_memory, 0, 300)
{
	static const char *const names[] = {
		"max_mirror_pages", "fault_chunk_pages"
	};
	static const char *const vals[] = { "512", "1024" };
	pid_t pid;
	int st;

	if (PAGE_SZ != 4096)
		SKIP("page size is not 4 KiB");
	if (!tm_thp_usable())
		SKIP("transparent huge pages are off");
	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	tm_cg_path(cg_child, sizeof(cg_child), "failedfault");
	tm_cg_make(cg_child, NULL);
	/* in a child of its own, so that the cgroup goes whatever happens */
	pid = tm_fork();
	if (!pid) {
		tm_with_params(2, names, vals, failed_faults_child);
		_exit(0);
	}
	st = tm_wait_bounded(pid, 240000, "failed_faults_free_table_memory");
	tm_cg_remove(cg_child);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 4)	/* tm_skip()'s status */
		SKIP("see above");
	tm_must_exit0(st, "failed_faults_free_table_memory");
}

/* Wait until the work item has split every cut segment; the segments. */
static unsigned int mirror_segments_settled(const char *path)
{
	unsigned int n = 0, last = ~0u, same = 0, i;
	bool cuts = false;

	for (i = 0; i < 600 * tm_timeout_scale(); i++) {
		n = tm_dbg_segments(path, &cuts);
		same = !cuts && n == last ? same + 1 : 0;
		if (same == 3)
			return n;
		last = n;
		usleep(50000);
	}
	FAIL("the segments did not settle in %u s (%u, cuts %s)",
	     30 * tm_timeout_scale(), n, cuts ? "left" : "none");
}

/* munmap the odd pages of [p, p + np pages), one at a time. */
static void cut_odd_pages(uint8_t *p, size_t np)
{
	size_t i;

	for (i = 1; i < np; i += 2) {
		ASSERT_SYS(munmap(p + SZ(i), PAGE_SZ));
		/* let the work item split between cuts: few merged cuts */
		usleep(300);
	}
}

#define SPLIT_PAGES	2048

/*
 * The segments the UNMAP work item allocates when it splits a binding are
 * charged to the opener's memory cgroup, as everything else of the file
 * is, though a kworker allocates them. In a new cgroup, a binding of 2048
 * pages is cut by 1024 munmaps of one page (the odd pages) into 1024
 * segments of about 330 bytes (kmalloc-512). munmap splits VMAs, charged to
 * the cgroup too: the same munmaps of an unbound region are the control.
 * The bound run must grow the cgroup's slab by at least 256 bytes per
 * segment more than the control (charged, they measured 510 to 521 bytes
 * per segment on 6.1 and 6.12; uncharged, -5 to +2).
 */
TEST_OPTS(split_segments_charged_to_memcg, 0, 300)
{
	char cg[128];
	pid_t pid;
	int pfd[2], st;
	long long v[5];

	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	if (access("/sys/kernel/debug/test_mirror", F_OK))
		SKIP("no /sys/kernel/debug/test_mirror (debugfs)");
	tm_cg_path(cg, sizeof(cg), "split");
	tm_cg_make(cg, NULL);
	ASSERT_SYS(pipe(pfd));
	pid = tm_fork();
	if (!pid) {
		uint8_t *ctl, *bound;
		char state[256];
		bool cuts;
		int f;

		tm_cg_enter(cg);
		f = tm_must_open();
		tm_dbg_state_path(state, sizeof(state), NULL, 0);
		ctl = tm_must_map_pattern(SPLIT_PAGES, 0xc00c);
		bound = tm_must_map_pattern(SPLIT_PAGES, 0xc11c);
		tm_must_bind(f, bound, SZ(SPLIT_PAGES), RW);
		ASSERT_EQ(tm_dbg_segments(state, &cuts), 1);
		/* the control: the same munmaps, nothing bound there */
		v[0] = cg_slab_settled(cg);
		cut_odd_pages(ctl, SPLIT_PAGES);
		v[1] = cg_slab_settled(cg);
		cut_odd_pages(bound, SPLIT_PAGES);
		v[4] = mirror_segments_settled(state);
		v[2] = cg_slab_settled(cg);
		v[3] = tm_dbg_segments(state, &cuts);
		if (write(pfd[1], v, sizeof(v)) != sizeof(v))
			_exit(2);
		close(f);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], v, sizeof(v)) != sizeof(v))
		memset(v, 0, sizeof(v));
	st = tm_wait_bounded(pid, 240000, "split child");
	tm_cg_remove(cg);
	tm_must_exit0(st, "split child");
	tm_diag("%lld segments after %d one-page munmaps of a binding; cgroup slab: control munmaps %+lld bytes, bound munmaps %+lld bytes: %+lld bytes for the segments (%+lld per segment)",
		v[3], SPLIT_PAGES / 2, v[1] - v[0], v[2] - v[1],
		(v[2] - v[1]) - (v[1] - v[0]),
		v[3] ? ((v[2] - v[1]) - (v[1] - v[0])) / v[3] : 0);
	ASSERT_TRUE(v[0] >= 0 && v[1] >= 0 && v[2] >= 0);
	ASSERT_EQ(v[3], v[4]);
	/* most cuts were split on their own, not merged */
	ASSERT_GE(v[3], SPLIT_PAGES / 2 * 3 / 4);
	ASSERT_LE(v[3], SPLIT_PAGES / 2);
	ASSERT_GE((v[2] - v[1]) - (v[1] - v[0]), v[3] * 256);
}

/*
 * A mirror far beyond the cgroup's limit: the file is refused memory
 * (-ENOMEM, -ENOSPC) or the process is OOM-killed inside its cgroup. The
 * machine carries on either way.
 */
TEST_OPTS(memcg_limit_contains_mirror, 0, 300)
{
	char cg[128];
	long long peak, max_events;
	pid_t pid;
	int st;

	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	tm_cg_path(cg, sizeof(cg), "limit");
	tm_cg_make(cg, "6M");
	pid = tm_fork();
	if (!pid) {
		size_t np = 1u << 19;	/* 2 GiB: 4 MiB of table + 4 of page tables */
		uint8_t *p = tm_map(np, PROT_READ | PROT_WRITE, MAP_NORESERVE);
		int f, r;

		tm_cg_enter(cg);
		if (!p)
			_exit(3);
		f = tm_must_open();
		r = tm_bind(f, p, SZ(np), RO | PREFAULT, NULL);
		/* failing is the point; success would mean it fitted */
		printf("# the 2 GiB PREFAULT in a 6 MiB cgroup returned %s\n",
		       tm_errname(r));
		_exit(r == -ENOMEM || r == -ENOSPC || r == -EFAULT ? 0 : 4);
	}
	st = tm_wait_bounded(pid, 240000, "limited child");
	peak = tm_cg_read(cg, "memory.peak", NULL);
	max_events = tm_cg_read(cg, "memory.events", "max");
	tm_diag("child %s; memory.peak %lld KiB (limit 6 MiB), memory.events max %lld, oom_kill %lld",
		WIFSIGNALED(st) ? "killed by a signal" : "exited",
		peak >> 10, max_events, tm_cg_read(cg, "memory.events", "oom_kill"));
	tm_cg_remove(cg);
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		FAIL("limited child died of signal %d", WTERMSIG(st));
	if (WIFEXITED(st) && WEXITSTATUS(st))
		FAIL("limited child: exit status %d", WEXITSTATUS(st));
	tm_must_round_trip(fd);
}

/*
 * Pages the test_hmm-compatible mmap() hands out must be charged to the
 * caller's cgroup too: an mmap far beyond the limit must fail or be killed.
 */
TEST_OPTS(hmm_mmap_charged_to_memcg, 0, 300)
{
	char cg[128];
	long long cur = 0;
	pid_t pid;
	int st, pfd[2];

	bool enabled;

	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	enabled = (tm_hmm_enable() == 1);
	if (access("/dev/hmm_dmirror0", F_OK))
		SKIP("no /dev/hmm_dmirror0 (no hmm_compat parameter)");
	tm_cg_path(cg, sizeof(cg), "hmmmap");
	tm_cg_make(cg, "16M");
	ASSERT_SYS(pipe(pfd));
	pid = tm_fork();
	if (!pid) {
		int h;
		void *m;

		tm_cg_enter(cg);
		h = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
		if (h < 0)
			_exit(3);
		m = mmap(NULL, 64u << 20, PROT_READ | PROT_WRITE, MAP_SHARED, h, 0);
		if (m == MAP_FAILED)
			_exit(0);	/* refused: fine */
		cur = tm_cg_read(cg, "memory.current", NULL);
		if (write(pfd[1], &cur, sizeof(cur)) != sizeof(cur))
			_exit(2);
		_exit(5);		/* 64 MiB in a 16 MiB cgroup */
	}
	close(pfd[1]);
	if (read(pfd[0], &cur, sizeof(cur)) != sizeof(cur))
		cur = -1;
	st = tm_wait_bounded(pid, 240000, "hmm mmap child");
	tm_cg_remove(cg);
	if (enabled)
		tm_param_set("hmm_compat", "0");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 5)
		FAIL("mmap of 64 MiB of /dev/hmm_dmirror0 succeeded in a 16 MiB cgroup (memory.current %lld KiB): its pages are not charged to the cgroup",
		     cur >> 10);
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		FAIL("child died of signal %d", WTERMSIG(st));
	if (WIFEXITED(st) && WEXITSTATUS(st))
		FAIL("child: exit status %d", WEXITSTATUS(st));
	tm_diag("mmap of 64 MiB in a 16 MiB cgroup: %s",
		WIFEXITED(st) ? "refused" : "the child was OOM-killed in its cgroup");
}
