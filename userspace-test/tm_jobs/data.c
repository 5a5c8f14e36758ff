// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: what each job does to memory, exactly, and what it counts:
 * COPY copies its source (2 pages counted per page copied), FILL stores
 * its value in every word, ATOMIC adds its value to every word the CPU
 * wrote (two ATOMICs add twice), a writing STREAM leaves its value in
 * every word and a reading one changes nothing; a STREAM runs for its
 * duration. Jobs of a file run in order (a job without an out-syncobj is
 * waited for through the next one); a job waits for its in-fence, from
 * its own file or, imported as a sync_file, from another; the error of a
 * failed in-fence is the job's, and the job does not run.
 */
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "tm_jobs.h"

TEST(copy_exact)
{
	uint8_t *src = tm_must_map_pattern(NJ, SEED_A);
	uint8_t *dst = tm_must_map_pattern(NJ, SEED_B);
	uint32_t out = tm_must_syncobj(fd);
	struct drm_test_mirror_stats st;

	tm_must_bind(fd, src, SZ(NJ), RO);
	tm_must_bind(fd, dst, SZ(NJ), RW);
	ASSERT_OK(job_submit(fd, JOB_COPY, src, dst, SZ(NJ), 0, 0, 0, out));
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	ASSERT_PATTERN(dst, SZ(NJ), SEED_A);
	ASSERT_PATTERN(src, SZ(NJ), SEED_A);
	EXPECT_JOBS(fd, 1, 1, 0);
	st = STATS(fd);
	ASSERT_EQ(st.job_pages, 2 * NJ);
	ASSERT_EQ(st.job_inval_waits, 0);
}

TEST(fill_exact)
{
	uint8_t *dst = tm_must_map_pattern(NJ + 2, SEED_B);
	uint32_t out = tm_must_syncobj(fd);

	tm_must_bind(fd, dst, SZ(NJ + 2), RW);
	/* pages 1 to NJ: the neighbours stay as they were */
	ASSERT_OK(job_submit(fd, JOB_FILL, NULL, PG(dst, 1), SZ(NJ), VAL_A, 0,
			     0, out));
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	ASSERT_WORDS(PG(dst, 1), SZ(NJ), VAL_A);
	EXPECT_PAT(dst, 0, SZ(1), SEED_B);
	EXPECT_PAT(PG(dst, NJ + 1), SZ(NJ + 1), SZ(1), SEED_B);
	EXPECT_JOBS(fd, 1, 1, 0);
	ASSERT_EQ(STATS(fd).job_pages, NJ);
}

/*
 * The CPU writes every word (word i: i * 0x10001), two ATOMICs add
 * VAL_ADD each: every word is then its own value plus twice VAL_ADD, which
 * neither a store nor a single add gives.
 */
TEST(atomic_adds_exact)
{
	uint64_t *w = tm_must_map(NJ, PROT_READ | PROT_WRITE);
	uint32_t out = tm_must_syncobj(fd);
	size_t i, nw = SZ(NJ) / 8;

	for (i = 0; i < nw; i++)
		w[i] = i * 0x10001;
	tm_must_bind(fd, w, SZ(NJ), RW);
	ASSERT_OK(job_submit(fd, JOB_ATOMIC, NULL, w, SZ(NJ), VAL_ADD, 0, 0, 0));
	ASSERT_OK(job_submit(fd, JOB_ATOMIC, NULL, w, SZ(NJ), VAL_ADD, 0, 0,
			     out));
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	for (i = 0; i < nw; i++)
		if (w[i] != i * 0x10001 + 2 * VAL_ADD)
			FAIL("word %zu is 0x%llx, expected 0x%llx", i,
			     (unsigned long long)w[i],
			     (unsigned long long)(i * 0x10001 + 2 * VAL_ADD));
	EXPECT_JOBS(fd, 2, 2, 0);
	ASSERT_EQ(STATS(fd).job_pages, 2 * NJ);
}

/*
 * A job with no out-syncobj still runs, before the file's next job: a
 * FILL without one, then a COPY of what it filled, waited for.
 */
TEST(jobs_of_a_file_run_in_order)
{
	uint8_t *a = tm_must_map_pattern(NJ, SEED_A);
	uint8_t *b = tm_must_map_pattern(NJ, SEED_B);
	uint32_t out = tm_must_syncobj(fd);

	tm_must_bind(fd, a, SZ(NJ), RW);
	tm_must_bind(fd, b, SZ(NJ), RW);
	ASSERT_OK(job_submit(fd, JOB_FILL, NULL, a, SZ(NJ), VAL_A, 0, 0, 0));
	ASSERT_OK(job_submit(fd, JOB_COPY, a, b, SZ(NJ), 0, 0, 0, out));
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	ASSERT_WORDS(b, SZ(NJ), VAL_A);
	ASSERT_WORDS(a, SZ(NJ), VAL_A);
	EXPECT_JOBS(fd, 2, 2, 0);
	ASSERT_EQ(STATS(fd).job_pages, NJ + 2 * NJ);
}

/*
 * A writing STREAM of 200 ms: its fence signals no earlier than 200 ms
 * after SUBMIT was called, status 1, every word holds its value, and the
 * engine counted every page at least once (once per pass).
 */
