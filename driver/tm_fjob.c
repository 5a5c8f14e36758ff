// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the device's jobs in the fault model: the fault engine, the
 * fault queue and its handler, the TLB and its invalidation, user fences.
 */

/**
 * DOC: Jobs: the fault model
 *
 * A fault-model job (SUBMIT with TEST_MIRROR_SUBMIT_FAULTABLE) is not made
 * valid before it runs: the device faults, the driver resolves the fault,
 * the device replays the access. This is the model of xe's and amdkfd's SVM,
 * of mlx5's on-demand paging and of nvidia-uvm's replayable faults, and it
 * has its own rules.
 *
 * **The fault engine.** Each file's fault-model jobs run in order on its
 * own work item (``tm_fexec``), not on the drm_sched engine of the
 * pre-validated model. The engine touches one page per *access*, as in
 * "Jobs: the pre-validated model" (an odd tm_job.seq, preemption off), but
 * through a small TLB of its own: TM_TLB_ENTRIES translations per job, kept
 * between accesses, filled from the device table (tm_table_peek(), no lock).
 * A translation missing from both, or read-only for a write, is a *device
 * fault*: the access ends, the fault goes into the device's fault queue
 * (TM_FAULTQ entries, bounded: a full queue makes the engine wait for room),
 * and the engine waits for its resolution, then replays the access.
 *
 * **The fault handler** (``tm_fault``, a worker of its own, not the
 * acknowledgment path) takes faults from the queue and resolves each with
 * the read_begin / hmm_range_fault() / read_retry loop (tm_fault(), as the
 * READ and WRITE ioctls), under the structural lock, with the opener's
 * memory cgroup active: the faulting page and, up to ``fault_batch_pages``,
 * the pages after it in the same range of the job, which the job is about
 * to touch (batching by adjacency; 1 resolves a page at a time). If the
 * batch cannot be faulted as a whole, the page alone is. A fault that
 * cannot be resolved ends the job: -EFAULT (unmapped, PROT_NONE, tracking
 * dropped, binding gone), -EPERM (a write to memory the CPU or the binding
 * makes read-only). A race with an invalidation only means another replay.
 *
 * **TLB invalidation.** Removing entries is not enough while the engine may
 * hold translations of them. tm_jobs_removed() (under the table lock, for
 * every removal: callback, unbind, segment teardown) requests a TLB
 * invalidation for each overlapping fault-model job: it bumps
 * tm_jobs.tlb_gen, and an engine access that sees a new generation empties
 * its TLB before it translates. The *acknowledgment* (tm_tlb_ack()) waits
 * for the accesses in flight that may have used an old translation, then
 * publishes the generation as acknowledged. It runs on a workqueue that is
 * ``WQ_MEM_RECLAIM``, because reclaim may be what is waiting, and
 * ``WQ_HIGHPRI``, which gives it a worker pool of its own: in the unbound
 * pool it once shared with the engine's works, which run for seconds, it
 * waited for a worker, and a munmap with two busy files took 4.7 ms instead
 * of 0.6 ms on 6.12. It allocates nothing, takes no sleeping lock and never
 * the mmap lock (lockdep is told it runs in reclaim). The callback releases the
 * table lock, then waits for the acknowledgment; it never waits for a
 * job, which may itself be waiting for a fault that needs the mmap lock
 * that munmap holds while it calls us. A callback that may not sleep (the
 * OOM reaper) returns false while an acknowledgment is outstanding, after
 * queueing it: the kernel calls again, and by then the engine has answered.
 * (tm_jobs' test makes process_mrelease() run such a reap of a killed
 * process while a slowed acknowledgment, ``tlb_ack_delay_ms``, is
 * outstanding: the reap fails with -EAGAIN.)
 * A removal that no running fault-model job can use (nothing removed
 * because the event-aware policy kept the entries, or write access removed
 * from pages that no such job writes) needs no invalidation: STATS count
 * it in tlb_flushes_avoided.
 *
 * **Two passes.** Where the kernel has the two-pass interval notifier
 * (TEST_MIRROR_CAP_TWO_PASS), the first pass (invalidate_start) removes the
 * entries and issues the invalidation, and the second (invalidate_finish)
 * waits for the acknowledgment, so that other notifiers' work overlaps the
 * engine's. The second pass comes from a pool of TM_TLB_FINISH per mirror;
 * with the pool empty, or ``two_pass`` off, the first pass waits.
 *
 * **User fences.** A job that may wait for a page fault cannot signal a
 * dma_fence: a fence must signal in bounded time without waiting for
 * memory ("Indefinite DMA Fences" in the dma-buf documentation). So this
 * model exposes none; the device writes the job's end into a user fence
 * (struct drm_test_mirror_ufence), through its own table like any of its
 * writes (faulting if need be): the error, then the sequence number, then
 * it wakes the file's WAIT_UFENCE waiters. The counters are updated before
 * the fence is written, so STATS read after the wait are exact.
 *
 * **The checker** of the pre-validated model covers this one too: a removal
 * is recorded (of the fault model's kind) once its acknowledgment came,
 * or before it is waited for with ``job_skip_inval_wait``.
 *
 * **Lifetime.** The file's release makes running jobs stop at their next
 * page (-ECANCELED) and queued ones before their first; a fault being
 * resolved completes first. The release then waits until every job is
 * freed. The invalidation and teardown paths of a segment wait for the
 * acknowledgment before its notifier goes, so no TLB entry outlives the
 * notifier that covered it.
 */

