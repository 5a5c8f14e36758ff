// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: jobs (SUBMIT). Random fields, bad ones included: op, flags,
 * pad, reserved, the fields an op does not use, sizes and addresses of the
 * edge classes, durations out of range, syncobj handles that name nothing
 * or a syncobj without a fence. The prediction follows the uAPI header:
 * -EINVAL for the arguments (-E2BIG for a size over the maximum; both
 * allowed where both apply, the header gives no order), -ENOENT for an
 * out-syncobj that names nothing (with or before the argument errors: the
 * header gives no order either), then -ENOENT for a range outside one
 * binding or a bad in-syncobj, -EPERM for a destination in a
 * read-only binding or that the CPU maps read-only, -EFAULT for a page
 * that cannot be faulted (the walk of cpu_reason(), as READ/WRITE) or
 * whose tracking munmap dropped; where several
 * apply, any of them. A job that was queued is waited for (its STREAM
 * lasts a few ms): its fence must carry status 1, and the shadow then
 * takes what it wrote, which the periodic comparison of the arena checks.
 * STATS must count exactly the jobs queued, all completed, none failed,
 * no access after an invalidation, no invalidation that waited (no job
 * runs while the CPU changes the arena), and the pages: exactly where no
 * STREAM ran since the last reset, else at least.
 */
#include "tm_fuzz.h"

uint64_t cnt_job, cnt_job_ok, cnt_job_pages;


/* After drm_setup(): the syncobjs of both files, the same handles in each. */
void jobs_setup(void)
{
	int f;

	for (f = 0; f < 2; f++) {
		mf[f].sobj_out = tm_must_syncobj(mf[f].fd);
		mf[f].sobj_done = tm_must_syncobj_at(mf[f].fd, true, __FILE__,
						     __LINE__);
		mf[f].sobj_empty = tm_must_syncobj(mf[f].fd);
		jobs_reset_model(&mf[f]);
	}
	if (mf[0].sobj_out != mf[1].sobj_out ||
	    mf[0].sobj_done != mf[1].sobj_done ||
	    mf[0].sobj_empty != mf[1].sobj_empty)
		FAIL("the syncobjs of the two files have different handles");
}

void jobs_reset_model(struct mfile *m)
{
	m->jobs = 0;
	m->job_pages = 0;
	m->job_pages_exact = true;
}

static bool live_sobj(const struct mfile *m, uint32_t h)
{
	return h && (h == m->sobj_out || h == m->sobj_done ||
		     h == m->sobj_empty);
}

/* An in-syncobj that names no syncobj, or one without a fence. */
static bool bad_in(const struct mfile *m, uint32_t h)
{
	return h && (!live_sobj(m, h) || h == m->sobj_empty ||
		     (h == m->sobj_out && !m->out_fenced));
}

void check_job_stats(struct mfile *m, const struct drm_test_mirror_stats *s)
{
	if (s->jobs_submitted != m->jobs || s->jobs_completed != m->jobs ||
	    s->jobs_failed || s->access_after_invalidate ||
	    s->job_inval_waits ||
	    (m->job_pages_exact ? s->job_pages != m->job_pages :
				  s->job_pages < m->job_pages))
		FAIL("STATS: jobs %llu/%llu/%llu, pages %llu, inval_waits %llu, access_after_invalidate %llu; the model: %llu queued and completed, %s%llu pages",
		     (unsigned long long)s->jobs_submitted,
		     (unsigned long long)s->jobs_completed,
		     (unsigned long long)s->jobs_failed,
		     (unsigned long long)s->job_pages,
		     (unsigned long long)s->job_inval_waits,
		     (unsigned long long)s->access_after_invalidate,
		     (unsigned long long)m->jobs,
		     m->job_pages_exact ? "" : "at least ",
		     (unsigned long long)m->job_pages);
}

/*
 * What the arguments alone give: true if they fail (the errnos are in p),
 * false if they pass. The header's rules: unknown op, flags, pad,
 * reserved, a field the op does not use that is not 0, misaligned, empty
 * or overlapping ranges, ranges beyond user space, the duration: -EINVAL;
 * a size over TEST_MIRROR_JOB_MAX_SIZE: -E2BIG. A range an op uses left
 * at 0 (address 0) is -EINVAL or -ENOENT: the header does not say.
 */
static bool predict_args(const struct drm_test_mirror_submit *e,
			 struct pred *p)
{
	bool inval = false, big = false, zero = false;
	uint32_t op = e->op;

