// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the device's jobs, in the pre-validated ("userptr") model.
 */

/**
 * DOC: Jobs: the pre-validated model
 *
 * A job (the SUBMIT ioctl: COPY, FILL, ATOMIC, STREAM) runs on the device's
 * engine ("Job engine"), after SUBMIT has returned, and reads the device
 * table the way hardware reads its page table: without the driver's locks.
 * This is the model of amdgpu's and xe's userptr and of a classic RDMA
 * memory region: everything is made valid before the job starts, the job
 * never faults, and the invalidation callback makes sure the device has let
 * go of an entry before the CPU page table changes under it.
 *
 * **At SUBMIT** (process context, structural lock held), before the job is
 * armed: the job is put on the mirror's list of unfinished jobs, then every
 * page of its ranges is faulted with the access it needs (tm_fault(), the
 * read_begin / hmm_range_fault() / read_retry loop) until, under the table
 * lock, all of them are valid at once. An invalidation that raced removed
 * some: fault again (at most TM_JOB_TRIES rounds, then -EAGAIN, as xe_exec
 * retries). hmm_range_fault() is never called from the engine: the engine
 * is on the fence-signalling path, and munmap, holding the mmap lock, may
 * be waiting in the callback for the engine.
 *
 * **On the engine**, a job touches one page (COPY: one page of each range)
 * per *access*: it opens the access (an odd tm_job.seq, preemption off),
 * reads the entries with tm_table_peek(), copies through the kernel's
 * mapping of the page (or of its VRAM page, for device memory), and closes
 * the access. A missing entry, or a read-only one for a write, ends the job
 * with -EFAULT: the device cannot fault in this model; what it did before
 * stays done. So the engine holds a translation only inside an access, a
 * few microseconds, as a TLB would hold it until a shootdown.
 *
 * **In the invalidation**, the table removes the entries (or their write
 * bit) under the table lock and then calls tm_jobs_removed(): it waits for
 * every access in flight on an overlapping job to end. An access that
 * opened before the entries were removed may still use the old page; one
 * that opens after finds them gone (a full barrier on each side: the
 * access publishes its odd sequence before it reads an entry, the
 * invalidation removes the entries before it reads the sequences). The wait
 * never sleeps and is bounded by one page copy (the access cannot be
 * preempted), so it is the same in a callback that may not block (the OOM
 * reaper): that one completes too, rather than returning false and leaving
 * the dying process's memory to the next round. A downgrade waits for the
 * accesses of writing jobs only: readers may go on reading the same page.
 * An overlapping fault-model job is not waited for here: the removal
 * requests a TLB invalidation for it instead ("Jobs: the fault model").
 *
 * **The device's own moves.** A migration this mirror starts (MIGRATE,
 * DEVMEM) keeps its entries and re-points them after the copy (the SKIP of
 * "Event policy"): a job writing the old page between the copy and the
 * re-point would write into a page that is about to be freed. Such a move of
 * a range that an unfinished job of the file uses fails with -EBUSY; jobs
 * are only submitted under the structural lock, which the move holds. A
 * move home (a CPU fault, eviction) invalidates and is covered by the wait.
 * Taking a page exclusive (ATOMIC) keeps the same page: jobs may use it.
 *
 * **Table memory.** A leaf taken out of the table (trim, or a huge entry
 * installed over it) may still be read by an access that looked it up:
 * tm_table_reap() frees it only after tm_jobs_quiesce() has waited for
 * every access of the mirror in flight.
 *
 * **The checker.** Every removal that completes while jobs exist is
 * recorded (range, kind, a new epoch) in a ring. An access reads the epoch
 * when it opens and again after its last byte: if it moved, the access
 * looks for a completed removal of its own page and access among the
 * records in between, and counts one in STATS' access_after_invalidate: an
 * invalidation returned while the device still used the page. The record
 * is made after the wait, independently of it; the module parameter
 * ``job_skip_inval_wait`` (a debug switch) makes it before the wait, as a
 * driver without the wait would return, so that a test can show the
 * checker firing without letting the device touch a freed page. More than
 * TM_INV_RING removals completing during one access would hide the older
 * ones from it.
 *
 * **Lifetime.** A job holds nothing of the mm: only pages whose entries are
 * valid, inside an access. The file's release cancels its jobs (those
 * running stop at their next page, with -ECANCELED), destroys its entity,
 * and waits until every job of the mirror has been freed before the mirror
 * goes. A process that exits first loses its address space before its
 * files: RELEASE removes every entry, and running jobs end with -EFAULT.
 */

