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
 *
 * Some draws are jobs of the fault model (TEST_MIRROR_SUBMIT_FAULTABLE, a
 * user fence in a 16-byte slot of an arena page the file binds writable
 * and the CPU maps writable, no syncobj), with the same mutations. SUBMIT
 * then checks the bindings only (-ENOENT, -EPERM as above), faults
 * nothing, and adds -EINVAL for a syncobj or an in_point, a user-fence
 * address that is 0 or not 16-byte aligned, a fence value of 0; -ENOENT
 * for a fence not inside one binding, -EPERM for one in a read-only
 * binding. The job's fate comes in its user fence, which is cleared before
 * SUBMIT and waited for with WAIT_UFENCE: 0 if the CPU can provide every
 * page with the access needed and its tracking is intact, else the error
 * of such a page (-EFAULT unmapped, PROT_NONE or dropped, -EPERM a write
 * to memory the CPU maps read-only). A job that completed writes exactly
 * what the other model's does, but a failed job's destination words must
 * each hold either what they held or what the job writes there (a fault
 * can stop it anywhere), and the shadow takes them; then the fence: the
 * value, the error, pad 0.
 *
 * STATS must count exactly the jobs queued and those that failed, no
 * access after an invalidation, no invalidation that waited (no job runs
 * while the CPU changes the arena; but a fault-model job's own faults may
 * invalidate, breaking COW), and the pages: exactly where no STREAM and no
 * failed job ran since the last reset, else at least. The fault
 * model's counters (device_faults ... nonblock_ack_pending) stay 0 while
 * no fault-model job ran since the last reset, a batch makes at most 512
 * pages valid, and no callback that could not sleep waited for an
 * acknowledgement more often than such callbacks came.
 */
#include "tm_fuzz.h"

uint64_t cnt_job, cnt_job_ok, cnt_job_pages, cnt_fjob, cnt_fjob_err;

/* fault_batch_pages' maximum: the pages one round of the handler makes valid */
#define FAULT_BATCH_MAX	512


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
	m->jobs_failed = 0;
	m->job_pages = 0;
	m->job_pages_exact = true;
	m->fault_jobs = false;
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
	if (s->jobs_submitted != m->jobs ||
	    s->jobs_completed != m->jobs - m->jobs_failed ||
	    s->jobs_failed != m->jobs_failed || s->access_after_invalidate ||
	    (!m->fault_jobs && s->job_inval_waits) ||
	    (m->job_pages_exact ? s->job_pages != m->job_pages :
				  s->job_pages < m->job_pages))
		FAIL("STATS: jobs %llu/%llu/%llu, pages %llu, inval_waits %llu, access_after_invalidate %llu; the model: %llu queued, %llu failed, %s%llu pages%s",
		     (unsigned long long)s->jobs_submitted,
		     (unsigned long long)s->jobs_completed,
		     (unsigned long long)s->jobs_failed,
		     (unsigned long long)s->job_pages,
		     (unsigned long long)s->job_inval_waits,
		     (unsigned long long)s->access_after_invalidate,
		     (unsigned long long)m->jobs,
		     (unsigned long long)m->jobs_failed,
		     m->job_pages_exact ? "" : "at least ",
		     (unsigned long long)m->job_pages,
		     m->fault_jobs ? "" : ", no fault-model job");
	if (!m->fault_jobs &&
	    (s->device_faults || s->fault_batches || s->fault_pages ||
	     s->tlb_flushes || s->tlb_flushes_avoided ||
	     s->nonblock_ack_pending))
		FAIL("STATS: no fault-model job since the last reset, but device_faults %llu, fault_batches %llu, fault_pages %llu, tlb_flushes %llu, tlb_flushes_avoided %llu, nonblock_ack_pending %llu",
		     (unsigned long long)s->device_faults,
		     (unsigned long long)s->fault_batches,
		     (unsigned long long)s->fault_pages,
		     (unsigned long long)s->tlb_flushes,
		     (unsigned long long)s->tlb_flushes_avoided,
		     (unsigned long long)s->nonblock_ack_pending);
	if (s->fault_pages > s->fault_batches * FAULT_BATCH_MAX ||
	    s->nonblock_ack_pending > s->nonblock_calls)
		FAIL("STATS: fault_pages %llu in %llu batches; nonblock_ack_pending %llu of %llu callbacks that could not sleep",
		     (unsigned long long)s->fault_pages,
		     (unsigned long long)s->fault_batches,
		     (unsigned long long)s->nonblock_ack_pending,
		     (unsigned long long)s->nonblock_calls);
}

