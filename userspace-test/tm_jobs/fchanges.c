// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: CPU changes to the range of a running fault-model STREAM
 * (TEST_MIRROR_SUBMIT_FAULTABLE), the counterpart of changes.c and life.c.
 * The job faults and replays, so it survives what ends a pre-validated
 * one: MADV_DONTNEED (the pages are faulted again, written or read again;
 * the invalidation cost a TLB flush), another file's MIGRATE of its pages,
 * fork under a writing STREAM (the write-protected entries fault; the
 * parent's pages get the device's writes, the child's copy none of them),
 * mprotect(PROT_READ) and back under a reading one. It fails only on a
 * fault that cannot be resolved: munmap (-EFAULT, and munmap does not wait
 * for the job), UNBIND (-EFAULT), mprotect(PROT_READ) under a writing
 * STREAM (-EPERM). close
 * of the file and exit of the process with a STREAM running (faults in
 * flight, or not) return promptly, and the engine writes nothing after.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_jobs.h"

#define NS	64u	/* pages of the STREAM of the unmap tests */

/*
 * Wait (at most ms, times the timeout scale) until each of the npages at p
 * has a device entry of snapshot value val.
 */
static void wait_snap_at(int fd, const void *p, size_t npages, uint8_t val,
			 unsigned int ms, const char *file, int line)
{
	uint64_t end = tm_now_ms() + (uint64_t)ms * tm_timeout_scale();

	while (tm_snap_count_at(file, line, fd, p, npages, val) != npages) {
		if (tm_now_ms() > end)
			tm_fail(file, line,
				"the %zu pages did not all get entries 0x%x within %u ms",
				npages, val, ms * tm_timeout_scale());
		tm_sleep_ms(1);
	}
}

#define WAIT_SNAP(fd, p, n, val, ms) \
	wait_snap_at(fd, p, n, val, ms, __FILE__, __LINE__)

/*
 * MADV_DONTNEED of one page, or of the whole range, of a running
 * STREAM that writes (every word once the CPU sees the value everywhere)
 * or reads (every page once each has an entry): the STREAM goes on, the
 * device faults the pages again (device_faults grows; a writing STREAM
 * writes its value there again, the device has read entries there again),
 * the invalidation was a TLB flush, and the job ends with error 0: the
 * dropped pages then hold the value (writing) or zeros (reading), the
 * others the value or their pattern.
 */
FIXTURE(fdontneed) {};

FIXTURE_VARIANT(fdontneed) {
	bool write;
	bool all;	/* the whole range, else page 5 */
};

FIXTURE_VARIANT_ADD(fdontneed, write_page) { .write = true, .all = false };
FIXTURE_VARIANT_ADD(fdontneed, write_all) { .write = true, .all = true };
FIXTURE_VARIANT_ADD(fdontneed, read_page) { .write = false, .all = false };
FIXTURE_VARIANT_ADD(fdontneed, read_all) { .write = false, .all = true };

static void dontneed_round(int fd, bool write, bool all)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	size_t k = all ? 0 : 5, n = all ? NJ * 2 : 1;
	struct drm_test_mirror_stats st = STATS(fd);
	struct fcount c0, c1;

	tm_must_bind(fd, buf, SZ(NJ * 2), write ? RW : RO);
	if (write) {
		FSTREAM_W(fd, buf, NJ * 2, VAL_A, 1500, uf, SEQ_A);
		WAIT_WORDS(buf, SZ(NJ * 2), VAL_A, 1400);
	} else {
		FSTREAM_R(fd, buf, NJ * 2, 1500, uf, SEQ_A);
		WAIT_SNAP(fd, buf, NJ * 2, TEST_MIRROR_SNAP_READ, 1400);
	}
	c0 = FCOUNT(fd);
	ASSERT_EQ(UFENCE_NOW(fd, uf, SEQ_A), 0);
	ASSERT_SYS(madvise(PG(buf, k), SZ(n), MADV_DONTNEED));
	if (write)
		WAIT_WORDS(PG(buf, k), SZ(n), VAL_A, 1000);
	else
		WAIT_SNAP(fd, PG(buf, k), n, TEST_MIRROR_SNAP_READ, 1000);
	c1 = FCOUNT(fd);
	ASSERT_EQ(UFENCE(fd, uf, SEQ_A, 3000), 0);
	fcount_diag("before MADV_DONTNEED", &c0);
	fcount_diag("after it", &c1);
	ASSERT_GT(c1.device_faults, c0.device_faults);
	ASSERT_GE(c1.tlb_flushes, c0.tlb_flushes + 1);
	if (write) {
		ASSERT_WORDS(buf, SZ(NJ * 2), VAL_A);
	} else {
		ASSERT_ZERO_MEM(PG(buf, k), SZ(n));
		EXPECT_PAT(buf, 0, SZ(k), SEED_A);
		EXPECT_PAT(PG(buf, k + n), SZ(k + n), SZ(NJ * 2 - k - n),
			   SEED_A);
	}
	EXPECT_JOBS(fd, st.jobs_submitted + 1, st.jobs_completed + 1,
		    st.jobs_failed);
}