#include <linux/dma-fence.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>

#include <drm/drm_syncobj.h>

#include "compat.h"
#include "tm_core.h"
#include "tm_devmem.h"
#include "tm_job_priv.h"

/* Fault-and-validate rounds of one SUBMIT before -EAGAIN. */
#define TM_JOB_TRIES		8

/* Since load, every file: see struct tm_jobs_totals. */
static atomic64_t tm_jobs_total = ATOMIC64_INIT(0);
static atomic64_t tm_jobs_late = ATOMIC64_INIT(0);
static atomic64_t tm_jobs_late_early = ATOMIC64_INIT(0);

/**
 * tm_jobs_count_submit - count a job queued, either model
 * @m: its mirror (STATS' jobs_submitted); the module's totals too
 */
void tm_jobs_count_submit(struct tm_mirror *m)
{
	tm_log_add(&m->log, &m->log.st.jobs_submitted, 1);
	atomic64_inc(&tm_jobs_total);
}

/**
 * tm_jobs_totals - the engine's counters since the module was loaded
 * @t: out: the counters
 */
void tm_jobs_totals(struct tm_jobs_totals *t)
{
	t->jobs = atomic64_read(&tm_jobs_total);
	t->access_after_invalidate = atomic64_read(&tm_jobs_late);
	t->access_after_early_record = atomic64_read(&tm_jobs_late_early);
	tm_fjobs_totals(t);
}

static bool tm_in(unsigned long base, unsigned long size, unsigned long start,
		  unsigned long end)
{
	return base && base < end && start < base + size;
}

/**
 * tm_job_uses - could a job use an entry of a range removed this way?
 * @j: the job
 * @start: first address removed
 * @end: end (exclusive)
 * @write_only: only write access was removed
 *
 * Return: true if @j reads (unless @write_only) or writes a page of it, its
 * user fence's page included.
 */
bool tm_job_uses(const struct tm_job *j, unsigned long start,
		 unsigned long end, bool write_only)
{
	return tm_in(j->dst, j->size, start, end) ||
	       (!write_only && tm_in(j->src, j->size, start, end)) ||
	       tm_in(j->ufence_addr & PAGE_MASK, PAGE_SIZE, start, end);
}

/* ---------------------------------------------------------------------- */
/* The table's side: removals and reaping wait for the engine            */

/**
 * tm_job_wait_access - wait for the access in flight of a job, if any
 * @j: the job; jobs lock held (or the job is the caller's)
 *
 * Return: true if there was one.
 */
bool tm_job_wait_access(struct tm_job *j)
{
	unsigned long seq = READ_ONCE(j->seq);

	if (!(seq & 1))
		return false;
	/* acquire: pairs with the release that ends the access */
	while (smp_load_acquire(&j->seq) == seq)
		cpu_relax();
	return true;
}

/**
 * tm_jobs_record - declare a removal complete, for the checker
 * @js: the jobs; jobs lock held
 * @start: first address removed
 * @end: end (exclusive)
 * @write_only: only write access was removed
 * @early: declared before the wait (``job_skip_inval_wait``)
 * @ack: for the fault model's accesses (else the pre-validated model's)
 */
void tm_jobs_record(struct tm_jobs *js, unsigned long start,
		    unsigned long end, bool write_only, bool early, bool ack)
{
	struct tm_inv_rec *rec = &js->ring[(js->epoch + 1) % TM_INV_RING];

	lockdep_assert_held(&js->lock);
	rec->start = start;
	rec->end = end;
	rec->write_only = write_only;
	rec->early = early;
	rec->ack = ack;
	rec->epoch = js->epoch + 1;
	/* The record is complete before an access can see the new epoch. */
	smp_store_release(&js->epoch, js->epoch + 1);
}

