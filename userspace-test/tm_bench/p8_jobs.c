// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P8 jobs. The device's engine (SUBMIT, drm_sched, syncobjs)
 * against the synchronous ioctl path, in one boot:
 *   - submit-to-signal latency of a one-page FILL job (SUBMIT to the end of
 *     drmSyncobjWait()), against one synchronous one-page WRITE ioctl;
 *   - jobs/s with up to 16 jobs in flight, against WRITE ioctls/s;
 *   - invalidation latency: munmap of one page of a mirrored 4 MiB range
 *     with the engine idle, with a STREAM job writing that range (the
 *     callback waits for the engine's access in flight), and with a STREAM
 *     busy on another range (nothing to wait for): p50 and p99.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "tm_bench.h"

#define P8_FILL_VALUE	0x5a5a5a5a5a5a5a5aULL
#define P8_RANGE	(4 * MiB)

/* Latency of one FILL job and of one WRITE ioctl, interleaved. */
static void p8_latency(int fd, char *p, unsigned int n)
{
	uint64_t *job = calloc(n, sizeof(*job)), *sync = calloc(n, sizeof(*sync));
	uint64_t t0, word = P8_FILL_VALUE;
	unsigned int i;
	uint32_t so;
	double jp50, sp50;

	if (!job || !sync || tm_syncobj_new(fd, false, &so)) {
		bench_err("P8 latency: no memory or no syncobj");
		goto out;
	}
	for (i = 0; i < n; i++) {
		t0 = tm_now_ns();
		if (job_submit(fd, TEST_MIRROR_JOB_FILL, NULL, p, PAGE_SZ,
			       P8_FILL_VALUE, 0, so) || job_wait(fd, so)) {
			bench_err("P8 latency: FILL job failed");
			break;
		}
		job[i] = tm_now_ns() - t0;
		t0 = tm_now_ns();
		if (tm_write(fd, p + PAGE_SZ, PAGE_SZ, win, NULL)) {
			bench_err("P8 latency: WRITE failed");
			break;
		}
		sync[i] = tm_now_ns() - t0;
	}
	if (memcmp(p, &word, sizeof(word)))
		bench_err("P8 latency: the FILL job's data is not there");
	jp50 = quant(job, i, 0.5);
	sp50 = quant(sync, i, 0.5);
	printf("# %-34s p50 %9.3f  p99 %9.3f ms\n", "submit-to-signal, 1-page FILL",
	       MS(jp50), MS(quant(job, i, 0.99)));
	printf("# %-34s p50 %9.3f  p99 %9.3f ms\n", "synchronous WRITE ioctl, 1 page",
	       MS(sp50), MS(quant(sync, i, 0.99)));
	metric("P8.submit_to_signal_p50_ms", MS(jp50), "ms", "none", -1, NULL);
	metric("P8.submit_to_signal_over_sync_write_p50", jp50 / sp50, "ratio",
	       "none", -1, "scheduler_and_fence_overhead");
	drmSyncobjDestroy(fd, so);
out:
	free(job);
	free(sync);
}

/* Jobs per second with up to 16 in flight, and WRITE ioctls per second. */
static void p8_throughput(int fd, char *p, unsigned int n)
{
	uint32_t so[TEST_MIRROR_JOBS_PER_FILE];
	unsigned int i, k = TEST_MIRROR_JOBS_PER_FILE;
	double jobs_s, sync_s;
	uint64_t t0, t1;

	for (i = 0; i < k; i++)
		if (tm_syncobj_new(fd, false, &so[i])) {
			bench_err("P8 throughput: no syncobj");
			return;
		}
	t0 = tm_now_ns();
	for (i = 0; i < n; i++) {
		/* the slot's previous job must be done: at most k in flight */
		if (i >= k && job_wait(fd, so[i % k]))
			break;
		if (job_submit(fd, TEST_MIRROR_JOB_FILL, NULL,
			       p + (i % k) * PAGE_SZ, PAGE_SZ, i, 0, so[i % k]))
			break;
	}
	for (k = 0; k < TEST_MIRROR_JOBS_PER_FILE && k < i; k++)
		job_wait(fd, so[k]);
	t1 = tm_now_ns();
	if (i < n)
		bench_err("P8 throughput: job %u failed", i);
	jobs_s = i / ((t1 - t0) / 1e9);
	t0 = tm_now_ns();
	for (i = 0; i < n; i++)
		if (tm_write(fd, p + (i % TEST_MIRROR_JOBS_PER_FILE) * PAGE_SZ,
			     PAGE_SZ, win, NULL))
			break;
	t1 = tm_now_ns();
	sync_s = i / ((t1 - t0) / 1e9);
	printf("# %-34s %10.0f /s\n", "1-page FILL jobs, 16 in flight", jobs_s);
	printf("# %-34s %10.0f /s\n", "synchronous 1-page WRITE ioctls", sync_s);
	metric("P8.jobs_per_s", jobs_s, "jobs/s", "none", -1, NULL);
	metric("P8.jobs_over_sync_writes", jobs_s / sync_s, "ratio", "none", -1,
	       NULL);
	for (i = 0; i < TEST_MIRROR_JOBS_PER_FILE; i++)
		drmSyncobjDestroy(fd, so[i]);
}

enum { INV_IDLE, INV_OVERLAP, INV_OTHER, NINV };
static const char *const inv_name[NINV] = { "engine idle",
	"STREAM writing the range", "STREAM on another range" };

/*
 * One munmap of the page at @off of a fresh mirrored range, the engine in
 * state @st; its time in ns (0 on error).
 */
static uint64_t p8_one_munmap(int fd, unsigned int st, unsigned long off,
			      uint32_t so, char *other)
{
	volatile uint64_t *w;
	uint64_t t0, t1;
	uint32_t h;
	char *p;

	p = map_populated(P8_RANGE, false);
	if (!p)
		return 0;
	h = dev_bind(fd, p, P8_RANGE, TEST_MIRROR_BIND_READ |
		     TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	w = (volatile uint64_t *)p;
	if (st == INV_OVERLAP) {
		*w = 0;
		if (job_submit(fd, TEST_MIRROR_JOB_STREAM, NULL, p, P8_RANGE,
			       P8_FILL_VALUE, 2000, so))
			bench_err("P8 invalidate: STREAM not submitted");
		/* running: its first page has been written */
		t0 = tm_now_ns();
		while (*w != P8_FILL_VALUE && tm_now_ns() - t0 < 2000000000ULL)
			;
	} else if (st == INV_OTHER) {
		w = (volatile uint64_t *)other;
		*w = 0;
		if (job_submit(fd, TEST_MIRROR_JOB_STREAM, NULL, other,
			       P8_RANGE, P8_FILL_VALUE, 2000, so))
			bench_err("P8 invalidate: STREAM not submitted");
		t0 = tm_now_ns();
		while (*w != P8_FILL_VALUE && tm_now_ns() - t0 < 2000000000ULL)
			;
	}
	t0 = tm_now_ns();
	munmap(p + off, PAGE_SZ);
	t1 = tm_now_ns();
	if (st == INV_OTHER) {
		/* stop it: unbinding its range ends it with -EFAULT */
		munmap(other, PAGE_SZ);
		other = NULL;
	}
	if (st != INV_IDLE)
		job_wait(fd, so);
	dev_unbind(fd, h);
	munmap(p, P8_RANGE);
	return t1 - t0;
}

static void p8_invalidate(int fd, unsigned int n)
{
	uint64_t *v[NINV];
	unsigned int i, s;
	double p50[NINV];
	uint32_t so, ho = 0;
	char nm[96];

	if (tm_syncobj_new(fd, false, &so)) {
		bench_err("P8 invalidate: no syncobj");
		return;
	}
	for (s = 0; s < NINV; s++)
		v[s] = calloc(n, sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		for (s = 0; s < NINV; s++) {
			unsigned int ss = (s + i) % NINV;
			char *other = NULL;

			if (ss == INV_OTHER) {
				other = map_populated(P8_RANGE, false);
				if (!other)
					break;
				ho = dev_bind(fd, other, P8_RANGE,
					      TEST_MIRROR_BIND_READ |
					      TEST_MIRROR_BIND_WRITE |
					      TEST_MIRROR_BIND_PREFAULT);
			}
			v[ss][i] = p8_one_munmap(fd, ss, (i * 37 % 1024) * PAGE_SZ,
						 so, other);
			if (other) {
				dev_unbind(fd, ho);
				munmap(other, P8_RANGE);
			}
		}
	}
	printf("# munmap of 1 page of a mirrored %lu MiB range:\n",
	       P8_RANGE / MiB);
	for (s = 0; s < NINV; s++) {
		p50[s] = quant(v[s], n, 0.5);
		printf("#   %-30s p50 %9.3f  p99 %9.3f ms\n", inv_name[s],
		       MS(p50[s]), MS(quant(v[s], n, 0.99)));
		snprintf(nm, sizeof(nm), "P8.munmap_page_p99_ms_%s",
			 s == INV_IDLE ? "idle" : s == INV_OVERLAP ? "overlap" :
			 "other");
		metric(nm, MS(quant(v[s], n, 0.99)), "ms", "none", -1, NULL);
		free(v[s]);
	}
	metric("P8.munmap_page_overlap_over_idle_p50", p50[INV_OVERLAP] / p50[INV_IDLE],
	       "ratio", "none", -1, "waits_for_the_engine_access_in_flight");
	metric("P8.munmap_page_other_over_idle_p50", p50[INV_OTHER] / p50[INV_IDLE],
	       "ratio", "none", -1, "engine_busy_elsewhere");
	drmSyncobjDestroy(fd, so);
}

void p8_jobs(void)
{
	unsigned int n = smoke ? 4 : 200;
	struct drm_test_mirror_stats st;
	uint32_t h;
	char *p;
	int fd;

	fd = open_fd(true, 512);
	if (fd < 0)
		return;
	printf("\n## P8 jobs: the engine against the synchronous ioctls\n");
	p = map_populated(TEST_MIRROR_JOBS_PER_FILE * 2 * PAGE_SZ, false);
	if (!p) {
		close(fd);
		return;
	}
	h = dev_bind(fd, p, TEST_MIRROR_JOBS_PER_FILE * 2 * PAGE_SZ,
		     TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE |
		     TEST_MIRROR_BIND_PREFAULT);
	p8_latency(fd, p, n);
	p8_throughput(fd, p, smoke ? 32 : 2000);
	dev_unbind(fd, h);
	munmap(p, TEST_MIRROR_JOBS_PER_FILE * 2 * PAGE_SZ);
	p8_invalidate(fd, smoke ? 2 : 50);
	st = stats(fd);
	printf("# engine: %llu jobs, %llu failed (the STREAMs the munmaps"
	       " ended), access_after_invalidate %llu\n",
	       (unsigned long long)st.jobs_submitted,
	       (unsigned long long)st.jobs_failed,
	       (unsigned long long)st.access_after_invalidate);
	if (st.access_after_invalidate)
		bench_err("P8: the engine used a page after its invalidation");
	close(fd);
}