TEST_F(fdontneed, fault_stream_survives_dontneed)
{
	dontneed_round(fd, variant->write, variant->all);
}

/*
 * munmap of half the range of a writing STREAM, once it runs: munmap
 * returns within 200 ms (it waits for the TLB flush, never for the job),
 * the fence carries -EFAULT within a second (the job had 3 s to go), the
 * other half holds the value.
 */
FIXTURE(funmap) {};

FIXTURE_VARIANT(funmap) {
	bool low;
};

FIXTURE_VARIANT_ADD(funmap, low_half) { .low = true };
FIXTURE_VARIANT_ADD(funmap, high_half) { .low = false };

TEST_F(funmap, fault_stream_munmap_half)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NS, SEED_A);
	uint8_t *gone = variant->low ? buf : PG(buf, NS / 2);
	uint8_t *kept = variant->low ? PG(buf, NS / 2) : buf;
	uint64_t t0, t1, t2;
	struct fcount c;

	tm_must_bind(fd, buf, SZ(NS), RW);
	FSTREAM_W(fd, buf, NS, VAL_A, LONG_MS, uf, SEQ_A);
	WAIT_WORDS(buf, SZ(NS), VAL_A, 2000);
	ASSERT_EQ(UFENCE_NOW(fd, uf, SEQ_A), 0);
	t0 = tm_now_ns();
	ASSERT_OK(tm_unmap(gone, NS / 2));
	t1 = tm_now_ns();
	ASSERT_EQ(UFENCE(fd, uf, SEQ_A, 1000), -EFAULT);
	t2 = tm_now_ns();
	tm_diag("munmap of %u of the %u pages of a running fault-model STREAM: %.3f ms; the fence written %.3f ms after it",
		NS / 2, NS, MS(t1 - t0), MS(t2 - t1));
	ASSERT_LT(t1 - t0, BOUND_NS(200));
	ASSERT_WORDS(kept, SZ(NS / 2), VAL_A);
	c = FCOUNT(fd);
	fcount_diag("after munmap", &c);
	ASSERT_GE(c.tlb_flushes, 1);
	EXPECT_JOBS(fd, 1, 0, 1);
}

/*
 * UNBIND of the binding of a running writing STREAM: UNBIND returns within
 * 200 ms (once the engine let go of the entries), the fence carries
 * -EFAULT (binding gone) within a second, what the job wrote stays.
 */