static void tm_jobs_removed(struct tm_table *t, unsigned long start,
			    unsigned long end, bool write_only)
{
	struct tm_mirror *m = container_of(t, struct tm_mirror, table);
	bool skip = READ_ONCE(m->limits->job_skip_inval_wait);
	struct tm_jobs *js = &m->jobs;
	unsigned int waited = 0;
	bool flush = false;
	struct tm_job *j;

	lockdep_assert_held(&t->lock);
	/* The entries are gone before any access is looked at. */
	smp_mb();
	spin_lock(&js->lock);
	if (list_empty(&js->active)) {
		/* No job: none can have read them (SUBMIT lists it first). */
		spin_unlock(&js->lock);
		return;
	}
	/*
	 * The debug switch declares the removal complete before the wait,
	 * as a driver without the wait would return: the checker sees the
	 * bug, the pages stay safe (the wait still comes before the return).
	 */
	if (skip)
		tm_jobs_record(js, start, end, write_only, true, false);
	list_for_each_entry(j, &js->active, node) {
		if (!tm_job_uses(j, start, end, write_only))
			continue;
		if (j->faultable)
			flush = true;
		else
			waited += tm_job_wait_access(j);
	}
	if (flush)
		tm_fjob_removed(js);
	if (!skip)
		tm_jobs_record(js, start, end, write_only, false, false);
	spin_unlock(&js->lock);
	if (waited)
		tm_log_add(&m->log, &m->log.st.job_inval_waits, 1);
}

static void tm_jobs_quiesce(struct tm_table *t)
{
	struct tm_mirror *m = container_of(t, struct tm_mirror, table);
	struct tm_jobs *js = &m->jobs;
	struct tm_job *j;

	lockdep_assert_held(&t->lock);
	/* The leaves are out of the table before any access is looked at. */
	smp_mb();
	spin_lock(&js->lock);
	list_for_each_entry(j, &js->active, node)
		tm_job_wait_access(j);
	spin_unlock(&js->lock);
}

/**
 * tm_jobs_init - a mirror without jobs, its table told about the engine
 * @m: the mirror being created
 */
void tm_jobs_init(struct tm_mirror *m)
{
	struct tm_jobs *js = &m->jobs;

	spin_lock_init(&js->lock);
	INIT_LIST_HEAD(&js->active);
	js->nr_active = 0;
	js->nr_alive = 0;
	js->epoch = 0;
	js->closing = false;
	tm_fjobs_init(js);
	m->table.removed = tm_jobs_removed;
	m->table.quiesce = tm_jobs_quiesce;
}

/**
 * tm_jobs_busy - does a job that may still run use a range?
 * @m: the mirror; structural lock held (no job can be submitted meanwhile)
 * @start: first address
 * @end: end (exclusive)
 *
 * Return: true if a job submitted and not done running reads or writes a page
 * of [@start, @end).
 */
bool tm_jobs_busy(struct tm_mirror *m, unsigned long start, unsigned long end)
{
	struct tm_jobs *js = &m->jobs;
	struct tm_job *j;
	bool busy = false;

	lockdep_assert_held(&m->lock);
	spin_lock(&js->lock);
	list_for_each_entry(j, &js->active, node)
		busy |= tm_job_uses(j, start, end, false);
	spin_unlock(&js->lock);
	return busy;
}

/**
 * tm_job_unlist - off the list of jobs that may run
 * @j: the job, which no longer touches a page
 *
 * Invalidations stop waiting for it (or flushing its TLB).
 */
void tm_job_unlist(struct tm_job *j)
{
	struct tm_jobs *js = &j->m->jobs;

	spin_lock(&js->lock);
	if (!list_empty(&j->node)) {
		list_del_init(&j->node);
		js->nr_active--;
		if (j->faultable)
			js->nr_fault--;
	}
	spin_unlock(&js->lock);
}