/*
 * What the arguments alone give: true if they fail (the errnos are in p),
 * false if they pass. The header's rules: unknown op, flags, pad,
 * a user-fence field outside the fault model, a syncobj, an unaligned or
 * 0 fence, or a fence value 0 in it, a field the op does not use that is
 * not 0, misaligned, empty
 * or overlapping ranges, ranges beyond user space, the duration: -EINVAL;
 * a size over TEST_MIRROR_JOB_MAX_SIZE: -E2BIG. A range an op uses left
 * at 0 (address 0) is -EINVAL or -ENOENT: the header does not say.
 */
static bool predict_args(const struct drm_test_mirror_submit *e,
			 struct pred *p)
{
	bool fault = e->flags == TEST_MIRROR_SUBMIT_FAULTABLE;
	bool inval = false, big = false, zero = false;
	uint32_t op = e->op;

	if (op > TEST_MIRROR_JOB_STREAM || (e->flags && !fault) || e->pad ||
	    (!fault && (e->ufence_addr || e->ufence_value))) {
		allow(p, -EINVAL);
		return true;
	}
	/* the fault model: no syncobj, a 16-byte aligned fence, a value */
	if (fault)
		inval = e->in_syncobj || e->in_point || e->out_syncobj ||
			!e->ufence_addr || (e->ufence_addr & 15) ||
			!e->ufence_value;
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
 * bind_reason(): what the bindings alone say of a range of the job on file
 * m (all that a fault-model SUBMIT checks): -ENOENT not inside one
 * binding, -EPERM a write to a read-only binding.
 * range_reason(): that, then cpu_reason() for a page the CPU cannot
 * provide (-EPERM for a write to a read-only mapping), -EFAULT a page
 * dropped, R_UNKNOWN someone else's memory.
 */
static int bind_reason(struct mfile *m, uint64_t a, uint64_t size,
		       bool write)
{
	struct mbind *b = find_b(m, a);

	if (!b || a + size > b->e)
		return -ENOENT;
	if (write && !(b->flags & TEST_MIRROR_BIND_WRITE))
		return -EPERM;
	return 0;
}

static int range_reason(struct mfile *m, uint64_t a, uint64_t size,
			bool write)
{
	struct mbind *b = find_b(m, a);
	uint64_t pg;
	int r = bind_reason(m, a, size, write);

	if (r)
		return r;
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

/* ------------------------------------------------------------------------ */
/* The fault model                                                           */
/* ------------------------------------------------------------------------ */

/* Can the device write the 16 bytes at fa for file m (the CPU agreeing)? */
static bool fence_writable(struct mfile *m, uint64_t fa)
{
	struct mbind *b = find_b(m, fa);

	return b && fa + 16 <= b->e && (b->flags & TEST_MIRROR_BIND_WRITE) &&
	       in_arena(fa) && !dropped(b, fa) && cpu_reason(fa, true) == 0;
}

/*
 * A user fence for a job of file m: mostly a 16-byte slot of an arena
 * page that m binds writable and the CPU maps writable (tracking intact),
 * else an edge: 0, unaligned, anywhere in the arena, or an edge address.
 */
static uint64_t gen_fence(struct mfile *m)
{
	unsigned int tries;

	if (chance(88) && m->nb) {
		for (tries = 0; tries < 16; tries++) {
			struct mbind *b = &m->b[rn(m->nb)];
			uint64_t fa = b->s + rn((b->e - b->s) / PAGE_SZ) * PAGE_SZ +
				      rn(PAGE_SZ / 16) * 16;

			if (fence_writable(m, fa))
				return fa;
		}
	}
	switch (rn(4)) {
	case 0:
		return 0;
	case 1:
		return (arena_addr() + rn(PAGE_SZ)) | 8;
	case 2:
		return (arena_addr() + rn(PAGE_SZ)) & ~15ull;
	default:
		return gen_addr() & ~15ull;
	}
}

/* SUBMIT's word on the user fence at fa (its arguments passed): into p. */
static void fence_pred(struct mfile *m, uint64_t fa, struct pred *p)
{
	struct mbind *b;

	/* beyond user space: the header does not say which */
	if (fa + 16 < fa || fa + 16 > task_max) {
		allow(p, -EINVAL);
		allow(p, -ENOENT);
		return;
	}
	b = find_b(m, fa);
	if (!b || fa + 16 > b->e)
		allow(p, -ENOENT);
	else if (!(b->flags & TEST_MIRROR_BIND_WRITE))
		allow(p, -EPERM);
}

/*
 * The errors a queued fault-model job may end with, into f: those of the
 * pages the device cannot fault in (tracking dropped, or cpu_reason()),
 * else 0 (a STREAM goes over its range at least once). False if a page is
 * someone else's memory: the model cannot tell.
 */
static bool fault_fate(struct mfile *m, const struct drm_test_mirror_submit *e,
		       struct pred *f)
{
	const uint64_t r[2] = { e->src, e->dst };
	unsigned int k;
	uint64_t pg;

	for (k = 0; k < 2; k++) {
		struct mbind *b = find_b(m, r[k]);

		if (!r[k])
			continue;
		for (pg = r[k]; pg < r[k] + e->size; pg += PAGE_SZ) {
			int c = cpu_reason(pg, k == 1);

			if (c == R_UNKNOWN)
				return false;
			if (dropped(b, pg))
				c = -EFAULT;
			if (c)
				allow(f, c);
		}
	}
	if (!f->n)
		allow(f, 0);
	return true;
}

/*
 * After a fault-model job that failed, which may have stopped anywhere:
 * every word of its destination that the CPU can read holds what
 * it held or what the job writes there (the fence's 16 bytes aside); the
 * shadow takes what memory holds.
 */
static void adopt_partial(const struct drm_test_mirror_submit *e)
{
	uint64_t a, i, was, now, job, fa = e->ufence_addr;

	for (a = e->dst; e->dst && a < e->dst + e->size; a += PAGE_SZ) {
		uint8_t *mem, *sh;

		if (!in_arena(a) || cpu_reason(a, false))
			continue;
		mem = arena_page(a);
		sh = shadow_of(a);
		on_sys[(a - (uintptr_t)arena) / PAGE_SZ] = 1;
		for (i = 0; i < PAGE_SZ; i += 8) {
			if (a + i >= fa && a + i < fa + 16)
				continue;
			memcpy(&was, sh + i, 8);
			memcpy(&now, mem + i, 8);
			switch (e->op) {
			case TEST_MIRROR_JOB_COPY:
				/* a source page it could not read: nothing written */
				if (!in_arena(e->src + (a - e->dst)) ||
				    cpu_reason(e->src + (a - e->dst), false))
					job = was;
				else
					memcpy(&job, shadow_of(e->src + (a - e->dst) + i),
					       8);
				break;
			case TEST_MIRROR_JOB_ATOMIC:
				job = was + e->value;
				break;
			default:
				job = e->value;
				break;
			}
			if (now != was && now != job)
				FAIL("fault-model job op %u dst 0x%llx size 0x%llx: word at 0x%llx is 0x%llx, neither what it held (0x%llx) nor what the job writes (0x%llx)",
				     e->op, (unsigned long long)e->dst,
				     (unsigned long long)e->size,
				     (unsigned long long)(a + i),
				     (unsigned long long)now,
				     (unsigned long long)was,
				     (unsigned long long)job);
		}
		memcpy(sh, mem, PAGE_SZ);
	}
}

/*
 * Wait for the user fence of the queued fault-model job *e of file m and
 * check its end against *fate; the shadow and the model take its effects.
 */
static void fault_job_done(struct mfile *m, const struct drm_test_mirror_submit *e,
			   const struct pred *fate)
{
	struct drm_test_mirror_ufence *uf = (void *)(uintptr_t)e->ufence_addr;
	struct drm_test_mirror_ufence want = { .seqno = e->ufence_value };
	int ret;

	ret = tm_wait_ufence(m->fd, &uf->seqno, e->ufence_value,
			     5000000000LL * tm_timeout_scale());
	if (ret)
		FAIL("fault-model job op %u src 0x%llx dst 0x%llx size 0x%llx: WAIT_UFENCE %s",
		     e->op, (unsigned long long)e->src,
		     (unsigned long long)e->dst, (unsigned long long)e->size,
		     tm_errname(ret));
	want.error = uf->error;
	if (uf->seqno != e->ufence_value || uf->pad || !allowed(fate, uf->error))
		FAIL("fault-model job op %u src 0x%llx dst 0x%llx size 0x%llx: fence seqno 0x%llx (value 0x%llx), error %s, pad 0x%x; expected %s%s",
		     e->op, (unsigned long long)e->src,
		     (unsigned long long)e->dst, (unsigned long long)e->size,
		     (unsigned long long)uf->seqno,
		     (unsigned long long)e->ufence_value, tm_errname(uf->error),
		     uf->pad, tm_errname(fate->allow[0]),
		     fate->n > 1 ? " (or another of the pages' errors)" : "");
	if (!uf->error) {
		/* a replay counts its page once, when it is done */
		job_effect(m, e);
	} else {
		if (e->dst)
			adopt_partial(e);
		m->jobs++;
		m->jobs_failed++;
		m->job_pages_exact = false;
		cnt_fjob_err++;
	}
	/* the device wrote the fence last */
	memcpy(shadow_of(e->ufence_addr), &want, sizeof(want));
	cnt_fjob++;
	cnt_checks++;
}

void op_submit(enum issue_mode mode)
{
	struct drm_test_mirror_submit a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 }, fate = { 0 };
	uint64_t np = 1 + rn(8), addr1, addr2;
	bool write, out_bad, fault = chance(35);
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
	if (fault) {
		/* the fault model: a user fence, no syncobj (mostly) */
		a.flags = TEST_MIRROR_SUBMIT_FAULTABLE;
		a.ufence_addr = gen_fence(m);
		a.ufence_value = chance(96) ? 1 + rn(1ull << 48) : 0;
		if (chance(5)) {
			switch (rn(3)) {
			case 0:
				a.in_syncobj = gen_sobj(m, 0);
				break;
			case 1:
				a.in_point = 1 + rn(8);
				break;
			default:
				a.out_syncobj = m->sobj_out;
				break;
			}
		}
	} else {
		a.in_syncobj = gen_sobj(m, 70);
		/* never done or empty: they must keep what they are */
		if (chance(88))
			a.out_syncobj = m->sobj_out;
		else
			a.out_syncobj = chance(50) ? 0 :
					0x10000 + (uint32_t)rn(1000);
	}
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
	fault = e->flags == TEST_MIRROR_SUBMIT_FAULTABLE;
	out_bad = e->out_syncobj && !live_sobj(m, e->out_syncobj);
	if (predict_args(e, &p)) {
		if (out_bad && !fault)
			allow(&p, -ENOENT);
	} else if (fault) {
		/* SUBMIT checks the bindings only; the pages are the job's */
		if (e->src)
			rs = bind_reason(m, e->src, e->size, false);
		if (e->dst)
			rd = bind_reason(m, e->dst, e->size, true);
		if (rs)
			allow(&p, rs);
		if (rd)
			allow(&p, rd);
		fence_pred(m, e->ufence_addr, &p);
		if (!p.n) {
			/*
			 * Queued: its end is in the fence, which must be
			 * writable to be waited for, and the model must know
			 * every page. Clear the fence's seqno first.
			 */
			if (!fence_writable(m, e->ufence_addr) ||
			    !fault_fate(m, e, &fate)) {
				cnt_skipped++;
				return;
			}
			memset((void *)(uintptr_t)e->ufence_addr, 0, 16);
			memset(shadow_of(e->ufence_addr), 0, 16);
			on_sys[(e->ufence_addr - (uintptr_t)arena) / PAGE_SZ] = 1;
			allow(&p, 0);
		}
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
	if (fault) {
		m->fault_jobs = true;
		fault_job_done(m, e, &fate);
		if (chance(30))
			check_arena("after a fault-model job");
		return;
	}
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
 * WAIT_UFENCE on any memory, nothing writing it meanwhile: -EINVAL for
 * flags, pad, an address not 8-byte aligned or a negative timeout; -EFAULT
 * for an address a user copy cannot read; else 0 if the word there is at
 * least the value, -ETIME if not (the timeouts drawn are 0 or at most
 * 100 us).
 */
void op_wait_ufence(enum issue_mode mode)
{
	struct drm_test_mirror_wait_ufence a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	uint64_t cur;
	int r;

	m = pick_file(&other);
	switch (rn(4)) {
	case 0:
		a.addr = gen_addr();
		break;
	case 1:
		a.addr = (uintptr_t)bufrw + rn(BUF_RW_PAGES * PAGE_SZ);
		break;
	default:
		a.addr = arena_addr() + rn(PAGE_SZ);
		break;
	}
	if (chance(85))
		a.addr &= ~7ull;
	a.value = chance(50) ? rn(3) : rnd();
	a.timeout_ns = chance(70) ? 0 : (int64_t)rn(100000);
	if (chance(5))
		a.timeout_ns = chance(50) ? -1 - (int64_t)rn(1000) : INT64_MIN;
	if (chance(4))
		a.flags = 1u << rn(32);
	if (chance(4))
		a.pad = 1u << rn(32);
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, &a, sizeof(a),
		      mode);
	e = (struct drm_test_mirror_wait_ufence *)is.eff;
	if (e->flags || e->pad || (e->addr & 7) || e->timeout_ns < 0) {
		allow(&p, -EINVAL);
	} else {
		r = mem_range(e->addr, 8, false);
		if (r == R_UNKNOWN) {
			cnt_skipped++;
			return;
		}
		if (r) {
			allow(&p, -EFAULT);
		} else {
			memcpy(&cur, (void *)(uintptr_t)e->addr, 8);
			if (in_arena(e->addr))
				on_sys[(e->addr - (uintptr_t)arena) / PAGE_SZ] = 1;
			allow(&p, cur >= e->value ? 0 : -ETIME);
		}
	}
	issue_call(&is, m->fd, &p, "WAIT_UFENCE");
	cnt_checks++;
}

/*
 * Another address space's SUBMIT on our files: -EINVAL for flags, pad or a
 * user-fence field, -ENOENT for an out-syncobj that names nothing, then -EACCES
 * (the generator keeps in_point 0, and the out-syncobj 0 or a live one);
 * a job of the fault model: -EINVAL for a syncobj, else -EACCES (the user
 * fence is the core's to check, after the caller).
 */
int foreign_submit_expect(const struct drm_test_mirror_submit *a)
{
	/*
	 * The fault model: the front-end refuses a syncobj; the rest (the
	 * user fence too) is the core's, which refuses the caller first.
	 */
	if (a->flags == TEST_MIRROR_SUBMIT_FAULTABLE && !a->pad)
		return a->in_syncobj || a->in_point || a->out_syncobj ?
		       -EINVAL : -EACCES;
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
	if (chance(15)) {
		a->flags = TEST_MIRROR_SUBMIT_FAULTABLE;
		a->pad = 0;
		a->in_syncobj = a->out_syncobj = 0;
		a->ufence_addr = arena_addr();
		a->ufence_value = 1 + rn(1000);
	}
}