	if (op > TEST_MIRROR_JOB_STREAM || e->flags || e->pad ||
	    e->ufence_addr || e->ufence_value) {
		allow(p, -EINVAL);
		return true;
	}
	if (!e->size || (e->size & (PAGE_SZ - 1)))
		inval = true;
	else if (e->size > TEST_MIRROR_JOB_MAX_SIZE)
		big = true;
	if (op == TEST_MIRROR_JOB_STREAM)
		inval |= !e->duration_ms ||
			 e->duration_ms > TEST_MIRROR_JOB_MAX_MS;
	else
		inval |= e->duration_ms != 0;
	switch (op) {
	case TEST_MIRROR_JOB_COPY:
		inval |= e->value != 0;
		zero = !e->src || !e->dst;
		if (e->src < e->dst + e->size && e->dst < e->src + e->size)
			inval = true;
		break;
	case TEST_MIRROR_JOB_FILL:
	case TEST_MIRROR_JOB_ATOMIC:
		inval |= e->src != 0;
		zero = !e->dst;
		break;
	default:
		inval |= (e->src && e->dst) || (e->src && e->value);
		zero = !e->src && !e->dst;
		break;
	}
	if (e->src && ((e->src & (PAGE_SZ - 1)) ||
		       e->src + e->size < e->src || e->src + e->size > task_max))
		inval = true;
	if (e->dst && ((e->dst & (PAGE_SZ - 1)) ||
		       e->dst + e->size < e->dst || e->dst + e->size > task_max))
		inval = true;
	/* a size over the maximum also puts the ranges beyond user space */
	if (big && inval)
		allow(p, -EINVAL);
	if (big) {
		allow(p, -E2BIG);
		return true;
	}
	if (inval) {
		allow(p, -EINVAL);
		return true;
	}
	if (zero) {
		allow(p, -EINVAL);
		allow(p, -ENOENT);
		return true;
	}
	return false;
}

/*
 * A range of the job on file m: -ENOENT not inside one binding, -EPERM a
 * write to a read-only binding, cpu_reason() for a page the CPU cannot
 * provide (-EPERM for a write to a read-only mapping), -EFAULT a page
 * dropped, R_UNKNOWN someone else's memory.
 */
static int range_reason(struct mfile *m, uint64_t a, uint64_t size,
			bool write)
{
	struct mbind *b = find_b(m, a);
	uint64_t pg;

	if (!b || a + size > b->e)
		return -ENOENT;
	if (write && !(b->flags & TEST_MIRROR_BIND_WRITE))
		return -EPERM;
	for (pg = a; pg < a + size; pg += PAGE_SZ) {
		int r;

		if (dropped(b, pg))
			return -EFAULT;
		r = cpu_reason(pg, write);
		if (r)
			return r;
	}
	return 0;
}

/* A range of np pages inside one of m's bindings (np may shrink). */
static uint64_t guided_range(struct mfile *m, uint64_t *np)
{
	struct mbind *g = &m->b[rn(m->nb)];
	uint64_t have = (g->e - g->s) / PAGE_SZ, first;

	have = have > NW ? NW : have;
	if (*np > have)
		*np = have;
	first = rn(have - *np + 1);
	return g->s + first * PAGE_SZ;
}

static uint32_t gen_sobj(struct mfile *m, unsigned int pct_zero)
{
	if (chance(pct_zero))
		return 0;
	switch (rn(8)) {
	case 0:
		return m->sobj_empty;
	case 1:
		return 0x10000 + (uint32_t)rn(1000);		/* no such handle */
	case 2:
		return (uint32_t)gen_u64_edge(0) | 1;
	case 3:
	case 4:
		return m->sobj_out;
	default:
		return m->sobj_done;
	}
}

/* The shadow after the job *e of status 1: what it wrote. */
static void job_effect(struct mfile *m, const struct drm_test_mirror_submit *e)
{
	uint64_t np = e->size / PAGE_SZ, i, w;

	switch (e->op) {
	case TEST_MIRROR_JOB_COPY:
		memcpy(shadow_of(e->dst), shadow_of(e->src), e->size);
		m->job_pages += 2 * np;
		break;
	case TEST_MIRROR_JOB_FILL:
	case TEST_MIRROR_JOB_ATOMIC:
		for (i = 0; i < e->size; i += 8) {
			memcpy(&w, shadow_of(e->dst + i), 8);
			w = e->op == TEST_MIRROR_JOB_FILL ? e->value : w + e->value;
			memcpy(shadow_of(e->dst + i), &w, 8);
		}
		m->job_pages += np;
		break;
	default:
		for (i = 0; e->dst && i < e->size; i += 8)
			memcpy(shadow_of(e->dst + i), &e->value, 8);
		m->job_pages += np;
		m->job_pages_exact = false;
		break;
	}
	m->jobs++;
	cnt_job_pages += np;
}