/**
 * tm_job_gone - a job no longer uses the mirror
 * @js: its mirror's jobs
 *
 * The mirror may go once the last is gone (tm_jobs_wait_idle()).
 */
void tm_job_gone(struct tm_jobs *js)
{
	spin_lock(&js->lock);
	js->nr_alive--;
	spin_unlock(&js->lock);
	/* wake_up_var() hashes the address: it never reads the mirror. */
	smp_mb();
	wake_up_var(&js->nr_alive);
}

/* ---------------------------------------------------------------------- */
/* The engine                                                             */

/**
 * tm_job_frame - the frame the engine uses for a page, from the table
 * @m: the mirror; inside an access
 * @addr: the page
 * @write: the access writes
 * @pfn: out: the frame to read or write (VRAM for a device page)
 * @folio: out: the folio to mark dirty after a write
 *
 * Return: false if the entry is missing, or read-only for a write.
 */
bool tm_job_frame(struct tm_mirror *m, unsigned long addr, bool write,
		  unsigned long *pfn, struct folio **folio)
{
	u64 need = TM_ENT_VALID | (write ? TM_ENT_WRITE : 0);

	if ((tm_table_peek(&m->table, addr, pfn) & need) != need)
		return false;
	*folio = page_folio(pfn_to_page(*pfn));
	if (tm_devmem_page(m, *pfn))
		*pfn = tm_devmem_vram_pfn(*pfn);
	return true;
}

/**
 * tm_job_do - one page of a job's work
 * @j: the job; inside an access
 * @s: the source page mapped, or NULL
 * @d: the destination page mapped, or NULL
 */
void tm_job_do(struct tm_job *j, const u64 *s, u64 *d)
{
	unsigned int i, n = PAGE_SIZE / sizeof(u64);

	switch (j->op) {
	case TM_JOB_COPY:
		memcpy(d, s, PAGE_SIZE);
		break;
	case TM_JOB_ATOMIC:
		for (i = 0; i < n; i++)
			atomic64_add(j->value, (atomic64_t *)&d[i]);
		break;
	default:	/* FILL, STREAM */
		if (d) {
			memset64(d, j->value, n);
			break;
		}
		for (i = 0; i < n; i++)
			j->sum += READ_ONCE(s[i]);
		break;
	}
}

/**
 * tm_job_check - did a removal of a page complete during an access?
 * @j: the job, whose access has ended
 * @addr: a page it used
 * @write: it wrote the page
 * @e0: tm_jobs.epoch when the access opened
 * @e1: tm_jobs.epoch after its last byte
 *
 * Counts a hit in access_after_invalidate (see "The checker"). Each model
 * looks at the records of its own kind of completion.
 */
void tm_job_check(struct tm_job *j, unsigned long addr, bool write,
		  unsigned long e0, unsigned long e1)
{
	struct tm_jobs *js = &j->m->jobs;
	struct tm_inv_rec *rec;
	bool hit = false, early = false;
	unsigned long e;

	spin_lock(&js->lock);
	for (e = e0 + 1; e != e1 + 1 && !hit; e++) {
		rec = &js->ring[e % TM_INV_RING];
		if (rec->epoch != e || rec->ack != j->faultable)
			continue;	/* overwritten since, or the other model */
		hit = addr >= rec->start && addr < rec->end &&
		      (write || !rec->write_only);
		early = rec->early;
	}
	spin_unlock(&js->lock);
	if (!hit)
		return;
	tm_log_add(&j->m->log, &j->m->log.st.access_after_invalidate, 1);
	atomic64_inc(early ? &tm_jobs_late_early : &tm_jobs_late);
}

/**
 * tm_job_open - open an access of the engine
 * @j: the job
 *
 * Publishes the access (an odd tm_job.seq, preemption off) before any entry
 * is read: pairs with the removals' barrier (tm_jobs_removed()).
 *
 * Return: tm_jobs.epoch, for tm_job_checks().
 */