TEST(fault_stream_unbind)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(NJ * 2), RW);
	uint64_t t0, t1;

	FSTREAM_W(fd, buf, NJ * 2, VAL_A, LONG_MS, uf, SEQ_A);
	WAIT_WORDS(buf, SZ(NJ * 2), VAL_A, 2000);
	ASSERT_EQ(UFENCE_NOW(fd, uf, SEQ_A), 0);
	t0 = tm_now_ns();
	ASSERT_OK(tm_unbind(fd, h));
	t1 = tm_now_ns();
	ASSERT_EQ(UFENCE(fd, uf, SEQ_A, 1000), -EFAULT);
	tm_diag("UNBIND under a running fault-model STREAM: %.3f ms",
		MS(t1 - t0));
	ASSERT_LT(t1 - t0, BOUND_NS(200));
	ASSERT_WORDS(buf, SZ(NJ * 2), VAL_A);
	ASSERT_EQ(STATS(fd).bindings, 1);	/* the fences' */
	EXPECT_JOBS(fd, 1, 0, 1);
}

/*
 * Another file's MIGRATE of the pages of a running writing STREAM: the
 * pages move, the job's entries go, the job faults them again (at their
 * new place) and ends with error 0; the value is in every word.
 */
TEST(fault_stream_survives_migration)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NJ, SEED_A);
	int f2 = tm_must_open();
	struct fcount c0, c1;
	uint64_t moved = 0;

	tm_must_bind(fd, buf, SZ(NJ), RW);
	tm_must_bind(f2, buf, SZ(NJ), RW);
	FSTREAM_W(fd, buf, NJ, VAL_A, 1000, uf, SEQ_A);
	WAIT_WORDS(buf, SZ(NJ), VAL_A, 900);
	c0 = FCOUNT(fd);
	ASSERT_EQ(UFENCE_NOW(fd, uf, SEQ_A), 0);
	ASSERT_OK(migrate_range(f2, buf, NJ, &moved));
	ASSERT_EQ(moved, NJ);
	ASSERT_EQ(UFENCE(fd, uf, SEQ_A, 3000), 0);
	c1 = FCOUNT(fd);
	fcount_diag("before MIGRATE", &c0);
	fcount_diag("after the job", &c1);
	ASSERT_GT(c1.device_faults, c0.device_faults);
	ASSERT_GE(c1.tlb_flushes, c0.tlb_flushes + 1);
	ASSERT_WORDS(buf, SZ(NJ), VAL_A);
	EXPECT_JOBS(fd, 1, 1, 0);
}

/*
 * mprotect(PROT_READ) of the range of a running writing STREAM: the next
 * write faults, the fault cannot be resolved, the fence carries -EPERM;
 * what it wrote stays. Under a reading STREAM, mprotect(PROT_READ) and back
 * to read-write: the job ends with error 0, the data untouched; each
 * invalidation while it ran was counted as a TLB flush, or as one avoided
 * (nothing removed, where the kernel says the VMA's new access and the
 * event-aware policy keeps the read-only entries).
 */
FIXTURE(fprot) {};

FIXTURE_VARIANT(fprot) {
	bool write;
};

FIXTURE_VARIANT_ADD(fprot, write) { .write = true };
FIXTURE_VARIANT_ADD(fprot, read_and_back) { .write = false };