TEST(stream_write_runs_its_duration)
{
	uint8_t *dst = tm_must_map_pattern(NJ, SEED_B);
	uint64_t t0, t1;
	uint32_t out;

	tm_must_bind(fd, dst, SZ(NJ), RW);
	t0 = tm_now_ns();
	out = STREAM_W(fd, dst, NJ, VAL_B, 200);
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	t1 = tm_now_ns();
	tm_diag("a STREAM of 200 ms signalled %.1f ms after SUBMIT",
		MS(t1 - t0));
	ASSERT_GE(t1 - t0, 200ull * 1000000);
	ASSERT_WORDS(dst, SZ(NJ), VAL_B);
	EXPECT_JOBS(fd, 1, 1, 0);
	ASSERT_GE(STATS(fd).job_pages, NJ);
}

TEST(stream_read_changes_nothing)
{
	uint8_t *src = tm_must_map_pattern(NJ, SEED_A);
	uint64_t t0, t1;
	uint32_t out;

	tm_must_bind(fd, src, SZ(NJ), RO);
	t0 = tm_now_ns();
	out = STREAM_R(fd, src, NJ, 100);
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	t1 = tm_now_ns();
	ASSERT_GE(t1 - t0, 100ull * 1000000);
	ASSERT_PATTERN(src, SZ(NJ), SEED_A);
	EXPECT_JOBS(fd, 1, 1, 0);
	ASSERT_GE(STATS(fd).job_pages, NJ);
}

/*
 * Job B (COPY from A's range) waits for job A (a writing STREAM of 200 ms)
 * through its in-fence: A's out-syncobj itself (same file), or A's fence
 * exported as a sync_file and imported into a syncobj of B's file
 * (another file: there only the in-fence orders them). When B's fence
 * signals, A's has signalled (without the wait, B would be done some
 * 200 ms before A), and B copied A's value.
 */
FIXTURE(order) {};

FIXTURE_VARIANT(order) {
	bool other_file;
};

FIXTURE_VARIANT_ADD(order, same_file) { .other_file = false };
FIXTURE_VARIANT_ADD(order, other_file) { .other_file = true };

TEST_F(order, in_fence_orders_jobs)
{
	int fa = variant->other_file ? tm_must_open() : fd;
	uint8_t *a = tm_must_map_pattern(NJ, SEED_A);
	uint8_t *b = tm_must_map_pattern(NJ, SEED_B);
	uint32_t sa, in, out = tm_must_syncobj(fd);
	int sf;

	tm_must_bind(fa, a, SZ(NJ), RW);
	if (variant->other_file)
		tm_must_bind(fd, a, SZ(NJ), RO);
	tm_must_bind(fd, b, SZ(NJ), RW);
	sa = STREAM_W(fa, a, NJ, VAL_A, 200);
	sf = tm_fence_export(fa, sa);
	ASSERT_GE(sf, 0);
	if (variant->other_file) {
		in = tm_must_syncobj(fd);
		ASSERT_SYS(drmSyncobjImportSyncFile(fd, in, sf));
	} else {
		in = sa;
	}
	ASSERT_OK(job_submit(fd, JOB_COPY, a, b, SZ(NJ), 0, 0, in, out));
	ASSERT_EQ(FENCE(fd, out, 5000), 1);
	ASSERT_EQ(FENCE_FILE(sf, 1), 1);
	ASSERT_WORDS(b, SZ(NJ), VAL_A);
	EXPECT_JOBS(fd, variant->other_file ? 1 : 2,
		    variant->other_file ? 1 : 2, 0);
	close(sf);
}

/*
 * Job A on another file fails (-EFAULT: half its range unmapped while it
 * runs); job B, a FILL that waits for A's fence, gets A's error and does
 * not run: its range keeps the CPU's data, the engine counted no page of
 * B's file, which counts one failed job.
 */
TEST(failed_in_fence_fails_job)
{
	int fa = tm_must_open();
	uint8_t *a = tm_must_map_pattern(NJ, SEED_A);
	uint8_t *b = tm_must_map_pattern(NJ, SEED_B);
	uint32_t sa, in = tm_must_syncobj(fd), out = tm_must_syncobj(fd);
	int sf;

	tm_must_bind(fa, a, SZ(NJ), RW);
	tm_must_bind(fd, b, SZ(NJ), RW);
	sa = STREAM_W(fa, a, NJ, VAL_A, LONG_MS);
	sf = tm_fence_export(fa, sa);
	ASSERT_GE(sf, 0);
	ASSERT_SYS(drmSyncobjImportSyncFile(fd, in, sf));
	ASSERT_OK(job_submit(fd, JOB_FILL, NULL, b, SZ(NJ), VAL_B, 0, in, out));
	WAIT_WORDS(a, SZ(NJ), VAL_A, 2000);
	ASSERT_EQ(FENCE_NOW(fd, out), 0);
	ASSERT_OK(tm_unmap(PG(a, NJ / 2), NJ / 2));
	ASSERT_EQ(FENCE_FILE(sf, 1000), -EFAULT);
	ASSERT_EQ(FENCE(fd, out, 1000), -EFAULT);
	ASSERT_PATTERN(b, SZ(NJ), SEED_B);
	EXPECT_JOBS(fd, 1, 0, 1);
	ASSERT_EQ(STATS(fd).job_pages, 0);
	close(sf);
}