unsigned long tm_job_open(struct tm_job *j)
{
	preempt_disable();
	WRITE_ONCE(j->seq, j->seq + 1);
	/* Open before any entry is read (pairs with tm_jobs_removed()). */
	smp_mb();
	/* acquire: pairs with tm_jobs_record(): the record is there */
	return smp_load_acquire(&j->m->jobs.epoch);
}

/**
 * tm_job_close - close an access of the engine
 * @j: the job
 *
 * Return: tm_jobs.epoch after the access's last byte.
 */
unsigned long tm_job_close(struct tm_job *j)
{
	unsigned long e1;

	/* Every byte is done before the epoch is read again. */
	smp_mb();
	e1 = READ_ONCE(j->m->jobs.epoch);
	/* release: every access to the pages is done when this is seen */
	smp_store_release(&j->seq, j->seq + 1);
	preempt_enable();
	return e1;
}

/**
 * tm_job_touch - one page of a job's work, through the kernel's mappings
 * @j: the job; inside an access
 * @spfn: the source frame (if @sf)
 * @sf: the source folio, or NULL
 * @dpfn: the destination frame (if @df)
 * @df: the destination folio, or NULL: marked dirty after the write
 */
void tm_job_touch(struct tm_job *j, unsigned long spfn, struct folio *sf,
		  unsigned long dpfn, struct folio *df)
{
	void *s = NULL, *d = NULL;

	if (sf)
		s = kmap_local_pfn(spfn);
	if (df)
		d = kmap_local_pfn(dpfn);
	tm_job_do(j, s, d);
	if (d) {
		kunmap_local(d);
		/* as a CPU store would: never lost to reclaim */
		folio_mark_dirty(df);
	}
	if (s)
		kunmap_local(s);
}

/**
 * tm_job_checks - the checker, for the pages of one access at @off
 * @j: the job, whose access has ended
 * @off: the offset of the pages in its ranges
 * @e0: tm_job_open()'s epoch
 * @e1: tm_job_close()'s epoch
 */
void tm_job_checks(struct tm_job *j, unsigned long off, unsigned long e0,
		   unsigned long e1)
{
	if (e1 == e0)
		return;
	if (j->src)
		tm_job_check(j, j->src + off, false, e0, e1);
	if (j->dst)
		tm_job_check(j, j->dst + off, true, e0, e1);
}

/* One access: the page at @off of each range. 0 or -EFAULT. */
static int tm_job_access(struct tm_job *j, unsigned long off)
{
	struct folio *sf = NULL, *df = NULL;
	struct tm_mirror *m = j->m;
	unsigned long spfn = 0, dpfn = 0, e0, e1;
	bool ok = true;

	e0 = tm_job_open(j);
	if (j->src)
		ok = tm_job_frame(m, j->src + off, false, &spfn, &sf);
	if (ok && j->dst)
		ok = tm_job_frame(m, j->dst + off, true, &dpfn, &df);
	if (ok)
		tm_job_touch(j, spfn, sf, dpfn, df);
	e1 = tm_job_close(j);
	if (!ok)
		return -EFAULT;
	tm_job_checks(j, off, e0, e1);
	return 0;
}

static int tm_job_run(struct tm_sched_job *sj)
{
	struct tm_job *j = container_of(sj, struct tm_job, base);
	u64 until = ktime_get_ns() + j->duration_ns;
	unsigned long off, pages = 0;
	int ret = 0;

	j->ran = true;
	/* drm_sched ran us after it: a failed producer fails the consumer */
	if (j->in_fence && j->in_fence->error) {
		ret = j->in_fence->error;
		goto out;
	}
	do {
		for (off = 0; off < j->size; off += PAGE_SIZE) {
			if (READ_ONCE(j->m->jobs.closing)) {
				ret = -ECANCELED;
				goto out;
			}
			if (tm_sched_job_aborted(sj)) {
				ret = -ETIMEDOUT;	/* what the engine reports */
				goto out;
			}
			ret = tm_job_access(j, off);
			if (ret)
				goto out;
			pages += !!j->src + !!j->dst;
			cond_resched();
		}
	} while (j->op == TM_JOB_STREAM && ktime_get_ns() < until);
out:
	tm_log_add(&j->m->log, &j->m->log.st.job_pages, pages);
	/* counted before the fence signals, so that a waiter sees it */
	tm_log_add(&j->m->log, ret ? &j->m->log.st.jobs_failed :
				     &j->m->log.st.jobs_completed, 1);
	/* done with the pages: before the fence signals, so a new SUBMIT fits */
	tm_job_unlist(j);
	return ret;
}