TEST_F(fprot, fault_stream_mprotect)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	struct drm_test_mirror_stats st = STATS(fd);
	bool keep = (st.caps & TEST_MIRROR_CAP_VMA_DOWNGRADE) &&
		    (st.caps & TEST_MIRROR_CAP_EVENT_AWARE);
	struct fcount c0, c1;
	int err;

	tm_must_bind(fd, buf, SZ(NJ * 2), variant->write ? RW : RO);
	if (variant->write) {
		FSTREAM_W(fd, buf, NJ * 2, VAL_A, 1500, uf, SEQ_A);
		WAIT_WORDS(buf, SZ(NJ * 2), VAL_A, 1400);
	} else {
		FSTREAM_R(fd, buf, NJ * 2, 1500, uf, SEQ_A);
		WAIT_SNAP(fd, buf, NJ * 2, TEST_MIRROR_SNAP_READ, 1400);
	}
	c0 = FCOUNT(fd);
	ASSERT_EQ(UFENCE_NOW(fd, uf, SEQ_A), 0);
	ASSERT_SYS(mprotect(buf, SZ(NJ * 2), PROT_READ));
	if (!variant->write) {
		tm_sleep_ms(50);
		ASSERT_SYS(mprotect(buf, SZ(NJ * 2), PROT_READ | PROT_WRITE));
	}
	err = UFENCE(fd, uf, SEQ_A, 3000);
	c1 = FCOUNT(fd);
	fcount_diag("before mprotect", &c0);
	fcount_diag("after the job", &c1);
	tm_diag("%s STREAM, mprotect (%s): error %s",
		variant->write ? "writing" : "reading",
		keep ? "read-only entries kept" : "entries removed",
		tm_errname(err));
	if (variant->write) {
		ASSERT_ERRNO(err, -EPERM);
		ASSERT_WORDS(buf, SZ(NJ * 2), VAL_A);
		EXPECT_JOBS(fd, 1, 0, 1);
		return;
	}
	ASSERT_ERRNO(err, 0);
	ASSERT_PATTERN(buf, SZ(NJ * 2), SEED_A);
	if (keep)
		ASSERT_GT(c1.tlb_flushes_avoided, c0.tlb_flushes_avoided);
	else
		ASSERT_GT(c1.tlb_flushes, c0.tlb_flushes);
	EXPECT_JOBS(fd, 1, 1, 0);
}

/*
 * fork under a writing STREAM: the parent's entries become read-only (COW),
 * the next writes fault (device_faults grows, a TLB flush: write access
 * removed under a job that writes), the job ends with error 0 and the
 * parent's pages hold its value. Then a FILL of another value. The child's
 * copy got none of the device's writes after the fork: it holds the value
 * the STREAM had written everywhere before it (not the FILL's), and its
 * copy of the user fence is unwritten.
 */
TEST(fault_stream_survives_fork)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	struct fcount c0, c1;
	int p[2];
	pid_t pid;

	ASSERT_SYS(pipe(p));
	tm_must_bind(fd, buf, SZ(NJ * 2), RW);
	FSTREAM_W(fd, buf, NJ * 2, VAL_A, 1000, &uf[0], SEQ_A);
	WAIT_WORDS(buf, SZ(NJ * 2), VAL_A, 900);
	c0 = FCOUNT(fd);
	ASSERT_EQ(UFENCE_NOW(fd, &uf[0], SEQ_A), 0);
	pid = tm_fork();
	if (!pid) {
		close(p[1]);
		tm_wait_byte(p[0]);
		ASSERT_WORDS(buf, SZ(NJ * 2), VAL_A);
		ASSERT_EQ(uf[0].seqno, 0);
		ASSERT_EQ(uf[1].seqno, 0);
		_exit(0);
	}
	close(p[0]);
	ASSERT_EQ(UFENCE(fd, &uf[0], SEQ_A, 3000), 0);
	c1 = FCOUNT(fd);
	fcount_diag("before fork", &c0);
	fcount_diag("after the STREAM", &c1);
	ASSERT_WORDS(buf, SZ(NJ * 2), VAL_A);
	ASSERT_GT(c1.device_faults, c0.device_faults);
	ASSERT_GT(c1.tlb_flushes, c0.tlb_flushes);
	FJOB(fd, JOB_FILL, NULL, buf, SZ(NJ * 2), VAL_B, 0, &uf[1], SEQ_B);
	ASSERT_EQ(UFENCE(fd, &uf[1], SEQ_B, 3000), 0);
	ASSERT_WORDS(buf, SZ(NJ * 2), VAL_B);
	tm_send_byte(p[1]);
	tm_must_wait_ok(pid);
	EXPECT_JOBS(fd, 2, 2, 0);
}