#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <drm/test_mirror_drm.h>

#include "tm_job_priv.h"

/* The device's fault queue. */
#define TM_FAULTQ		64

static struct workqueue_struct *tm_fexec_wq;
static struct workqueue_struct *tm_fault_wq;
static struct workqueue_struct *tm_tlb_wq;

static DEFINE_SPINLOCK(tm_faultq_lock);
static struct tm_fault_req *tm_faultq[TM_FAULTQ];
static unsigned int tm_faultq_head;
static unsigned int tm_faultq_len;
/* Engines waiting for their fault's resolution or for room in the queue. */
static DECLARE_WAIT_QUEUE_HEAD(tm_fault_wait);

static void tm_fault_handler(struct work_struct *work);
static DECLARE_WORK(tm_fault_work, tm_fault_handler);

/* Since load, every file: see struct tm_jobs_totals. */
static atomic64_t tm_fjobs_total = ATOMIC64_INIT(0);
static atomic64_t tm_fjobs_faults = ATOMIC64_INIT(0);
static atomic64_t tm_fjobs_flushes = ATOMIC64_INIT(0);
static atomic64_t tm_fjobs_nonblock = ATOMIC64_INIT(0);

/**
 * tm_fjobs_totals - the fault model's counters since load
 * @t: out: its fault-model fields
 */
void tm_fjobs_totals(struct tm_jobs_totals *t)
{
	t->fault_jobs = atomic64_read(&tm_fjobs_total);
	t->device_faults = atomic64_read(&tm_fjobs_faults);
	t->tlb_flushes = atomic64_read(&tm_fjobs_flushes);
	t->nonblock_ack_pending = atomic64_read(&tm_fjobs_nonblock);
}

/* ---------------------------------------------------------------------- */
/* TLB invalidation                                                       */

static bool tm_tlb_done(struct tm_jobs *js, unsigned long gen)
{
	/* acquire: pairs with tm_tlb_ack()'s release */
	return (long)(smp_load_acquire(&js->tlb_acked) - gen) >= 0;
}