static void tm_job_release(struct tm_sched_job *sj)
{
	struct tm_job *j = container_of(sj, struct tm_job, base);
	struct tm_mirror *m = j->m;

	/* cancelled before it ran (the entity killed, a timeout) */
	if (!j->ran)
		tm_log_add(&m->log, &m->log.st.jobs_failed, 1);
	tm_job_unlist(j);	/* if it never ran */
	dma_fence_put(j->in_fence);
	kfree(j);
	tm_job_gone(&m->jobs);
}

/* ---------------------------------------------------------------------- */
/* SUBMIT                                                                 */

/* Fault [addr, end), in one binding, with the access the job needs. */
static int tm_job_fault(struct tm_mirror *m, unsigned long addr,
			unsigned long end, bool write)
{
	struct tm_seg *seg;
	unsigned long next;
	u64 installed;
	int ret;

	lockdep_assert_held(&m->lock);
	for (; addr < end; addr = next) {
		seg = tm_find_live(m, addr, end, &next);
		if (!seg)
			return -EFAULT;
		ret = tm_fault(m, seg, addr, next, write, &installed);
		if (ret)
			return ret;
	}
	return 0;
}

/* Are all entries of [addr, end) there, with @need? Table lock held. */
static bool tm_job_valid(struct tm_mirror *m, unsigned long addr,
			 unsigned long end, u64 need)
{
	unsigned long n, pfn;

	lockdep_assert_held(&m->table.lock);
	for (; addr < end; addr += n << PAGE_SHIFT) {
		n = tm_table_lookup_run(&m->table, addr, end, need, &pfn);
		if (!n)
			return false;
	}
	return true;
}

/**
 * tm_job_check_binding - the binding rules for one range of a job
 * @m: the mirror; structural lock held
 * @addr: the range, 0 for none
 * @size: its size
 * @write: the job writes it
 *
 * Return: 0, -ENOENT (not inside one binding), -EPERM (read-only binding).
 */
int tm_job_check_binding(struct tm_mirror *m, unsigned long addr,
			 unsigned long size, bool write)
{
	struct tm_binding *b;

	if (!addr)
		return 0;
	b = tm_find_binding(m, addr);
	if (!b || addr + size - 1 > b->it.last)
		return -ENOENT;
	if (write && !(b->flags & TM_BIND_WRITE))
		return -EPERM;
	return 0;
}

/* Fault until every page of the job is valid at once. Structural lock. */
static int tm_job_validate(struct tm_mirror *m, struct tm_job *j)
{
	unsigned int tries;
	bool valid;
	int ret;

	ret = tm_job_check_binding(m, j->src, j->size, false);
	if (!ret)
		ret = tm_job_check_binding(m, j->dst, j->size, true);
	for (tries = 0; !ret && tries < TM_JOB_TRIES; tries++) {
		mutex_lock(&m->table.lock);
		valid = (!j->src ||
			 tm_job_valid(m, j->src, j->src + j->size, 0)) &&
			(!j->dst ||
			 tm_job_valid(m, j->dst, j->dst + j->size, TM_ENT_WRITE));
		mutex_unlock(&m->table.lock);
		if (valid)
			return 0;
		if (tries)
			tm_log_add(&m->log, &m->log.st.retries, 1);
		if (j->src)
			ret = tm_job_fault(m, j->src, j->src + j->size, false);
		if (!ret && j->dst)
			ret = tm_job_fault(m, j->dst, j->dst + j->size, true);
		if (!ret)
			ret = tm_next_round();
	}
	/* the fault's -EBUSY too: the CPU page table kept changing */
	return ret && ret != -EBUSY ? ret : -EAGAIN;
}