/*
 * fork under a reading STREAM (read-only binding, read-only entries): the
 * write-protection takes nothing the job needs; the job ends with error 0,
 * the data untouched, and the invalidation (with the event-aware policy,
 * which keeps read-only entries) needed no TLB flush.
 */
TEST(fault_read_stream_survives_fork)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	bool aware = tm_has_cap(fd, TEST_MIRROR_CAP_EVENT_AWARE);
	struct fcount c0, c1;
	pid_t pid;

	tm_must_bind(fd, buf, SZ(NJ * 2), RO);
	FSTREAM_R(fd, buf, NJ * 2, 1000, uf, SEQ_A);
	WAIT_SNAP(fd, buf, NJ * 2, TEST_MIRROR_SNAP_READ, 900);
	c0 = FCOUNT(fd);
	ASSERT_EQ(UFENCE_NOW(fd, uf, SEQ_A), 0);
	pid = tm_fork();
	if (!pid) {
		ASSERT_PATTERN(buf, SZ(NJ * 2), SEED_A);
		_exit(0);
	}
	tm_must_wait_ok(pid);
	ASSERT_EQ(UFENCE(fd, uf, SEQ_A, 3000), 0);
	c1 = FCOUNT(fd);
	fcount_diag("before fork", &c0);
	fcount_diag("after the STREAM", &c1);
	ASSERT_PATTERN(buf, SZ(NJ * 2), SEED_A);
	if (aware)
		ASSERT_GT(c1.tlb_flushes_avoided, c0.tlb_flushes_avoided);
	EXPECT_JOBS(fd, 1, 1, 0);
}

/*
 * TEST_MIRROR_CAP_TWO_PASS: the kernel's notifier has two passes on 7.3
 * only. The module parameter two_pass is 1 (the default) everywhere, and
 * MADV_DONTNEED and munmap under a writing STREAM behave the same with
 * two_pass 0 (one pass) and 1. On 6.1 and 6.12 the parameter changes
 * nothing (the callback issues the TLB invalidation and waits for it in
 * its one pass): the same rounds assert that it does not.
 */
static void two_pass_rounds(int before)
{
	/* a file opened after the change: whenever the driver reads it */
	int f = tm_must_open();
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);
	uint8_t *buf = tm_must_map_pattern(NS, SEED_A);

	(void)before;
	dontneed_round(f, true, false);
	tm_must_bind(f, buf, SZ(NS), RW);
	FSTREAM_W(f, buf, NS, VAL_A, LONG_MS, uf, SEQ_B);
	WAIT_WORDS(buf, SZ(NS), VAL_A, 2000);
	ASSERT_OK(tm_unmap(PG(buf, NS / 2), NS / 2));
	ASSERT_EQ(UFENCE(f, uf, SEQ_B, 1000), -EFAULT);
	ASSERT_WORDS(buf, SZ(NS / 2), VAL_A);
	EXPECT_JOBS(f, 2, 1, 1);
}

FIXTURE(fpass) {};

FIXTURE_VARIANT(fpass) {
	const char *two_pass;
};

FIXTURE_VARIANT_ADD(fpass, one_pass) { .two_pass = "0" };
FIXTURE_VARIANT_ADD(fpass, two_pass) { .two_pass = "1" };

TEST_F(fpass, fault_two_pass_notifier)
{
	bool cap = tm_has_cap(fd, TEST_MIRROR_CAP_TWO_PASS);
	unsigned int kv = tm_must_kernel_version();
	uint64_t v = 0;

	tm_diag("kernel %u.%u: TEST_MIRROR_CAP_TWO_PASS %s", kv / 100, kv % 100,
		cap ? "set" : "clear");
	ASSERT_EQ(cap, kv >= 703);
	ASSERT_OK(tm_param_get("two_pass", &v));
	ASSERT_EQ(v, 1);
	tm_with_param("two_pass", variant->two_pass, two_pass_rounds);
	ASSERT_OK(tm_param_get("two_pass", &v));
	ASSERT_EQ(v, 1);
}