/* The engine's acknowledgment of every invalidation requested so far. */
static void tm_tlb_ack(struct work_struct *work)
{
	struct tm_jobs *js = container_of(work, struct tm_jobs, ack_work);
	struct tm_mirror *m = container_of(js, struct tm_mirror, jobs);
	unsigned int delay = READ_ONCE(m->limits->tlb_ack_delay_ms);
	unsigned long gen;
	struct tm_job *j;

	/* a slow engine, for tests (the tlb_ack_delay_ms parameter) */
	if (delay)
		fsleep(delay * USEC_PER_MSEC);
	/* Runs for reclaim: lockdep reports an allocation that could recurse. */
	fs_reclaim_acquire(GFP_KERNEL);
	spin_lock(&js->lock);
	gen = js->tlb_gen;
	/* The new generation is visible before any access is looked at. */
	smp_mb();
	list_for_each_entry(j, &js->active, node)
		if (j->faultable)
			tm_job_wait_access(j);
	spin_unlock(&js->lock);
	/* release: the accesses have ended when the generation is seen */
	smp_store_release(&js->tlb_acked, gen);
	wake_up_all(&js->ack_wq);
	fs_reclaim_release(GFP_KERNEL);
}

/**
 * tm_fjob_removed - a removal hit a fault-model job: request a TLB
 *	invalidation
 * @js: the jobs; jobs lock held, the entries already removed
 *
 * One request covers every job of the mirror: the engine empties each TLB.
 */
void tm_fjob_removed(struct tm_jobs *js)
{
	lockdep_assert_held(&js->lock);
	js->tlb_gen++;
}

static void tm_tlb_issue(struct tm_mirror *m, unsigned long start,
			 unsigned long end, bool write_only)
{
	struct tm_jobs *js = &m->jobs;

	/* The debug switch: complete before the wait, as without it. */
	if (READ_ONCE(m->limits->job_skip_inval_wait)) {
		spin_lock(&js->lock);
		tm_jobs_record(js, start, end, write_only, true, true);
		spin_unlock(&js->lock);
	}
	queue_work(tm_tlb_wq, &js->ack_work);
}

static void tm_tlb_wait(struct tm_mirror *m, unsigned long gen,
			unsigned long start, unsigned long end, bool write_only)
{
	struct tm_jobs *js = &m->jobs;

	wait_event(js->ack_wq, tm_tlb_done(js, gen));
	if (!READ_ONCE(m->limits->job_skip_inval_wait)) {
		spin_lock(&js->lock);
		tm_jobs_record(js, start, end, write_only, false, true);
		spin_unlock(&js->lock);
	}
	tm_log_add(&m->log, &m->log.st.tlb_flushes, 1);
	atomic64_inc(&tm_fjobs_flushes);
}

/**
 * tm_fjob_tlb_sync - wait until the engine let go of removed entries
 * @m: the mirror; table lock not held
 * @start: first address of the entries the caller removed
 * @end: end (exclusive)
 *
 * For removals outside the callback (unbind, segment teardown): returns
 * once every TLB invalidation requested so far is acknowledged.
 */
void tm_fjob_tlb_sync(struct tm_mirror *m, unsigned long start,
		      unsigned long end)
{
	unsigned long gen = READ_ONCE(m->jobs.tlb_gen);

	lockdep_assert_not_held(&m->table.lock);
	if (tm_tlb_done(&m->jobs, gen))
		return;
	tm_tlb_issue(m, start, end, false);
	tm_tlb_wait(m, gen, start, end, false);
}

#if TM_HAVE_MN_TWO_PASS
static struct tm_tlb_finish *tm_tlb_finish_get(struct tm_jobs *js)
{
	struct tm_tlb_finish *f = NULL;
	unsigned int i;

	spin_lock(&js->lock);
	i = find_first_zero_bit(&js->fin_busy, TM_TLB_FINISH);
	if (i < TM_TLB_FINISH) {
		__set_bit(i, &js->fin_busy);
		f = &js->fin[i];
		f->slot = i;
	}
	spin_unlock(&js->lock);
	return f;
}

/**
 * tm_fjob_invalidate_finish - the second pass: wait for the acknowledgment
 * @finish: what tm_fjob_callback_end() handed the kernel
 */