void op_submit(enum issue_mode mode)
{
	struct drm_test_mirror_submit a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	uint64_t np = 1 + rn(8), addr1, addr2;
	bool write, out_bad;
	int ret, st = 0, rs = 0, rd = 0;

	m = pick_file(&other);
	a.op = (uint32_t)rn(4);
	if (chance(3))
		a.op = 4 + (uint32_t)gen_u64_edge(0);
	addr1 = m->nb && chance(60) ? guided_range(m, &np) :
		chance(80) ? arena_addr() : gen_addr();
	addr2 = m->nb && chance(60) ? guided_range(m, &np) :
		chance(80) ? arena_addr() : gen_addr();
	a.size = np * PAGE_SZ;
	if (chance(8))
		a.size = gen_size(addr1);
	write = a.op != TEST_MIRROR_JOB_STREAM || chance(50);
	switch (a.op) {
	case TEST_MIRROR_JOB_COPY:
		a.src = addr2;
		a.dst = addr1;
		break;
	case TEST_MIRROR_JOB_STREAM:
		if (write)
			a.dst = addr1;
		else
			a.src = addr1;
		a.duration_ms = 1 + (uint32_t)rn(3);
		break;
	default:
		a.dst = addr1;
		break;
	}
	if (chance(4))
		a.src = addr2;
	if (chance(3))
		a.dst = chance(50) ? addr2 : 0;
	if (a.op == TEST_MIRROR_JOB_FILL || a.op == TEST_MIRROR_JOB_ATOMIC ||
	    (a.op == TEST_MIRROR_JOB_STREAM && write))
		a.value = chance(50) ? rn(1000) : rnd();
	if (chance(4))
		a.value = gen_u64_edge(0) | 1;
	if (chance(4))
		a.duration_ms = chance(50) ? 0 : (uint32_t)gen_u64_edge(0);
	a.in_syncobj = gen_sobj(m, 70);
	/* never done or empty: they must keep what they are */
	if (chance(88))
		a.out_syncobj = m->sobj_out;
	else
		a.out_syncobj = chance(50) ? 0 : 0x10000 + (uint32_t)rn(1000);
	if (chance(3))
		a.flags = 1u << rn(32);
	if (chance(3))
		a.pad = 1u << rn(32);
	/* one user-fence field alone: -EINVAL in either model */
	if (chance(3)) {
		if (chance(50))
			a.ufence_addr = gen_u64_edge(0) | 1;
		else
			a.ufence_value = gen_u64_edge(0) | 1;
	}

	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_SUBMIT, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_submit *)is.eff;
	out_bad = e->out_syncobj && !live_sobj(m, e->out_syncobj);
	if (predict_args(e, &p)) {
		if (out_bad)
			allow(&p, -ENOENT);
	} else {
		bool sync_bad = bad_in(m, e->in_syncobj) || out_bad;

		if (e->src)
			rs = range_reason(m, e->src, e->size, false);
		if (e->dst)
			rd = range_reason(m, e->dst, e->size, true);
		if (rs == R_UNKNOWN || rd == R_UNKNOWN) {
			cnt_skipped++;
			return;
		}
		if (rs)
			allow(&p, rs);
		if (rd)
			allow(&p, rd);
		if (sync_bad)
			allow(&p, -ENOENT);
		if (!p.n) {
			/* queued: wait for it through its out-syncobj */
			if (!e->out_syncobj) {
				cnt_skipped++;
				return;
			}
			allow(&p, 0);
		}
	}
	ret = issue_call(&is, m->fd, &p, "SUBMIT");
	cnt_job++;
	if (!handler_ran(&is) || !allowed(&p, 0) || (ret && ret != -EFAULT))
		return;
	/* The job was queued (-EFAULT: only the copy back failed). */
	ret = tm_fence_status(m->fd, e->out_syncobj, -1, 5000 * tm_timeout_scale(),
			      &st);
	if (ret || st != 1)
		FAIL("SUBMIT op %u src 0x%llx dst 0x%llx size 0x%llx: fence %s, status %d",
		     e->op, (unsigned long long)e->src,
		     (unsigned long long)e->dst, (unsigned long long)e->size,
		     tm_errname(ret), st);
	cnt_job_ok++;
	cnt_checks++;
	if (e->out_syncobj == m->sobj_out)
		m->out_fenced = true;
	job_effect(m, e);
	if (chance(30))
		check_arena("after a job");
}

/*
 * Another address space's SUBMIT on our files: -EINVAL for flags, pad or a
 * user-fence field, -ENOENT for an out-syncobj that names nothing, then -EACCES
 * (the generator keeps in_point 0, and the out-syncobj 0 or a live one).
 */
int foreign_submit_expect(const struct drm_test_mirror_submit *a)
{
	if (a->flags || a->pad || a->ufence_addr || a->ufence_value)
		return -EINVAL;
	if (a->out_syncobj && !live_sobj(&mf[0], a->out_syncobj))
		return -ENOENT;
	return -EACCES;
}

void gen_foreign_submit(struct drm_test_mirror_submit *a)
{
	uint64_t np = 1 + rn(8);

	a->op = (uint32_t)rn(5);
	a->dst = arena_addr();
	a->src = chance(50) ? 0 : arena_addr();
	a->size = np * PAGE_SZ;
	a->duration_ms = (uint32_t)rn(3);
	a->in_syncobj = gen_sobj(&mf[0], 50);
	a->in_point = 0;
	a->out_syncobj = chance(50) ? 0 : mf[0].sobj_out;
	if (chance(80))
		a->flags = 0;
	if (chance(80))
		a->pad = 0;
	if (chance(80))
		a->ufence_addr = a->ufence_value = 0;
}
