// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P9 fault-model jobs (TEST_MIRROR_SUBMIT_FAULTABLE), in one
 * boot:
 *   - device faults per second: a FILL, and a COPY, of 16 MiB of untouched
 *     bound memory (fresh each repetition), the fault handler resolving one
 *     page per fault (fault_batch_pages=1) against 16 and 512: faults/s,
 *     pages/s, and the ratio batched over one at a time; device_faults must
 *     be ceil(pages / batch) per range;
 *   - fault latency: a one-page FILL of an untouched page, SUBMIT to the
 *     return of WAIT_UFENCE, against the same on a page already valid (no
 *     fault): p50 and p99;
 *   - invalidation latency: munmap of one page of a mirrored 4 MiB range
 *     with the engine idle, with a pre-validated STREAM writing the range
 *     (P8's measure), and with a fault-model STREAM writing it, whose
 *     invalidation waits for the engine's TLB-flush acknowledgment; the
 *     same with two files (two mirrors of this process, a fault-model
 *     STREAM each), and, where the kernel's notifier has two passes
 *     (TEST_MIRROR_CAP_TWO_PASS), with module parameter two_pass=1 (flush
 *     issued in invalidate_start, waited for in invalidate_finish, so the
 *     two files' flushes overlap) against two_pass=0 (one pass); and the
 *     two files again with a slow engine (tlb_ack_delay_ms=P9_SLOW_MS), where
 *     one pass waits for each file's acknowledgment in turn;
 *   - what the event-aware policy saves while the device is busy: a
 *     reading fault-model STREAM on an aware file and one on a blind file,
 *     side by side on the same buffer, under write-protect events (fork,
 *     clear_refs, mprotect(PROT_READ) and back): TLB flushes, flushes
 *     avoided, and replays (device_faults) per event.
 * The module parameters changed (fault_batch_pages, two_pass,
 * tlb_ack_delay_ms, event_aware)
 * are put back after each part, and by main.c at exit whatever happens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "tm_bench.h"

#define P9_VALUE	0xa5a5a5a5a5a5a5a5ULL
#define P9_RANGE	(4 * MiB)
#define P9_WAIT_NS	(30LL * 1000000000LL)	/* past job_timeout_ms */
#define P9_SLOW_MS	2	/* a slow engine's TLB acknowledgment, ms */
#define P9_STR(x)	#x
#define P9_XSTR(x)	P9_STR(x)

static const unsigned int batch[] = { 1, 16, 512 };
#define NBATCH		(sizeof(batch) / sizeof(batch[0]))

static uint64_t orig_batch = 16, orig_two_pass = 1;
static bool have_two_pass;

static unsigned long div_up(unsigned long a, unsigned long b)
{
	return (a + b - 1) / b;
}

/* ------------------------------------------------------------------------ */
/* (1) device faults per second, one at a time against batched               */
/* ------------------------------------------------------------------------ */

enum { OP_FILL, OP_COPY, NOP };
static const char *const op_name[NOP] = { "fill", "copy" };

struct rate_out {
	uint64_t faults, batches, pages;
};

/*
 * One job of @op over @size bytes of fresh, untouched memory bound to
 * @u's file, the fault handler batching @b pages: its time in ns (0 on
 * error), the counters it moved in *o.
 */
static uint64_t p9_one_rate(struct ufences *u, unsigned int b, unsigned int op,
			    unsigned long size, struct rate_out *o)
{
	struct drm_test_mirror_stats s0, s1;
	unsigned long np = size / PAGE_SZ, i, want;
	uint32_t hd = 0, hs = 0;
	char *dst, *src = NULL;
	uint64_t t0, t1 = 0;
	int64_t seq;
	int r;

	if (param_set_u("fault_batch_pages", b))
		return 0;
	dst = map_buf(size, false);
	if (op == OP_COPY)
		src = map_buf(size, false);
	if (!dst || (op == OP_COPY && !src)) {
		bench_err("P9 rate: mmap: %s", strerror(errno));
		goto out;
	}
	hd = dev_bind(u->fd, dst, size, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE);
	if (src)
		hs = dev_bind(u->fd, src, size, TEST_MIRROR_BIND_READ);
	if (!hd || (src && !hs))
		goto out;
	s0 = stats(u->fd);
	t0 = tm_now_ns();
	seq = fault_submit(u, 0, op == OP_FILL ? TEST_MIRROR_JOB_FILL :
			   TEST_MIRROR_JOB_COPY, src, dst, size,
			   op == OP_FILL ? P9_VALUE : 0, 0);
	if (seq < 0) {
		bench_err("P9 rate: SUBMIT %s: %s", op_name[op],
			  tm_errname((int)seq));
		goto out;
	}
	r = fault_wait(u, 0, seq, P9_WAIT_NS);
	t1 = tm_now_ns() - t0;
	s1 = stats(u->fd);
	if (r) {
		bench_err("P9 rate: %s job, batch %u: %s", op_name[op], b,
			  tm_errname(r));
		t1 = 0;
		goto out;
	}
	o->faults = s1.device_faults - s0.device_faults;
	o->batches = s1.fault_batches - s0.fault_batches;
	o->pages = s1.fault_pages - s0.fault_pages;
	want = div_up(np, b) * (op == OP_COPY ? 2 : 1);
	if (o->faults != want || o->batches != want ||
	    o->pages != np * (op == OP_COPY ? 2 : 1)) {
		bench_err("P9 rate: %s of %lu untouched pages, batch %u: device_faults %llu, fault_batches %llu, fault_pages %llu; expected %lu, %lu, %lu",
			  op_name[op], np, b, (unsigned long long)o->faults,
			  (unsigned long long)o->batches,
			  (unsigned long long)o->pages, want, want,
			  np * (op == OP_COPY ? 2 : 1));
	}
	for (i = 0; i < np; i++)
		if (*(uint64_t *)(dst + i * PAGE_SZ) !=
		    (op == OP_FILL ? P9_VALUE : 0)) {
			bench_err("P9 rate: %s: page %lu does not hold the job's data",
				  op_name[op], i);
			break;
		}
out:
	dev_unbind(u->fd, hs);
	dev_unbind(u->fd, hd);
	if (src)
		munmap(src, size);
	if (dst)
		munmap(dst, size);
	return t1;
}

static void p9_rate(void)
{
	unsigned long size = smoke ? 1 * MiB : 16 * MiB;
	unsigned int reps = reps_for(size), r, k, kk, o;
	struct rate_out ro[NOP][NBATCH];
	struct smp t[NOP][NBATCH];
	struct ufences u[NBATCH];
	double pps[NOP][NBATCH];
	int fd[NBATCH];
	char nm[96];

	memset(t, 0, sizeof(t));
	memset(ro, 0, sizeof(ro));
	memset(u, 0, sizeof(u));
	for (k = 0; k < NBATCH; k++)
		fd[k] = -1;
	printf("# (1) device faults per second: a job over %lu MiB of untouched bound memory\n"
	       "#     (fresh each time), fault_batch_pages = 1, 16, 512; SUBMIT to WAIT_UFENCE\n",
	       size / MiB);
	/* a file per batch size, opened with it (whether read at open or at each fault) */
	for (k = 0; k < NBATCH; k++) {
		if (param_set_u("fault_batch_pages", batch[k]))
			goto out;
		fd[k] = open_fd(true, 512);
		if (fd[k] < 0 || uf_setup(&u[k], fd[k]))
			goto out;
	}
	for (r = 0; r < reps; r++)
		for (o = 0; o < NOP; o++)
			for (kk = 0; kk < NBATCH; kk++) {
				uint64_t v;

				k = (kk + r) % NBATCH;
				v = p9_one_rate(&u[k], batch[k], o, size, &ro[o][k]);
				if (!v)
					goto out;
				smp_add(&t[o][k], v);
			}
	printf("# %-5s %6s %9s %9s %9s %10s %12s %12s %8s\n", "job", "batch",
	       "faults", "batches", "pages", "ms", "faults/s", "pages/s", "vs b=1");
	for (o = 0; o < NOP; o++) {
		for (k = 0; k < NBATCH; k++) {
			double s = med(&t[o][k]) / 1e9;
			double fps = ro[o][k].faults / s;

			pps[o][k] = ro[o][k].pages / s;
			printf("# %-5s %6u %9llu %9llu %9llu %10.3f %12.0f %12.0f %8.2f\n",
			       op_name[o], batch[k],
			       (unsigned long long)ro[o][k].faults,
			       (unsigned long long)ro[o][k].batches,
			       (unsigned long long)ro[o][k].pages, s * 1e3, fps,
			       pps[o][k], pps[o][k] / pps[o][0]);
			snprintf(nm, sizeof(nm), "P9.%s_faults_per_s_b%u",
				 op_name[o], batch[k]);
			metric(nm, fps, "faults/s", "none", -1, NULL);
			snprintf(nm, sizeof(nm), "P9.%s_pages_per_s_b%u",
				 op_name[o], batch[k]);
			metric(nm, pps[o][k], "pages/s", "none", -1, NULL);
			snprintf(nm, sizeof(nm), "p9.%s.pages_per_s", op_name[o]);
			series(nm, batch[k], "batch", pps[o][k], "pages/s");
			if (!k)
				continue;
			snprintf(nm, sizeof(nm), "P9.%s_pages_per_s_b%u_over_b1",
				 op_name[o], batch[k]);
			metric(nm, pps[o][k] / pps[o][0], "ratio", "none", -1,
			       "batched_over_one_at_a_time");
		}
	}
out:
	for (k = 0; k < NBATCH; k++) {
		uf_done(&u[k]);
		if (fd[k] >= 0)
			close(fd[k]);
	}
	param_set_u("fault_batch_pages", orig_batch);
}

/* ------------------------------------------------------------------------ */
/* (2) fault latency                                                         */
/* ------------------------------------------------------------------------ */

/* One one-page FILL at @p, SUBMIT to WAIT_UFENCE: ns, 0 on error. */
static uint64_t p9_one_fill(struct ufences *u, char *p)
{
	uint64_t t0 = tm_now_ns();
	int64_t seq;
	int r;

	seq = fault_submit(u, 0, TEST_MIRROR_JOB_FILL, NULL, p, PAGE_SZ,
			   P9_VALUE, 0);
	if (seq < 0) {
		bench_err("P9 latency: SUBMIT: %s", tm_errname((int)seq));
		return 0;
	}
	r = fault_wait(u, 0, seq, P9_WAIT_NS);
	if (r) {
		bench_err("P9 latency: FILL job: %s", tm_errname(r));
		return 0;
	}
	return tm_now_ns() - t0;
}

static void p9_latency(void)
{
	unsigned int n = smoke ? 4 : 200, i;
	struct drm_test_mirror_stats s0, s1;
	uint64_t *cold = calloc(n, sizeof(uint64_t));
	uint64_t *warm = calloc(n, sizeof(uint64_t));
	uint32_t hc = 0, hw = 0;
	char *pc = NULL, *pw = NULL;
	double c50, w50;
	struct ufences u;
	int fd;

	memset(&u, 0, sizeof(u));
	printf("# (2) fault latency: a 1-page FILL, SUBMIT to the return of WAIT_UFENCE\n"
	       "#     (fault_batch_pages=1: no fault makes the next untouched page valid)\n");
	if (param_set_u("fault_batch_pages", 1))
		return;
	fd = open_fd(true, 512);
	if (fd < 0 || !cold || !warm || uf_setup(&u, fd))
		goto out;
	/* n untouched pages, bound; one page bound and made valid */
	pc = map_buf(n * PAGE_SZ, false);
	pw = map_populated(PAGE_SZ, false);
	if (!pc || !pw) {
		bench_err("P9 latency: mmap");
		goto out;
	}
	hc = dev_bind(fd, pc, n * PAGE_SZ, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE);
	hw = dev_bind(fd, pw, PAGE_SZ, TEST_MIRROR_BIND_READ |
		      TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	if (!hc || !hw)
		goto out;
	s0 = stats(fd);
	for (i = 0; i < n; i++) {
		cold[i] = p9_one_fill(&u, pc + i * PAGE_SZ);
		warm[i] = p9_one_fill(&u, pw);
		if (!cold[i] || !warm[i])
			goto out;
	}
	s1 = stats(fd);
	if (s1.device_faults - s0.device_faults != n)
		bench_err("P9 latency: %u FILLs of an untouched page and %u of a valid one took %llu device faults, expected %u",
			  n, n, (unsigned long long)(s1.device_faults -
						     s0.device_faults), n);
	for (i = 0; i < n; i++)
		if (*(uint64_t *)(pc + i * PAGE_SZ) != P9_VALUE) {
			bench_err("P9 latency: page %u does not hold the FILL's value",
				  i);
			break;
		}
	c50 = quant(cold, n, 0.5);
	w50 = quant(warm, n, 0.5);
	printf("# %-34s p50 %9.3f  p99 %9.3f ms\n", "untouched page (1 device fault)",
	       MS(c50), MS(quant(cold, n, 0.99)));
	printf("# %-34s p50 %9.3f  p99 %9.3f ms\n", "valid page (no fault)",
	       MS(w50), MS(quant(warm, n, 0.99)));
	metric("P9.fault_latency_p50_ms", MS(c50), "ms", "none", -1, NULL);
	metric("P9.fault_latency_p99_ms", MS(quant(cold, n, 0.99)), "ms", "none",
	       -1, NULL);
	metric("P9.nofault_latency_p50_ms", MS(w50), "ms", "none", -1, NULL);
	metric("P9.nofault_latency_p99_ms", MS(quant(warm, n, 0.99)), "ms",
	       "none", -1, NULL);
	metric("P9.fault_over_nofault_latency_p50", c50 / w50, "ratio", "none",
	       -1, "fault_queue_handler_and_replay");
out:
	dev_unbind(fd, hc);
	dev_unbind(fd, hw);
	if (pc)
		munmap(pc, n * PAGE_SZ);
	if (pw)
		munmap(pw, PAGE_SZ);
	uf_done(&u);
	if (fd >= 0)
		close(fd);
	free(cold);
	free(warm);
	param_set_u("fault_batch_pages", orig_batch);
}

/* ------------------------------------------------------------------------ */
/* (3) invalidation latency with the engine busy                             */
/* ------------------------------------------------------------------------ */

enum { J_NONE, J_PREVALIDATED, J_FAULT };

struct inv_case {
	const char *name;
	const char *tag;
	unsigned int nf;	/* files mirroring the range */
	unsigned int job;	/* J_*: what writes the range */
	int two_pass;		/* two_pass=1/0 (TWO_PASS only), -1 as loaded */
	unsigned int ack_ms;	/* tlb_ack_delay_ms */
};

static const struct inv_case inv_cases[] = {
	{ "engine idle", "idle", 1, J_NONE, -1, 0 },
	{ "pre-validated STREAM", "prevalidated", 1, J_PREVALIDATED, -1, 0 },
	{ "fault STREAM", "fault", 1, J_FAULT, 1, 0 },
	{ "fault STREAM, one pass", "fault_one_pass", 1, J_FAULT, 0, 0 },
	{ "2 files, fault STREAMs", "fault_2files", 2, J_FAULT, 1, 0 },
	{ "2 files, fault STREAMs, one pass", "fault_2files_one_pass", 2, J_FAULT, 0, 0 },
	{ "2 files, slow engine", "fault_2files_slow", 2, J_FAULT, 1, P9_SLOW_MS },
	{ "2 files, slow engine, one pass", "fault_2files_slow_one_pass", 2,
	  J_FAULT, 0, P9_SLOW_MS },
};
#define NINV	(sizeof(inv_cases) / sizeof(inv_cases[0]))

/* The files of (3): [two_pass][file], and their fences. */
struct inv_files {
	int fd[2][2];
	struct ufences u[2][2];
	uint32_t so;		/* the pre-validated STREAM's syncobj */
	uint64_t flushes[NINV], avoided[NINV], not_started[NINV];
};

static bool inv_case_runs(const struct inv_case *c)
{
	return c->two_pass || (caps & TEST_MIRROR_CAP_TWO_PASS);
}

/*
 * Wait (at most 2 s) until the CPU has seen, in the range's first word, the
 * value of every file's STREAM (file f writes P9_VALUE ^ f): each has
 * started. False if one was not seen.
 */
static bool streams_started(volatile uint64_t *w, unsigned int nf)
{
	uint64_t t0 = tm_now_ns(), v;
	unsigned int seen = 0, all = (1u << nf) - 1;

	while (seen != all && tm_now_ns() - t0 < 2000000000ULL) {
		v = *w ^ P9_VALUE;
		if (v < nf)
			seen |= 1u << v;
	}
	return seen == all;
}

/*
 * One munmap of the page at @off of a fresh mirrored range, in case @ci:
 * its time in ns (0 on error).
 */
static uint64_t p9_one_munmap(struct inv_files *fs, unsigned int ci,
			      unsigned long off)
{
	const struct inv_case *c = &inv_cases[ci];
	unsigned int tp = c->two_pass ? 1 : 0, f;
	struct drm_test_mirror_stats s0[2], s1[2];
	int64_t seq[2] = { 0, 0 };
	uint64_t t0, t1 = 0;
	uint32_t h[2] = { 0, 0 };
	char *p;
	int r;

	/* as the case wants it, or as loaded (whenever the module reads it) */
	if ((caps & TEST_MIRROR_CAP_TWO_PASS) &&
	    param_set_u("two_pass", c->two_pass >= 0 ? (unsigned long)c->two_pass :
			orig_two_pass))
		return 0;
	if (param_set_u("tlb_ack_delay_ms", c->ack_ms))
		return 0;
	p = map_populated(P9_RANGE, false);
	if (!p)
		return 0;
	for (f = 0; f < c->nf; f++) {
		h[f] = dev_bind(fs->fd[tp][f], p, P9_RANGE, TEST_MIRROR_BIND_READ |
				TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
		if (!h[f])
			goto out;
	}
	*(volatile uint64_t *)p = 0;
	if (c->job == J_PREVALIDATED) {
		if (job_submit(fs->fd[tp][0], TEST_MIRROR_JOB_STREAM, NULL, p,
			       P9_RANGE, P9_VALUE, 5000, fs->so)) {
			bench_err("P9 invalidate: STREAM not submitted");
			goto out;
		}
	} else if (c->job == J_FAULT) {
		for (f = 0; f < c->nf; f++) {
			seq[f] = fault_submit(&fs->u[tp][f], 1,
					      TEST_MIRROR_JOB_STREAM, NULL, p,
					      P9_RANGE, P9_VALUE ^ f, 5000);
			if (seq[f] < 0) {
				bench_err("P9 invalidate: fault STREAM not submitted: %s",
					  tm_errname((int)seq[f]));
				seq[f] = 0;
				goto out;
			}
		}
	}
	if (c->job != J_NONE &&
	    !streams_started((volatile uint64_t *)p, c->nf))
		fs->not_started[ci]++;
	for (f = 0; f < c->nf; f++)
		s0[f] = stats(fs->fd[tp][f]);
	t0 = tm_now_ns();
	munmap(p + off, PAGE_SZ);
	t1 = tm_now_ns() - t0;
	for (f = 0; f < c->nf; f++) {
		s1[f] = stats(fs->fd[tp][f]);
		fs->flushes[ci] += s1[f].tlb_flushes - s0[f].tlb_flushes;
		fs->avoided[ci] += s1[f].tlb_flushes_avoided -
				   s0[f].tlb_flushes_avoided;
	}
	if (c->job == J_PREVALIDATED)
		job_wait(fs->fd[tp][0], fs->so);
out:
	/* a fault STREAM that lost a page ends with -EFAULT in its fence */
	for (f = 0; f < c->nf; f++) {
		if (!seq[f])
			continue;
		r = fault_wait(&fs->u[tp][f], 1, seq[f], P9_WAIT_NS);
		if (t1 && r != -EFAULT) {
			bench_err("P9 invalidate: %s: the STREAM of file %u ended with %s, expected -EFAULT",
				  c->name, f, tm_errname(r));
			t1 = 0;
		}
	}
	for (f = 0; f < c->nf; f++)
		dev_unbind(fs->fd[tp][f], h[f]);
	munmap(p, P9_RANGE);
	return t1;
}

static void p9_invalidate(void)
{
	unsigned int n = smoke ? 2 : 40, i, s, tp, f;
	bool cap = caps & TEST_MIRROR_CAP_TWO_PASS;
	uint64_t *v[NINV];
	double p50[NINV] = { 0 };
	struct inv_files fs;
	char nm[96];

	memset(&fs, 0, sizeof(fs));
	memset(v, 0, sizeof(v));
	for (tp = 0; tp < 2; tp++)
		for (f = 0; f < 2; f++)
			fs.fd[tp][f] = -1;
	printf("# (3) munmap of 1 page of a mirrored %lu MiB range; kernel notifier: %s\n"
	       "#     (the VMA split raises CLEAR on the 2 MiB around the page first,\n"
	       "#     split_huge_pmd_address() whether the PMD is huge or not: that one removes\n"
	       "#     the entries and takes the TLB flush; the UNMAP after it finds nothing)\n",
	       P9_RANGE / MiB, cap ? "two passes (TEST_MIRROR_CAP_TWO_PASS)" :
	       "one pass");
	/* files opened with two_pass as each case wants it (whenever it is read) */
	for (tp = 0; tp < 2; tp++) {
		if (!tp && !cap)
			continue;
		if (cap && param_set_u("two_pass", tp))
			goto out;
		for (f = 0; f < 2; f++) {
			fs.fd[tp][f] = open_fd(true, 512);
			if (fs.fd[tp][f] < 0 ||
			    uf_setup(&fs.u[tp][f], fs.fd[tp][f]))
				goto out;
		}
	}
	if (tm_syncobj_new(fs.fd[1][0], false, &fs.so)) {
		bench_err("P9 invalidate: no syncobj");
		goto out;
	}
	for (s = 0; s < NINV; s++) {
		v[s] = calloc(n, sizeof(uint64_t));
		if (!v[s]) {
			bench_err("P9 invalidate: no memory");
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		for (s = 0; s < NINV; s++) {
			unsigned int ss = (s + i) % NINV;

			if (!inv_case_runs(&inv_cases[ss]))
				continue;
			v[ss][i] = p9_one_munmap(&fs, ss,
						 (i * 37 % (P9_RANGE / PAGE_SZ)) *
						 PAGE_SZ);
			if (!v[ss][i])
				goto out;
		}
	for (s = 0; s < NINV; s++) {
		const struct inv_case *c = &inv_cases[s];
		double per = (double)n * c->nf;

		if (!inv_case_runs(c))
			continue;
		p50[s] = quant(v[s], n, 0.5);
		printf("#   %-34s p50 %9.3f  p99 %9.3f ms", c->name, MS(p50[s]),
		       MS(quant(v[s], n, 0.99)));
		if (c->job == J_FAULT)
			printf("  tlb_flushes %.2f, avoided %.2f per munmap and file",
			       fs.flushes[s] / per, fs.avoided[s] / per);
		if (fs.not_started[s])
			printf("  (%llu times a STREAM was not seen starting)",
			       (unsigned long long)fs.not_started[s]);
		printf("\n");
		snprintf(nm, sizeof(nm), "P9.munmap_page_p50_ms_%s", c->tag);
		metric(nm, MS(p50[s]), "ms", "none", -1, NULL);
		snprintf(nm, sizeof(nm), "P9.munmap_page_p99_ms_%s", c->tag);
		metric(nm, MS(quant(v[s], n, 0.99)), "ms", "none", -1, NULL);
		if (c->job == J_FAULT) {
			snprintf(nm, sizeof(nm), "P9.tlb_flushes_per_munmap_%s",
				 c->tag);
			metric(nm, fs.flushes[s] / per, "flushes", "1",
			       fs.flushes[s] == n * c->nf,
			       "per_file:_entries_removed_while_a_fault_job_runs");
		}
	}
	/*
	 * indices: 0 idle, 1 pre-validated, 2 fault, 3 one pass, 4 two files,
	 * 5 one pass, 6 two files with a slow engine, 7 one pass
	 */
	metric("P9.munmap_page_fault_over_idle_p50", p50[2] / p50[0], "ratio",
	       "none", -1, "waits_for_the_TLB_flush_acknowledgment");
	metric("P9.munmap_page_fault_over_prevalidated_p50", p50[2] / p50[1],
	       "ratio", "none", -1, NULL);
	metric("P9.munmap_page_2files_over_1file_p50", p50[4] / p50[2], "ratio",
	       "none", -1, cap ? "two_pass=1" : "one_pass");
	if (cap) {
		metric("P9.munmap_page_one_pass_over_two_pass_p50", p50[3] / p50[2],
		       "ratio", "none", -1, "one_file");
		metric("P9.munmap_page_2files_one_pass_over_two_pass_p50",
		       p50[5] / p50[4], "ratio", "none", -1,
		       "two_files:_their_flushes_overlap_with_two_passes");
		metric("P9.munmap_page_2files_slow_one_pass_over_two_pass_p50",
		       p50[7] / p50[6], "ratio", "none", -1,
		       "two_files,_each_acknowledgment_" P9_XSTR(P9_SLOW_MS) "_ms");
	}
out:
	param_set_u("tlb_ack_delay_ms", 0);
	if (cap)
		param_set_u("two_pass", orig_two_pass);
	if (fs.so)
		drmSyncobjDestroy(fs.fd[1][0], fs.so);
	for (tp = 0; tp < 2; tp++)
		for (f = 0; f < 2; f++) {
			uf_done(&fs.u[tp][f]);
			if (fs.fd[tp][f] >= 0)
				close(fs.fd[tp][f]);
		}
	for (s = 0; s < NINV; s++)
		free(v[s]);
}

/* ------------------------------------------------------------------------ */
/* (4) the event-aware policy with the device busy                           */
/* ------------------------------------------------------------------------ */

static void p9_policy(void)
{
	unsigned long size = smoke ? 1 * MiB : P9_RANGE;
	unsigned int iters = smoke ? 2 : 6, e, it, m;
	uint32_t ms = smoke ? 3000 : 5000;
	struct drm_test_mirror_stats s0[2], s1[2];
	static const char *const pol[2] = { "aware", "blind" };
	double fl[2], av[2], rp[2], pg[2];
	struct ufences u[2];
	uint32_t h[2] = { 0, 0 };
	int fd[2] = { -1, -1 };
	int64_t seq[2];
	char nm[96];
	char *p;
	int r;

	memset(u, 0, sizeof(u));
	printf("# (4) a reading fault STREAM over a %lu MiB buffer on an event-aware and on an\n"
	       "#     event-blind file side by side, %u write-protect events each while they run;\n"
	       "#     per event and file: TLB flushes, flushes avoided, replays (device_faults),\n"
	       "#     pages faulted again (fork and clear_refs also raise an invalidation of the\n"
	       "#     fences' page, which has no entry: one more avoided each). caps VMA_DOWNGRADE=%d\n"
	       "#     (mprotect keeps read-only entries only if 1)\n", size / MiB, iters,
	       !!(caps & TEST_MIRROR_CAP_VMA_DOWNGRADE));
	p = map_populated(size, false);
	if (!p)
		return;
	for (m = 0; m < 2; m++) {
		fd[m] = open_fd(!m, 512);
		if (fd[m] < 0 || uf_setup(&u[m], fd[m]))
			goto out;
		h[m] = dev_bind(fd[m], p, size, TEST_MIRROR_BIND_READ |
				TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
		if (!h[m])
			goto out;
	}
	printf("# %-10s %-6s %9s %9s %9s %9s\n", "event", "policy", "flushes",
	       "avoided", "replays", "pages");
	for (e = 0; e < NEV; e++) {
		for (m = 0; m < 2; m++) {
			/*
			 * The fences' pages without an entry (the device
			 * faults them in at the end): fork and clear_refs
			 * find nothing there to remove, in either policy.
			 */
			madvise(u[m].uf, PAGE_SZ, MADV_DONTNEED);
			seq[m] = fault_submit(&u[m], 0, TEST_MIRROR_JOB_STREAM, p,
					      NULL, size, 0, ms);
			if (seq[m] < 0) {
				bench_err("P9 policy: reading STREAM: %s",
					  tm_errname((int)seq[m]));
				goto out;
			}
		}
		usleep(100000);
		for (m = 0; m < 2; m++)
			s0[m] = stats(fd[m]);
		for (it = 0; it < iters; it++) {
			r = do_event(e, p, size);
			if (r) {
				bench_err("P9 policy: event %s: %s", ev_name[e],
					  tm_errname(r));
				break;
			}
			/* let the STREAMs go over the buffer again */
			usleep(100000);
		}
		for (m = 0; m < 2; m++) {
			s1[m] = stats(fd[m]);
			if (fault_ended(&u[m], 0, seq[m]))
				bench_err("P9 policy: %s: the %s file's STREAM ended before the events did; the counts miss some",
					  ev_name[e], pol[m]);
		}
		for (m = 0; m < 2; m++) {
			r = fault_wait(&u[m], 0, seq[m], P9_WAIT_NS);
			if (r)
				bench_err("P9 policy: %s: the %s file's reading STREAM ended with %s, expected 0",
					  ev_name[e], pol[m], tm_errname(r));
			fl[m] = (double)(s1[m].tlb_flushes - s0[m].tlb_flushes) / iters;
			av[m] = (double)(s1[m].tlb_flushes_avoided -
					 s0[m].tlb_flushes_avoided) / iters;
			rp[m] = (double)(s1[m].device_faults - s0[m].device_faults) /
				iters;
			pg[m] = (double)(s1[m].fault_pages - s0[m].fault_pages) / iters;
			printf("# %-10s %-6s %9.2f %9.2f %9.2f %9.1f\n", ev_name[e],
			       pol[m], fl[m], av[m], rp[m], pg[m]);
			snprintf(nm, sizeof(nm), "P9.%s_%s_tlb_flushes_per_event",
				 ev_name[e], pol[m]);
			metric(nm, fl[m], "flushes", "none", -1, NULL);
			snprintf(nm, sizeof(nm), "P9.%s_%s_tlb_flushes_avoided_per_event",
				 ev_name[e], pol[m]);
			metric(nm, av[m], "flushes", "none", -1, NULL);
			snprintf(nm, sizeof(nm), "P9.%s_%s_replays_per_event",
				 ev_name[e], pol[m]);
			metric(nm, rp[m], "faults", "none", -1, NULL);
		}
		snprintf(nm, sizeof(nm), "P9.%s_replays_saved_per_event", ev_name[e]);
		metric(nm, rp[1] - rp[0], "faults", "none", -1,
		       e == EV_MPROTECT && !(caps & TEST_MIRROR_CAP_VMA_DOWNGRADE) ?
		       "this_kernel_cannot_tell_the_new_VMA_access(no_VMA_DOWNGRADE)" :
		       "blind_minus_aware");
		snprintf(nm, sizeof(nm), "P9.%s_tlb_flushes_saved_per_event",
			 ev_name[e]);
		metric(nm, fl[1] - fl[0], "flushes", "none", -1,
		       "blind_minus_aware");
		fflush(stdout);
	}
out:
	for (m = 0; m < 2; m++) {
		if (fd[m] < 0)
			continue;
		dev_unbind(fd[m], h[m]);
		uf_done(&u[m]);
		close(fd[m]);
	}
	munmap(p, size);
}

void p9_faults(void)
{
	if (tm_param_get("fault_batch_pages", &orig_batch)) {
		bench_err("P9: no module parameter fault_batch_pages: this module has no fault model");
		return;
	}
	have_two_pass = !tm_param_get("two_pass", &orig_two_pass);
	if ((caps & TEST_MIRROR_CAP_TWO_PASS) && !have_two_pass) {
		bench_err("P9: TEST_MIRROR_CAP_TWO_PASS but no module parameter two_pass");
		return;
	}
	printf("\n## P9 fault-model jobs: device faults, replays, TLB-flush acknowledgments\n");
	printf("# module: fault_batch_pages=%llu two_pass=%s\n",
	       (unsigned long long)orig_batch,
	       have_two_pass ? (orig_two_pass ? "1" : "0") : "n/a");
	p9_rate();
	p9_latency();
	p9_invalidate();
	p9_policy();
}