void tm_fjob_invalidate_finish(struct mmu_interval_notifier_finish *finish)
{
	struct tm_tlb_finish *f = container_of(finish, struct tm_tlb_finish,
					       base);
	struct tm_jobs *js = &f->m->jobs;

	tm_tlb_wait(f->m, f->gen, f->start, f->end, f->write_only);
	spin_lock(&js->lock);
	__clear_bit(f->slot, &js->fin_busy);
	spin_unlock(&js->lock);
}
#endif

/**
 * tm_fjob_callback_end - the fault engine's part of an invalidation callback
 * @m: the mirror; table lock released
 * @range: the kernel's range
 * @g0: tm_jobs.tlb_gen when the callback took the table lock
 * @g1: tm_jobs.tlb_gen when it released it
 * @start: first address the callback removed entries of
 * @end: end (exclusive)
 * @write_only: it removed write access only
 * @finish: the kernel's second pass (two-pass notifiers), or NULL
 *
 * Return: what the callback returns: false if it may not sleep and the
 * engine's acknowledgment is outstanding.
 */
bool tm_fjob_callback_end(struct tm_mirror *m,
			  const struct mmu_notifier_range *range,
			  unsigned long g0, unsigned long g1,
			  unsigned long start, unsigned long end,
			  bool write_only,
			  struct mmu_interval_notifier_finish **finish)
{
	struct tm_jobs *js = &m->jobs;

	if (g1 == g0 && READ_ONCE(js->nr_fault))
		tm_log_add(&m->log, &m->log.st.tlb_flushes_avoided, 1);
	if (!mmu_notifier_range_blockable(range)) {
		if (tm_tlb_done(js, READ_ONCE(js->tlb_gen)))
			return true;
		queue_work(tm_tlb_wq, &js->ack_work);
		tm_log_add(&m->log, &m->log.st.nonblock_ack_pending, 1);
		atomic64_inc(&tm_fjobs_nonblock);
		return false;
	}
	if (g1 == g0 || tm_tlb_done(js, g1))
		return true;
	tm_tlb_issue(m, start, end, write_only);
#if TM_HAVE_MN_TWO_PASS
	if (finish && READ_ONCE(m->limits->two_pass)) {
		struct tm_tlb_finish *f = tm_tlb_finish_get(js);

		if (f) {
			f->m = m;
			f->gen = g1;
			f->start = start;
			f->end = end;
			f->write_only = write_only;
			*finish = &f->base;
			return true;
		}
	}
#endif
	tm_tlb_wait(m, g1, start, end, write_only);
	return true;
}

/* ---------------------------------------------------------------------- */
/* The fault queue and its handler                                        */

/* Fault [addr, end) of the job's binding. Structural lock held. */
static int tm_fault_range(struct tm_mirror *m, unsigned long addr,
			  unsigned long end, bool write, u64 *installed)
{
	struct tm_seg *seg;
	unsigned long next;
	u64 n;
	int ret;

	for (; addr < end; addr = next) {
		seg = tm_find_live(m, addr, end, &next);
		if (!seg)
			return -EFAULT;
		/* a binding made read-only since SUBMIT gives no write entry */
		if (write && !(seg->b->flags & TM_BIND_WRITE))
			return -EPERM;
		ret = tm_fault(m, seg, addr, next, write, &n);
		*installed += n;
		if (ret)
			return ret;
	}
	return 0;
}