/**
 * tm_job_check_desc - the argument rules of a job, either model
 * @d: the job
 *
 * Return: 0, -EINVAL, -E2BIG: see struct drm_test_mirror_submit.
 */
int tm_job_check_desc(const struct tm_job_desc *d)
{
	bool stream = d->op == TM_JOB_STREAM;
	int ret;

	if (d->op > TM_JOB_STREAM)
		return -EINVAL;
	if (!d->size || !PAGE_ALIGNED(d->size))
		return -EINVAL;
	if (d->size > TM_JOB_MAX_SIZE)
		return -E2BIG;
	if (stream ? d->duration_ms < 1 || d->duration_ms > TM_JOB_MAX_MS :
		     d->duration_ms)
		return -EINVAL;
	/* the ranges each op uses, and the value */
	switch (d->op) {
	case TM_JOB_COPY:
		if (!d->src || !d->dst || d->value ||
		    (d->src < d->dst + d->size && d->dst < d->src + d->size))
			return -EINVAL;
		break;
	case TM_JOB_FILL:
	case TM_JOB_ATOMIC:
		if (d->src || !d->dst)
			return -EINVAL;
		break;
	default:	/* STREAM: read src or write dst */
		if (!d->src == !d->dst || (d->src && d->value))
			return -EINVAL;
		break;
	}
	ret = d->src ? tm_check_range(d->src, d->size) : 0;
	return ret ?: (d->dst ? tm_check_range(d->dst, d->size) : 0);
}

/**
 * tm_job_new - a job of either model, from checked arguments
 * @m: the mirror
 * @d: the job
 *
 * Return: the job, not listed (free it with kfree()), or an ERR_PTR():
 * -ESRCH, -EACCES (the caller), -EINVAL, -E2BIG (@d), -ENOMEM.
 */
struct tm_job *tm_job_new(struct tm_mirror *m, const struct tm_job_desc *d)
{
	struct tm_job *j;
	int ret;

	ret = tm_check_caller(m);
	if (!ret)
		ret = tm_job_check_desc(d);
	if (ret)
		return ERR_PTR(ret);
	j = kzalloc_obj(*j, GFP_KERNEL_ACCOUNT);
	if (!j)
		return ERR_PTR(-ENOMEM);
	j->m = m;
	INIT_LIST_HEAD(&j->node);
	INIT_LIST_HEAD(&j->qnode);
	j->op = d->op;
	j->src = d->src;
	j->dst = d->dst;
	j->size = d->size;
	j->value = d->value;
	j->duration_ns = (u64)d->duration_ms * NSEC_PER_MSEC;
	return j;
}

/**
 * tm_jobs_admit - list a job on its mirror, within the per-file limit
 * @j: from tm_job_new(), the model's fields set; structural lock held
 *
 * From here on, every removal of entries the job may use waits for it (or,
 * in the fault model, asks for a TLB invalidation); a fault-model job is
 * also queued for the fault engine, its TLB empty at the current
 * generation.
 *
 * Return: 0, or -EBUSY: TM_JOBS_PER_FILE jobs of the file, of either model,
 * have not finished running.
 */
int tm_jobs_admit(struct tm_job *j)
{
	struct tm_jobs *js = &j->m->jobs;
	int ret = 0;

	lockdep_assert_held(&j->m->lock);
	spin_lock(&js->lock);
	if (js->nr_active >= TM_JOBS_PER_FILE) {
		ret = -EBUSY;
	} else {
		list_add_tail(&j->node, &js->active);
		js->nr_active++;
		js->nr_alive++;
		if (j->faultable) {
			j->tlb_gen = js->tlb_gen;
			list_add_tail(&j->qnode, &js->queue);
			js->nr_fault++;
		}
	}
	spin_unlock(&js->lock);
	return ret;
}

/**
 * tm_job_create - a validated job, ready for its dependencies
 * @m: the mirror
 * @e: the file's entity on the engine
 * @d: the job
 *
 * See "Jobs: the pre-validated model". The job is on the mirror's list from
 * here on; it ends in tm_job_push() or tm_job_abandon().
 *
 * Return: the job, or an ERR_PTR(): see struct drm_test_mirror_submit.
 */