/* A slow engine's acknowledgment (tlb_ack_delay_ms), and whether it overlaps. */
#define SLOW_ACK_MS	250u
static bool slow_acks_overlap;

/*
 * Two files mirror one buffer, each with a writing fault-model STREAM that
 * has made every page valid, and the engine takes SLOW_ACK_MS to
 * acknowledge a TLB invalidation. munmap of one page removes entries of
 * both. One pass waits for the first file's acknowledgment before the
 * second file's callback issues its own: at least twice SLOW_ACK_MS. Two
 * passes issue both in the first pass and wait in the second: the two
 * overlap, at least SLOW_ACK_MS and less than twice. Each file takes
 * exactly one TLB flush; both jobs end with -EFAULT.
 */
static void slow_ack_rounds(int before)
{
	int f[2] = { tm_must_open(), tm_must_open() };
	struct drm_test_mirror_ufence *uf[2];
	uint8_t *buf = tm_must_map_pattern(NS, SEED_A);
	const uint64_t ack = SLOW_ACK_MS * 1000000ull;
	struct fcount c0[2], c1[2];
	uint64_t t0, t1;
	unsigned int i;

	(void)before;
	for (i = 0; i < 2; i++) {
		uf[i] = UFENCES(f[i], true);
		tm_must_bind(f[i], buf, SZ(NS), RW);
		FSTREAM_W(f[i], buf, NS, VAL_A, LONG_MS, uf[i], SEQ_A);
	}
	for (i = 0; i < 2; i++)
		WAIT_FAULT_PAGES(f[i], NS, 2000);
	for (i = 0; i < 2; i++)
		c0[i] = FCOUNT(f[i]);
	t0 = tm_now_ns();
	ASSERT_OK(tm_unmap(PG(buf, NS / 2), 1));
	t1 = tm_now_ns() - t0;
	tm_diag("munmap with two files, acknowledgments of %u ms, %s: %.1f ms",
		SLOW_ACK_MS, slow_acks_overlap ? "two passes" : "one pass",
		MS(t1));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(UFENCE(f[i], uf[i], SEQ_A, 2000), -EFAULT);
		c1[i] = FCOUNT(f[i]);
		ASSERT_EQ(c1[i].tlb_flushes - c0[i].tlb_flushes, 1);
	}
	if (slow_acks_overlap) {
		ASSERT_GE(t1, ack);
		ASSERT_LT(t1, 2 * ack);
	} else {
		ASSERT_GE(t1, 2 * ack);
	}
}

TEST_F(fpass, fault_two_pass_overlaps_slow_acks)
{
	static const char *const names[] = { "two_pass", "tlb_ack_delay_ms" };
	char ack[16];
	const char *const vals[] = { variant->two_pass, ack };

	snprintf(ack, sizeof(ack), "%u", SLOW_ACK_MS);
	slow_acks_overlap = tm_has_cap(fd, TEST_MIRROR_CAP_TWO_PASS) &&
			    !strcmp(variant->two_pass, "1");
	tm_with_params(2, names, vals, slow_ack_rounds);
}

/*
 * close() of a file whose writing STREAM runs (once it runs; or at once,
 * its first faults in flight on 64 untouched pages): close returns within
 * a second, the fence is either unwritten or carries -ECANCELED and stays
 * so, the engine writes nothing after, and the device still works.
 */
FIXTURE(fclose) {};

FIXTURE_VARIANT(fclose) {
	bool faulting;
};

FIXTURE_VARIANT_ADD(fclose, running) { .faulting = false };
FIXTURE_VARIANT_ADD(fclose, faulting) { .faulting = true };