static int tm_fault_resolve(struct tm_fault_req *f)
{
	struct tm_mirror *m = f->j->m;
	unsigned int batch = READ_ONCE(m->limits->fault_batch_pages);
	unsigned long end = min(f->end, f->addr + batch * PAGE_SIZE);
	struct mem_cgroup *old_memcg;
	u64 installed = 0;
	int ret;

	if (!mmget_not_zero(m->mm))
		return -EFAULT;
	/* What the table allocates is the opener's, like the rest. */
	old_memcg = set_active_memcg(m->memcg);
	mutex_lock(&m->lock);
	if (m->closing) {
		ret = -ECANCELED;
		goto out;
	}
	ret = tm_fault_range(m, f->addr, end, f->write, &installed);
	/* the batch fails as a whole: the faulting page decides */
	if ((ret == -EFAULT || ret == -EPERM) && end > f->addr + PAGE_SIZE)
		ret = tm_fault_range(m, f->addr, f->addr + PAGE_SIZE, f->write,
				     &installed);
out:
	mutex_unlock(&m->lock);
	set_active_memcg(old_memcg);
	mmput(m->mm);
	tm_log_add(&m->log, &m->log.st.fault_batches, 1);
	tm_log_add(&m->log, &m->log.st.fault_pages, installed);
	tm_log_add(&m->log, f->write ? &m->log.st.write_faults :
				       &m->log.st.read_faults, 1);
	/* an invalidation kept racing: the replay faults again */
	return ret == -EBUSY ? 0 : ret;
}

static void tm_fault_handler(struct work_struct *work)
{
	struct tm_fault_req *f;
	int ret;

	for (;;) {
		spin_lock(&tm_faultq_lock);
		if (!tm_faultq_len) {
			spin_unlock(&tm_faultq_lock);
			return;
		}
		f = tm_faultq[tm_faultq_head];
		tm_faultq_head = (tm_faultq_head + 1) % TM_FAULTQ;
		tm_faultq_len--;
		spin_unlock(&tm_faultq_lock);
		wake_up_all(&tm_fault_wait);	/* room */
		ret = tm_fault_resolve(f);
		f->ret = ret;
		/* release: the engine reads ret after done */
		smp_store_release(&f->done, true);
		wake_up_all(&tm_fault_wait);
	}
}

static bool tm_faultq_room(void)
{
	return READ_ONCE(tm_faultq_len) < TM_FAULTQ;
}

/* Raise a device fault and wait for its resolution. 0: replay. */
static int tm_fjob_fault(struct tm_job *j, unsigned long addr,
			 unsigned long end, bool write)
{
	struct tm_fault_req *f = &j->fault;

	f->j = j;
	f->addr = addr;
	f->end = end;
	f->write = write;
	f->ret = 0;
	f->done = false;
	tm_log_add(&j->m->log, &j->m->log.st.device_faults, 1);
	atomic64_inc(&tm_fjobs_faults);
	spin_lock(&tm_faultq_lock);
	while (tm_faultq_len == TM_FAULTQ) {
		spin_unlock(&tm_faultq_lock);
		wait_event(tm_fault_wait, tm_faultq_room());
		spin_lock(&tm_faultq_lock);
	}
	tm_faultq[(tm_faultq_head + tm_faultq_len) % TM_FAULTQ] = f;
	tm_faultq_len++;
	spin_unlock(&tm_faultq_lock);
	queue_work(tm_fault_wq, &tm_fault_work);
	/* acquire: pairs with the handler's release */
	wait_event(tm_fault_wait, smp_load_acquire(&f->done));
	return f->ret;
}

/* ---------------------------------------------------------------------- */
/* The fault engine                                                       */

/* A translation for @addr, from the TLB or the table. Inside an access. */
static bool tm_fjob_translate(struct tm_job *j, unsigned long addr,
			      bool write, unsigned long *pfn,
			      struct folio **folio)
{
	struct tm_tlbe *e = &j->tlb[(addr >> PAGE_SHIFT) % TM_TLB_ENTRIES];

	if (e->va != addr || (write && !e->write)) {
		if (!tm_job_frame(j->m, addr, write, &e->pfn, &e->folio)) {
			e->va = 0;
			return false;
		}
		e->va = addr;
		e->write = write;
	}
	*pfn = e->pfn;
	*folio = e->folio;
	return true;
}