struct tm_job *tm_job_create(struct tm_mirror *m, struct tm_sched_entity *e,
			     const struct tm_job_desc *d)
{
	struct tm_job *j;
	int ret;

	j = tm_job_new(m, d);
	if (IS_ERR(j))
		return j;
	ret = tm_sched_job_init(&j->base, e, tm_job_run, tm_job_release, m);
	if (ret) {
		kfree(j);
		return ERR_PTR(ret);
	}
	if (mutex_lock_killable(&m->lock)) {
		ret = -EINTR;
		goto out_abandon;
	}
	ret = tm_jobs_admit(j);
	if (!ret) {
		/* listed first: an invalidation from here on waits for it */
		ret = tm_job_validate(m, j);
		if (ret) {
			mutex_unlock(&m->lock);
			tm_job_abandon(j);
			return ERR_PTR(ret);
		}
	}
	mutex_unlock(&m->lock);
	if (!ret)
		return j;
out_abandon:
	tm_sched_job_abandon(&j->base);
	kfree(j);
	return ERR_PTR(ret);
}

/**
 * tm_job_add_syncobj - make a job wait for a syncobj's fence
 * @job: from tm_job_create(), not pushed
 * @file: the DRM file owning the handle
 * @handle: the syncobj handle
 * @point: the timeline point (0 for a binary syncobj)
 *
 * The job runs after that fence, and ends with its error instead of
 * running if the fence signalled one (drm_sched does not pass it on).
 *
 * Return: 0, -ENOENT (no such syncobj, or no fence), another errno.
 */
int tm_job_add_syncobj(struct tm_job *job, struct drm_file *file, u32 handle,
		       u64 point)
{
	struct dma_fence *fence;
	int ret;

	if (job->in_fence)
		return -EINVAL;
	ret = drm_syncobj_find_fence(file, handle, point, 0, &fence);
	if (ret == -EINVAL)
		ret = -ENOENT;	/* a syncobj without a fence: nothing to wait for */
	if (ret)
		return ret;
	job->in_fence = dma_fence_get(fence);
	return tm_sched_job_add_dependency(&job->base, fence);
}

/**
 * tm_job_push - arm a job and queue it on the engine
 * @job: from tm_job_create(), with its dependencies
 *
 * Return: the job's out-fence, a reference for the caller.
 */
struct dma_fence *tm_job_push(struct tm_job *job)
{
	struct tm_mirror *m = job->m;
	struct dma_fence *fence;

	tm_jobs_count_submit(m);
	fence = tm_sched_job_arm(&job->base);
	tm_sched_job_push(&job->base);
	return fence;
}

/**
 * tm_job_abandon - drop a job that was created and not pushed
 * @job: from tm_job_create()
 */
void tm_job_abandon(struct tm_job *job)
{
	struct tm_jobs *js = &job->m->jobs;

	tm_job_unlist(job);
	tm_sched_job_abandon(&job->base);
	dma_fence_put(job->in_fence);
	kfree(job);
	tm_job_gone(js);
}

/**
 * tm_jobs_cancel - the file is going: its jobs stop
 * @m: the mirror
 *
 * A running job stops at its next page and a queued one at its first: their
 * fences carry -ECANCELED. Call before the file's entity is destroyed.
 */
void tm_jobs_cancel(struct tm_mirror *m)
{
	WRITE_ONCE(m->jobs.closing, true);
}

static bool tm_jobs_idle(struct tm_jobs *js)
{
	bool idle;

	spin_lock(&js->lock);
	idle = !js->nr_alive;
	spin_unlock(&js->lock);
	return idle;
}

/**
 * tm_jobs_wait_idle - wait until every job of a mirror is freed
 * @m: the mirror, whose entity is destroyed (no job can be queued)
 */
void tm_jobs_wait_idle(struct tm_mirror *m)
{
	wait_var_event(&m->jobs.nr_alive, tm_jobs_idle(&m->jobs));
}