TEST_F(fclose, fault_close_stops_stream)
{
	uint8_t *buf = variant->faulting ?
		tm_must_map(NS, PROT_READ | PROT_WRITE) :
		tm_must_map_pattern(NS, SEED_A);
	int f2 = tm_must_open();
	struct drm_test_mirror_ufence *uf = UFENCES(f2, true), u0, u1;
	uint64_t t0, t1;

	tm_must_bind(f2, buf, SZ(NS), RW);
	FSTREAM_W(f2, buf, NS, VAL_A, LONG_MS, uf, SEQ_A);
	if (!variant->faulting)
		WAIT_WORDS(buf, SZ(NS), VAL_A, 2000);
	t0 = tm_now_ns();
	ASSERT_SYS(close(f2));
	t1 = tm_now_ns();
	tm_diag("close with a fault-model STREAM %s: %.3f ms",
		variant->faulting ? "faulting" : "running", MS(t1 - t0));
	ASSERT_LT(t1 - t0, BOUND_NS(1000));
	u0 = *(volatile struct drm_test_mirror_ufence *)uf;
	/* the engine has stopped: what the CPU writes now stays */
	tm_fill(buf, SZ(NS), SEED_B);
	tm_sleep_ms(100);
	ASSERT_PATTERN(buf, SZ(NS), SEED_B);
	u1 = *(volatile struct drm_test_mirror_ufence *)uf;
	tm_diag("the fence after close: {0x%llx, %d, 0x%x}",
		(unsigned long long)u0.seqno, u0.error, u0.pad);
	ASSERT_EQ(u1.seqno, u0.seqno);
	ASSERT_EQ(u1.error, u0.error);
	ASSERT_EQ(u1.pad, u0.pad);
	if (u0.seqno) {
		ASSERT_EQ(u0.seqno, SEQ_A);
		ASSERT_EQ(u0.error, -ECANCELED);
		ASSERT_EQ(u0.pad, 0);
	}
	tm_must_round_trip(fd);
}

/*
 * A child with a writing STREAM running (or with its first faults in
 * flight) exits, or is killed: it is gone within a second, and the device
 * still works.
 */
FIXTURE(fexit) {};

FIXTURE_VARIANT(fexit) {
	bool faulting;
	bool kill;
};

FIXTURE_VARIANT_ADD(fexit, running_exit) { .faulting = false, .kill = false };
FIXTURE_VARIANT_ADD(fexit, running_kill) { .faulting = false, .kill = true };
FIXTURE_VARIANT_ADD(fexit, faulting_exit) { .faulting = true, .kill = false };

TEST_F(fexit, fault_exit_stops_stream)
{
	uint64_t t0, t1;
	int p[2], st;
	pid_t pid;

	ASSERT_SYS(pipe(p));
	pid = tm_fork();
	if (!pid) {
		uint8_t *buf = variant->faulting ?
			tm_must_map(NS, PROT_READ | PROT_WRITE) :
			tm_must_map_pattern(NS, SEED_A);
		int f = tm_must_open();
		struct drm_test_mirror_ufence *uf = UFENCES(f, true);

		close(p[0]);
		tm_must_bind(f, buf, SZ(NS), RW);
		FSTREAM_W(f, buf, NS, VAL_A, LONG_MS, uf, SEQ_A);
		if (!variant->faulting)
			WAIT_WORDS(buf, SZ(NS), VAL_A, 2000);
		tm_send_byte(p[1]);
		if (variant->kill)
			pause();
		_exit(0);
	}
	close(p[1]);
	tm_wait_byte(p[0]);
	t0 = tm_now_ns();
	if (variant->kill)
		ASSERT_SYS(kill(pid, SIGKILL));
	st = tm_wait_bounded(pid, 1000, "exit with a fault-model STREAM running");
	t1 = tm_now_ns();
	if (variant->kill)
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	else
		tm_must_exit0(st, "child");
	tm_diag("%s with a fault-model STREAM %s: gone after %.3f ms",
		variant->kill ? "SIGKILL" : "exit",
		variant->faulting ? "faulting" : "running", MS(t1 - t0));
	ASSERT_LT(t1 - t0, BOUND_NS(1000));
	tm_must_round_trip(fd);
}