/* Open an access, then drop a TLB that was invalidated since its last. */
static unsigned long tm_fjob_open(struct tm_job *j)
{
	unsigned long e0 = tm_job_open(j), gen;

	/* acquire: the removal behind a new generation is seen */
	gen = smp_load_acquire(&j->m->jobs.tlb_gen);
	if (gen != j->tlb_gen) {
		memset(j->tlb, 0, sizeof(j->tlb));
		j->tlb_gen = gen;
	}
	return e0;
}

/*
 * One access: the page at @off of each range. 0, or -EAGAIN with the page
 * to fault in *@fault (and whether a write needs it).
 */
static int tm_fjob_access(struct tm_job *j, unsigned long off,
			  unsigned long *fault, bool *write)
{
	struct folio *sf = NULL, *df = NULL;
	unsigned long spfn = 0, dpfn = 0, e0;

	e0 = tm_fjob_open(j);
	if (j->src && !tm_fjob_translate(j, j->src + off, false, &spfn, &sf)) {
		*fault = j->src + off;
		*write = false;
		goto miss;
	}
	if (j->dst && !tm_fjob_translate(j, j->dst + off, true, &dpfn, &df)) {
		*fault = j->dst + off;
		*write = true;
		goto miss;
	}
	tm_job_touch(j, spfn, sf, dpfn, df);
	tm_job_checks(j, off, e0, tm_job_close(j));
	return 0;
miss:
	tm_job_close(j);
	return -EAGAIN;
}

/* The end of @addr's range of the job, for the fault handler's batch. */
static unsigned long tm_fjob_range_end(struct tm_job *j, unsigned long addr)
{
	if (j->src && addr >= j->src && addr < j->src + j->size)
		return j->src + j->size;
	if (j->dst && addr >= j->dst && addr < j->dst + j->size)
		return j->dst + j->size;
	return (addr & PAGE_MASK) + PAGE_SIZE;
}

/* Write the user fence: the error, then the sequence number. */
static int tm_fjob_signal(struct tm_job *j, int error)
{
	unsigned long page = j->ufence_addr & PAGE_MASK, pfn, e0, e1;
	unsigned int tries;
	struct folio *folio;
	struct drm_test_mirror_ufence *uf;
	void *p;
	int ret;

	for (tries = 0; tries < 8; tries++) {
		e0 = tm_fjob_open(j);
		if (!tm_fjob_translate(j, page, true, &pfn, &folio)) {
			tm_job_close(j);
			ret = tm_fjob_fault(j, page, page + PAGE_SIZE, true);
			if (ret)
				return ret;
			continue;
		}
		p = kmap_local_pfn(pfn);
		uf = p + offset_in_page(j->ufence_addr);
		WRITE_ONCE(uf->error, error);
		WRITE_ONCE(uf->pad, 0);
		/* the error is there before the sequence number says so */
		smp_wmb();
		WRITE_ONCE(uf->seqno, j->ufence_value);
		kunmap_local(p);
		folio_mark_dirty(folio);
		e1 = tm_job_close(j);
		if (e1 != e0)
			tm_job_check(j, page, true, e0, e1);
		return 0;
	}
	return -EAGAIN;
}

static int tm_fjob_run(struct tm_job *j, unsigned long *pages)
{
	struct tm_jobs *js = &j->m->jobs;
	u64 now = ktime_get_ns(), until = now + j->duration_ns;
	u64 deadline = now + (u64)max(j->m->limits->job_timeout_ms, 1U) *
			     NSEC_PER_MSEC;
	unsigned long off, fault;
	bool write;
	int ret;

	do {
		for (off = 0; off < j->size;) {
			if (READ_ONCE(js->closing))
				return -ECANCELED;
			if (ktime_get_ns() > deadline)
				return -ETIMEDOUT;
			ret = tm_fjob_access(j, off, &fault, &write);
			if (ret == -EAGAIN) {
				ret = tm_fjob_fault(j, fault,
						    tm_fjob_range_end(j, fault),
						    write);
				if (ret)
					return ret;
				continue;	/* replay */
			}
			*pages += !!j->src + !!j->dst;
			off += PAGE_SIZE;
			cond_resched();
		}
	} while (j->op == TM_JOB_STREAM && ktime_get_ns() < until);
	return 0;
}

static void tm_fjob_exec(struct work_struct *work)
{
	struct tm_jobs *js = container_of(work, struct tm_jobs, exec_work);
	struct tm_mirror *m = container_of(js, struct tm_mirror, jobs);
	unsigned long pages;
	struct tm_job *j;
	int ret;

	for (;;) {
		spin_lock(&js->lock);
		j = list_first_entry_or_null(&js->queue, struct tm_job, qnode);
		if (j)
			list_del_init(&j->qnode);
		spin_unlock(&js->lock);
		if (!j)
			return;
		j->ran = true;
		pages = 0;
		ret = tm_fjob_run(j, &pages);
		tm_log_add(&m->log, &m->log.st.job_pages, pages);
		/* counted before the fence, so that a waiter sees it */
		tm_log_add(&m->log, ret ? &m->log.st.jobs_failed :
					  &m->log.st.jobs_completed, 1);
		tm_fjob_signal(j, ret);
		tm_job_unlist(j);
		/* the fence is in memory before the waiters look again */
		smp_mb();
		WRITE_ONCE(js->ufence_seq, js->ufence_seq + 1);
		wake_up_all(&js->ufence_wq);
		kfree(j);
		tm_job_gone(js);
	}
}

/* ---------------------------------------------------------------------- */
/* SUBMIT and WAIT_UFENCE                                                 */

/**
 * tm_fjob_submit - queue a fault-model job
 * @m: the mirror
 * @d: the job
 * @ufence_addr: its user fence (struct drm_test_mirror_ufence)
 * @ufence_value: the sequence number written there at its end
 *
 * Faults nothing: see "Jobs: the fault model".
 *
 * Return: 0, or an errno of struct drm_test_mirror_submit (nothing queued).
 */
int tm_fjob_submit(struct tm_mirror *m, const struct tm_job_desc *d,
		   u64 ufence_addr, u64 ufence_value)
{
	struct tm_job *j;
	int ret;

	j = tm_job_new(m, d);
	if (IS_ERR(j))
		return PTR_ERR(j);
	if (!ufence_addr || !IS_ALIGNED(ufence_addr, 16) || !ufence_value) {
		kfree(j);
		return -EINVAL;
	}
	j->faultable = true;
	j->ufence_addr = ufence_addr;
	j->ufence_value = ufence_value;
	if (mutex_lock_killable(&m->lock)) {
		kfree(j);
		return -EINTR;
	}
	ret = tm_job_check_binding(m, j->src, j->size, false);
	if (!ret)
		ret = tm_job_check_binding(m, j->dst, j->size, true);
	if (!ret)
		ret = tm_job_check_binding(m, j->ufence_addr,
					   sizeof(struct drm_test_mirror_ufence),
					   true);
	if (!ret)
		ret = tm_jobs_admit(j);
	mutex_unlock(&m->lock);
	if (ret) {
		kfree(j);
		return ret;
	}
	tm_jobs_count_submit(m);
	atomic64_inc(&tm_fjobs_total);
	queue_work(tm_fexec_wq, &m->jobs.exec_work);
	return 0;
}

/**
 * tm_fjob_wait_ufence - wait until a 64-bit value in memory reaches another
 * @m: the caller's mirror (whose user fences wake it)
 * @addr: the value's address, 8-byte aligned
 * @value: the value to reach
 * @timeout_ns: how long to wait (0: only look)
 *
 * Return: 0, -EINVAL, -EFAULT, -ETIME, -ERESTARTSYS, -EACCES, -ESRCH: see
 * struct drm_test_mirror_wait_ufence.
 */
int tm_fjob_wait_ufence(struct tm_mirror *m, u64 addr, u64 value,
			s64 timeout_ns)
{
	u64 __user *p = u64_to_user_ptr(addr);
	struct tm_jobs *js = &m->jobs;
	unsigned long seen;
	ktime_t deadline, left;
	int ret;
	u64 v;

	/* the mirrored process's fences: another's memory is not the device's */
	ret = tm_check_caller(m);
	if (ret)
		return ret;
	if (!IS_ALIGNED(addr, sizeof(u64)) || timeout_ns < 0)
		return -EINVAL;
	/*
	 * An hrtimer against the clock, not jiffies: jiffies can lag the
	 * clock by a few ticks, and -ETIME must never come before @timeout_ns
	 * has passed.
	 */
	deadline = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
	for (;;) {
		seen = READ_ONCE(js->ufence_seq);
		/* the count is read before the value (pairs with the engine) */
		smp_rmb();
		if (get_user(v, p))
			return -EFAULT;
		if (v >= value)
			return 0;
		left = ktime_sub(deadline, ktime_get());
		if (!timeout_ns || left <= 0)
			return -ETIME;
		ret = wait_event_interruptible_hrtimeout(js->ufence_wq,
							 READ_ONCE(js->ufence_seq) != seen,
							 left);
		/* woken or timed out: look at the value once more */
		if (ret == -ERESTARTSYS)
			return ret;
	}
}

/* ---------------------------------------------------------------------- */
/* Set-up and teardown                                                    */

/**
 * tm_fjobs_init - a mirror's fault-model state, empty
 * @js: the mirror's jobs, being initialised
 */
void tm_fjobs_init(struct tm_jobs *js)
{
	js->nr_fault = 0;
	js->tlb_gen = 0;
	js->tlb_acked = 0;
	INIT_WORK(&js->ack_work, tm_tlb_ack);
	init_waitqueue_head(&js->ack_wq);
	INIT_LIST_HEAD(&js->queue);
	INIT_WORK(&js->exec_work, tm_fjob_exec);
	js->ufence_seq = 0;
	init_waitqueue_head(&js->ufence_wq);
	js->fin_busy = 0;
}

/**
 * tm_fjobs_fini - the mirror goes: no work of its may remain
 * @m: the mirror, whose jobs are all freed and bindings gone
 */
void tm_fjobs_fini(struct tm_mirror *m)
{
	flush_work(&m->jobs.exec_work);
	cancel_work_sync(&m->jobs.ack_work);
}

/**
 * tm_fjobs_module_init - the fault engine's, the handler's and the
 *	acknowledgment's workqueues
 *
 * Return: 0 or -ENOMEM.
 */
int tm_fjobs_module_init(void)
{
	tm_fexec_wq = alloc_workqueue("tm_fexec", WQ_UNBOUND, 0);
	tm_fault_wq = alloc_workqueue("tm_fault", WQ_UNBOUND, 0);
	/*
	 * The acknowledgment must run when reclaim waits for it (a rescuer),
	 * and soon: high priority, which also gives it a worker pool of its
	 * own, away from the engine's long works ("TLB invalidation").
	 */
	tm_tlb_wq = alloc_workqueue("tm_tlb",
				    WQ_UNBOUND | WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (tm_fexec_wq && tm_fault_wq && tm_tlb_wq)
		return 0;
	tm_fjobs_module_exit();
	return -ENOMEM;
}

/**
 * tm_fjobs_module_exit - destroy the workqueues (every file is gone)
 */
void tm_fjobs_module_exit(void)
{
	if (tm_tlb_wq)
		destroy_workqueue(tm_tlb_wq);
	if (tm_fault_wq)
		destroy_workqueue(tm_fault_wq);
	if (tm_fexec_wq)
		destroy_workqueue(tm_fexec_wq);
	tm_tlb_wq = NULL;
	tm_fault_wq = NULL;
	tm_fexec_wq = NULL;
}
