// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the mirror core.
 *
 * DOC: Mirror core
 *
 * A struct tm_mirror is one device context: a device page table (tm_table.c)
 * that mirrors part of one process's address space, the bindings that say
 * which part, and the mmu_interval_notifier callbacks that keep the table
 * coherent with the CPU page table.
 *
 * Bindings and segments. A binding is what userspace asked for: a range,
 * an access (read or read-write) and a handle. The CPU may later unmap part
 * of it; the device must then stop mirroring that part even if something new
 * is mapped there, until userspace binds again. So a binding is tracked by
 * one or more segments, each with its own mmu_interval_notifier. An UNMAP
 * callback cannot remove or insert notifiers (removal waits for the callback
 * itself), so it only records the unmapped part as a "cut" in the segment,
 * which stops device access there at once, and queues a work item. The work
 * item, in process context, replaces the segment by new segments covering
 * the parts still mapped and removes the old notifier.
 *
 * The fault path. A device access looks the page up in the table under the
 * table lock. If the entry is missing, or read-only for a write, the device
 * "faults": with the table lock dropped it runs the usual HMM sequence
 * (mmu_interval_read_begin(), hmm_range_fault() under mmap_read_lock(),
 * allocation of table memory), then takes the table lock, and only if
 * mmu_interval_read_retry() says no invalidation ran in between, installs
 * the result. Data is copied page by page straight between the mirrored page
 * and the user buffer, under the table lock, with page faults disabled, so
 * the copy can neither outlive an invalidation nor fault while holding the
 * lock the callback takes. When the user buffer is not present, the lock is
 * dropped, the buffer faulted in, and the copy retried: the data moves once,
 * with no bounce buffer. Like a DMA cut short, a device write whose source
 * stops being readable part way through a page has changed the start of
 * that page; if the entry is gone when the source is readable again, the
 * write fails there, at that page (the uAPI says so). Whatever reached a
 * page, a part of it included, is marked dirty under the same hold of the
 * lock: a clean page may be dropped by reclaim, its older copy coming back.
 *
 * Locking, outermost first:
 *
 * 1. tm_mirror.lock, the structural lock (mutex): bindings, segments,
 *    handles, the fault buffer, table allocation (tm_table_prepare() and
 *    tm_table_trim()). Taken by ioctls and the work item; never by the
 *    notifier callback. hmm_range_fault() runs under it, which is fine
 *    because the callbacks it may trigger do not take it.
 * 2. mmap_read_lock(), around hmm_range_fault() only.
 * 3. tm_mirror.table_lock (mutex): table entries, segment cuts, the pending
 *    list and the released flag. Taken by the invalidate callback (trylock
 *    when the callback may not block). Because the callback can run from
 *    reclaim, nothing under table_lock allocates memory or faults user
 *    memory: allocation happens in tm_table_prepare() before it is taken,
 *    and user copies run with page faults disabled.
 * 4. tm_mirror.log_lock (spinlock): statistics and the event log; taken
 *    last, also by a non-blockable callback that found table_lock busy.
 */

#include <linux/hmm.h>
#include <linux/interval_tree.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "tm_inject.h"
#include "tm_mirror.h"
#include "tm_table.h"

#define CREATE_TRACE_POINTS
#include "tm_trace.h"

/* Cuts a segment can hold before the work item splits it. */
#define TM_MAX_CUTS		8
/* Pages copied per hold of the table lock. */
#define TM_COPY_BATCH		512
/* Pages per SNAPSHOT batch. */
#define TM_SNAP_BATCH		256
/* Pages per migrate_vma_setup() call. */
#define TM_MIGRATE_BATCH	64
/* Segments per file, beyond one per binding. */
#define TM_MAX_SEGS		(READ_ONCE(tm_max_bindings) + 4096)
/* A page refaulted this many times in a row by one access gives -EBUSY. */
#define TM_MAX_REFAULTS		64

struct tm_cut {
	unsigned long start;
	unsigned long end;
};

/**
 * struct tm_binding - what userspace bound
 * @it: [start, last] in tm_mirror.bindings.
 * @handle: the handle userspace knows.
 * @flags: TM_BIND_* access bits.
 */
struct tm_binding {
	struct interval_tree_node it;
	u32 handle;
	unsigned int flags;
};

/**
 * struct tm_seg - a tracked part of a binding
 * @notifier: the interval notifier covering [@start, @end).
 * @it: [start, end - 1] in tm_mirror.segs.
 * @m: the mirror.
 * @b: the binding this segment tracks part of.
 * @start: first address.
 * @end: end (exclusive).
 * @pending: on tm_mirror.pending while the work item has to split it.
 * @nr_cuts: used entries of @cuts.
 * @cuts: sorted, disjoint parts whose tracking UNMAP dropped.
 * @dead: the whole segment was dropped.
 * @listed: in tm_mirror.segs. While a split runs, the old segment and the
 *	new ones are live together and an UNMAP reaches both; only the listed
 *	one counts the pages in pages_dropped.
 *
 * @pending, @nr_cuts, @cuts, @dead and @listed are protected by the table
 * lock.
 */
struct tm_seg {
	struct mmu_interval_notifier notifier;
	struct interval_tree_node it;
	struct tm_mirror *m;
	struct tm_binding *b;
	unsigned long start;
	unsigned long end;
	struct list_head pending;
	unsigned int nr_cuts;
	struct tm_cut cuts[TM_MAX_CUTS];
	bool dead;
	bool listed;
};

/**
 * struct tm_mirror - one device context
 * @lock: structural lock, see the locking comment at the top of the file.
 * @mm: the mirrored address space (mmgrab()ed).
 * @memcg: the opener's memory cgroup, charged for what the work item
 *	allocates for this file.
 * @owner: the device, hmm_range_fault()'s dev_private_owner. The owner of
 *	MIGRATE/EXCLUSIVE ranges this mirror starts is the mirror itself, so
 *	that another file of the same device never mistakes them for its own.
 * @event_aware: per-event policy (else invalidate on every event).
 * @closing: the file is being released; the work item must stop.
 * @bindings: interval tree of struct tm_binding.
 * @segs: interval tree of struct tm_seg.
 * @handles: handle to struct tm_binding.
 * @nr_bindings: live bindings.
 * @nr_segs: live segments.
 * @pfns: hmm_range_fault() output buffer, @chunk entries.
 * @chunk: pages per hmm_range_fault() call.
 * @work: splits segments that UNMAP cut.
 * @debugfs: this mirror's debugfs directory.
 * @table_lock: protects @table, @pending, @released and segment cuts.
 * @table: the device page table.
 * @pending: segments the work item must split.
 * @released: the mm has gone (RELEASE event).
 * @log_lock: protects @st and the event log.
 * @st: counters.
 * @log: event log ring of @log_len records.
 * @log_len: ring size.
 * @log_head: index of the oldest record.
 * @log_count: records in the ring.
 * @log_seq: sequence number of the last record.
 * @log_lost: records overwritten unread.
 */
struct tm_mirror {
	struct mutex lock;
	struct mm_struct *mm;
	struct mem_cgroup *memcg;
	void *owner;
	bool event_aware;
	bool closing;
	struct rb_root_cached bindings;
	struct rb_root_cached segs;
	struct xarray handles;
	unsigned int nr_bindings;
	unsigned int nr_segs;
	unsigned long *pfns;
	unsigned int chunk;
	struct work_struct work;
	struct dentry *debugfs;

	struct mutex table_lock;
	struct tm_table table;
	struct list_head pending;
	bool released;

	spinlock_t log_lock;
	struct tm_stats st;
	struct tm_event_rec *log;
	unsigned int log_len;
	unsigned int log_head;
	unsigned int log_count;
	u64 log_seq;
	u64 log_lost;
};

static const struct mmu_interval_notifier_ops tm_seg_ops;
static atomic_t tm_mirror_ids = ATOMIC_INIT(0);

/* ---------------------------------------------------------------------- */
/* Statistics and the event log                                           */

static void tm_log(struct tm_mirror *m, struct tm_seg *seg,
		   const struct mmu_notifier_range *range,
		   enum tm_action action, unsigned long entries)
{
	bool blockable = mmu_notifier_range_blockable(range);
	struct tm_event_rec *r;
	unsigned long flags;

	spin_lock_irqsave(&m->log_lock, flags);
	if (range->event < TM_NR_EVENTS)
		m->st.events[range->event]++;
	if (!blockable) {
		m->st.nonblock_calls++;
		if (action == TM_ACTION_BUSY)
			m->st.nonblock_busy++;
	}
	if (action == TM_ACTION_DOWNGRADE)
		m->st.entries_downgraded += entries;
	else if (action != TM_ACTION_SKIP && action != TM_ACTION_BUSY)
		m->st.entries_invalidated += entries;

	if (m->log_count == m->log_len) {
		m->log_head = (m->log_head + 1) % m->log_len;
		m->log_count--;
		m->log_lost++;
	}
	r = &m->log[(m->log_head + m->log_count) % m->log_len];
	m->log_count++;
	r->seq = ++m->log_seq;
	r->start = range->start;
	r->end = range->end;
	r->event = range->event;
	r->action = action;
	r->blockable = blockable;
	r->handle = seg->b->handle;
	r->entries = entries;
	spin_unlock_irqrestore(&m->log_lock, flags);
	trace_tm_invalidate(seg->b->handle, range->start, range->end,
			    range->event, action, blockable, entries);
}

static void tm_count(struct tm_mirror *m, u64 *counter, u64 n)
{
	unsigned long flags;

	spin_lock_irqsave(&m->log_lock, flags);
	*counter += n;
	spin_unlock_irqrestore(&m->log_lock, flags);
}

/* ---------------------------------------------------------------------- */
/* Segments and cuts                                                      */

static bool tm_seg_dropped(const struct tm_seg *seg, unsigned long addr)
{
	unsigned int i;

	if (seg->dead)
		return true;
	for (i = 0; i < seg->nr_cuts; i++)
		if (addr >= seg->cuts[i].start && addr < seg->cuts[i].end)
			return true;
	return false;
}

/* End of the live run that starts at @addr, at most @stop. */
static unsigned long tm_seg_live_end(const struct tm_seg *seg,
				     unsigned long addr, unsigned long stop)
{
	unsigned int i;

	for (i = 0; i < seg->nr_cuts; i++)
		if (seg->cuts[i].start > addr && seg->cuts[i].start < stop)
			stop = seg->cuts[i].start;
	return stop;
}

/* Bytes of [start, end) that no cut of @seg covers yet. */
static unsigned long tm_seg_uncut(const struct tm_seg *seg,
				  unsigned long start, unsigned long end)
{
	unsigned long len = end - start;
	unsigned int i;

	for (i = 0; i < seg->nr_cuts; i++)
		if (seg->cuts[i].start < end && seg->cuts[i].end > start)
			len -= min(end, seg->cuts[i].end) -
			       max(start, seg->cuts[i].start);
	return len;
}

/*
 * Record that the tracking of [start, end) is dropped; its entries must be
 * gone already. Called from the invalidate callback, so it must not
 * allocate: cuts live in a small array in the segment, kept sorted and
 * merged. An UNMAP the cuts cover already (the kernel raises some twice)
 * changes nothing. When the array overflows, the two closest cuts merge
 * into one: the pages between them lose their tracking too, and their
 * entries are removed here, under the same hold of the table lock, because
 * the split that follows leaves those pages out of every new segment; no
 * entry may outlive the notifier that covers it. The work item normally
 * empties the array long before that.
 *
 * @carried: the cut is carried over from the segment @seg replaces, whose
 * pages_dropped count has it already (only a merged gap is counted).
 *
 * Return: entries removed from merged gaps.
 */
static unsigned long tm_seg_cut(struct tm_mirror *m, struct tm_seg *seg,
				unsigned long start, unsigned long end,
				bool carried)
{
	struct tm_cut c[TM_MAX_CUTS + 1];
	unsigned long dropped, n = 0, gap;
	unsigned int i, nr, best;

	lockdep_assert_held(&m->table_lock);
	start = max(start, seg->start);
	end = min(end, seg->end);
	if (seg->dead || start >= end)
		return 0;
	dropped = tm_seg_uncut(seg, start, end);
	if (!dropped)
		return 0;
	if (carried || !seg->listed)
		dropped = 0;
	if (start <= seg->start && end >= seg->end) {
		seg->dead = true;
		seg->nr_cuts = 0;
		goto queue;
	}
	/* Insert in order, then coalesce overlapping or adjacent cuts. */
	nr = 0;
	for (i = 0; i < seg->nr_cuts && seg->cuts[i].start < start; i++)
		c[nr++] = seg->cuts[i];
	c[nr].start = start;
	c[nr++].end = end;
	for (; i < seg->nr_cuts; i++)
		c[nr++] = seg->cuts[i];
	for (i = 0; i + 1 < nr;) {
		if (c[i].end >= c[i + 1].start) {
			c[i].end = max(c[i].end, c[i + 1].end);
			memmove(&c[i + 1], &c[i + 2], (nr - i - 2) * sizeof(*c));
			nr--;
		} else {
			i++;
		}
	}
	if (nr > TM_MAX_CUTS) {
		best = 0;
		for (i = 1; i + 1 < nr; i++)
			if (c[i + 1].start - c[i].end <
			    c[best + 1].start - c[best].end)
				best = i;
		gap = c[best + 1].start - c[best].end;
		n = tm_table_invalidate(&m->table, c[best].end,
					c[best + 1].start);
		dropped += gap;
		c[best].end = c[best + 1].end;
		memmove(&c[best + 1], &c[best + 2], (nr - best - 2) * sizeof(*c));
		nr--;
	}
	memcpy(seg->cuts, c, nr * sizeof(*c));
	seg->nr_cuts = nr;
queue:
	tm_count(m, &m->st.pages_dropped, dropped >> PAGE_SHIFT);
	if (list_empty(&seg->pending))
		list_add_tail(&seg->pending, &m->pending);
	queue_work(system_unbound_wq, &m->work);
	return n;
}

static struct tm_seg *tm_seg_new(struct tm_mirror *m, struct tm_binding *b,
				 unsigned long start, unsigned long end,
				 bool listed)
{
	struct tm_seg *seg;
	int ret;

	seg = kzalloc(sizeof(*seg), GFP_KERNEL_ACCOUNT);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->m = m;
	seg->b = b;
	seg->start = start;
	seg->end = end;
	seg->it.start = start;
	seg->it.last = end - 1;
	seg->listed = listed;
	INIT_LIST_HEAD(&seg->pending);
	ret = mmu_interval_notifier_insert(&seg->notifier, m->mm, start,
					   end - start, &tm_seg_ops);
	if (ret) {
		kfree(seg);
		return ERR_PTR(ret);
	}
	return seg;
}

/*
 * Structural lock held. Removes the segment, then its entries: after
 * mmu_interval_notifier_remove() no callback can queue it again.
 */
static void tm_seg_free(struct tm_mirror *m, struct tm_seg *seg)
{
	interval_tree_remove(&seg->it, &m->segs);
	m->nr_segs--;
	mmu_interval_notifier_remove(&seg->notifier);
	mutex_lock(&m->table_lock);
	tm_table_invalidate(&m->table, seg->start, seg->end);
	list_del_init(&seg->pending);
	mutex_unlock(&m->table_lock);
	kfree(seg);
}

static struct tm_binding *tm_find_binding(struct tm_mirror *m,
					  unsigned long addr)
{
	struct interval_tree_node *it;

	it = interval_tree_iter_first(&m->bindings, addr, addr);
	return it ? container_of(it, struct tm_binding, it) : NULL;
}

static struct tm_seg *tm_find_seg(struct tm_mirror *m, unsigned long addr)
{
	struct interval_tree_node *it;

	it = interval_tree_iter_first(&m->segs, addr, addr);
	return it ? container_of(it, struct tm_seg, it) : NULL;
}

/*
 * Fault injection (tm_inject.h): when armed, fail the allocation of the
 * second new segment, but only after the first one has been cut by an
 * UNMAP (or 10 s have passed), so that the rollback meets a new segment
 * that an invalidation has queued. Structural lock held.
 */
static bool tm_split_injected(struct tm_mirror *m, struct tm_seg *first)
{
	unsigned long deadline = jiffies + 10 * HZ;
	bool cut = false;

	if (!tm_inject_split_begin())
		return false;
	while (!cut && time_before(jiffies, deadline)) {
		usleep_range(1000, 2000);
		mutex_lock(&m->table_lock);
		cut = !list_empty(&first->pending);
		mutex_unlock(&m->table_lock);
	}
	tm_inject_split_end(cut);
	return true;
}

/*
 * Replace @old by segments for its live parts. Structural lock held. New
 * notifiers are inserted before the old one is removed, so at every moment
 * some notifier covers each live page. Callbacks may still reach @old until
 * mmu_interval_notifier_remove() returns, and an invalidation that began
 * before a new notifier was inserted does not call it: so the cuts are
 * carried over from @old only after the removal, when they are final.
 */
static void tm_seg_split(struct tm_mirror *m, struct tm_seg *old)
{
	struct tm_seg *parts[TM_MAX_CUTS + 1];
	struct tm_cut cuts[TM_MAX_CUTS];
	unsigned int nr_cuts, nr = 0, i, j;
	unsigned long pos;
	bool dead;

	mutex_lock(&m->table_lock);
	dead = old->dead;
	nr_cuts = old->nr_cuts;
	memcpy(cuts, old->cuts, sizeof(cuts));
	mutex_unlock(&m->table_lock);

	if (!dead) {
		/*
		 * Segments are bounded per file: past the bound the segment
		 * keeps its cuts (they stay effective) and is not split.
		 */
		if (m->nr_segs + nr_cuts > TM_MAX_SEGS)
			return;
		if (!mmget_not_zero(m->mm))
			return;
		pos = old->start;
		for (i = 0; i <= nr_cuts; i++) {
			unsigned long end = i < nr_cuts ? cuts[i].start : old->end;
			struct tm_seg *seg;

			if (end > pos) {
				if (nr == 1 && tm_split_injected(m, parts[0]))
					break;
				seg = tm_seg_new(m, old->b, pos, end, false);
				if (IS_ERR(seg))
					break;
				parts[nr++] = seg;
			}
			if (i < nr_cuts)
				pos = cuts[i].end;
		}
		mmput(m->mm);
		if (i <= nr_cuts) {
			/*
			 * Out of memory: keep the old segment and its cuts. Its
			 * notifier is live, so it received every invalidation
			 * the new ones did; but a new one that an UNMAP cut is
			 * queued on the pending list, and must leave it before
			 * it is freed.
			 */
			while (nr--) {
				mmu_interval_notifier_remove(&parts[nr]->notifier);
				mutex_lock(&m->table_lock);
				list_del_init(&parts[nr]->pending);
				mutex_unlock(&m->table_lock);
				kfree(parts[nr]);
			}
			return;
		}
	}

	mutex_lock(&m->table_lock);
	for (j = 0; j < nr; j++) {
		interval_tree_insert(&parts[j]->it, &m->segs);
		m->nr_segs++;
		parts[j]->listed = true;
	}
	interval_tree_remove(&old->it, &m->segs);
	m->nr_segs--;
	old->listed = false;
	mutex_unlock(&m->table_lock);
	mmu_interval_notifier_remove(&old->notifier);

	mutex_lock(&m->table_lock);
	for (j = 0; j < nr; j++) {
		for (i = 0; i < old->nr_cuts; i++)
			tm_seg_cut(m, parts[j], old->cuts[i].start,
				   old->cuts[i].end, true);
		if (old->dead)
			tm_seg_cut(m, parts[j], parts[j]->start, parts[j]->end,
				   true);
	}
	/* A late callback may have queued @old again. */
	list_del_init(&old->pending);
	if (dead)
		tm_table_trim(&m->table, old->start, old->end);
	for (i = 0; !dead && i < nr_cuts; i++)
		tm_table_trim(&m->table, cuts[i].start, cuts[i].end);
	mutex_unlock(&m->table_lock);
	kfree(old);
}

static void tm_mirror_work(struct work_struct *work)
{
	struct tm_mirror *m = container_of(work, struct tm_mirror, work);
	struct mem_cgroup *old_memcg;
	struct tm_seg *seg;

	/* What the split allocates is the opener's, like the rest. */
	old_memcg = set_active_memcg(m->memcg);
	mutex_lock(&m->lock);
	while (!m->closing) {
		mutex_lock(&m->table_lock);
		seg = list_first_entry_or_null(&m->pending, struct tm_seg,
					       pending);
		if (seg)
			list_del_init(&seg->pending);
		mutex_unlock(&m->table_lock);
		if (!seg)
			break;
		tm_seg_split(m, seg);
	}
	mutex_unlock(&m->lock);
	set_active_memcg(old_memcg);
}

/* ---------------------------------------------------------------------- */
/* The invalidate callback                                                */

static bool tm_seg_invalidate(struct mmu_interval_notifier *mni,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct tm_seg *seg = container_of(mni, struct tm_seg, notifier);
	struct tm_mirror *m = seg->m;
	unsigned long start = max(range->start, seg->start);
	unsigned long end = min(range->end, seg->end);
	enum tm_action action;
	unsigned long n = 0;

	action = tm_policy_decide(range, m->event_aware, m);

	if (mmu_notifier_range_blockable(range)) {
		mutex_lock(&m->table_lock);
	} else if (!mutex_trylock(&m->table_lock)) {
		/* The kernel will call again; nothing was changed. */
		tm_log(m, seg, range, TM_ACTION_BUSY, 0);
		return false;
	}
	mmu_interval_set_seq(mni, cur_seq);

	switch (action) {
	case TM_ACTION_SKIP:
		break;
	case TM_ACTION_DOWNGRADE:
		n = tm_table_downgrade(&m->table, start, end);
		break;
	case TM_ACTION_DROP:
		n = tm_table_invalidate(&m->table, start, end);
		if (seg->b->flags & TM_BIND_WHOLE_SPACE)
			action = TM_ACTION_INVALIDATE;
		else
			n += tm_seg_cut(m, seg, start, end, false);
		break;
	case TM_ACTION_RELEASE:
		n = tm_table_invalidate(&m->table, seg->start, seg->end);
		m->released = true;
		break;
	default:
		n = tm_table_invalidate(&m->table, start, end);
		break;
	}
	mutex_unlock(&m->table_lock);
	tm_log(m, seg, range, action, n);
	return true;
}

static const struct mmu_interval_notifier_ops tm_seg_ops = {
	.invalidate = tm_seg_invalidate,
};

/* ---------------------------------------------------------------------- */
/* The fault path                                                         */

static inline unsigned long npages(const struct hmm_range *range)
{
	return (range->end - range->start) >> PAGE_SHIFT;
}

/*
 * Fault [start, end) of @seg into the table: the mmu_interval_read_begin() /
 * hmm_range_fault() / mmu_interval_read_retry() loop, one chunk at a time.
 * Structural lock held, table lock not held.
 */
static int __tm_fault(struct tm_mirror *m, struct tm_seg *seg,
		      unsigned long start, unsigned long end, bool write,
		      u64 *installed)
{
	struct hmm_range range = {
		.notifier = &seg->notifier,
		.hmm_pfns = m->pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = m->owner,
	};
	unsigned long chunk_size = (unsigned long)m->chunk << PAGE_SHIFT;
	unsigned long timeout, i;
	int ret;

	*installed = 0;
	for (range.start = start; range.start < end; range.start = range.end) {
		/* Chunks end on chunk_size boundaries so huge pages line up. */
		range.end = min(end, ALIGN_DOWN(range.start, chunk_size) + chunk_size);
		timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
again:
		if (time_after(jiffies, timeout))
			return -EBUSY;
		if (fatal_signal_pending(current))
			return -EINTR;
		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		mmap_read_lock(m->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(m->mm);
		if (ret == -EBUSY)
			goto again;
		if (ret)
			return ret;
		/* A read-only binding never gets a writable entry. */
		if (!(seg->b->flags & TM_BIND_WRITE))
			for (i = 0; i < npages(&range); i++)
				range.hmm_pfns[i] &= ~HMM_PFN_WRITE;

		ret = tm_table_prepare(&m->table, range.start, range.end,
				       range.hmm_pfns);
		if (ret)
			return ret;

		mutex_lock(&m->table_lock);
		if (mmu_interval_read_retry(range.notifier, range.notifier_seq)) {
			mutex_unlock(&m->table_lock);
			tm_count(m, &m->st.retries, 1);
			goto again;
		}
		/* UNMAP raced with us: the pages are no longer ours. */
		if (seg->dead ||
		    tm_seg_live_end(seg, range.start, range.end) != range.end ||
		    tm_seg_dropped(seg, range.start)) {
			mutex_unlock(&m->table_lock);
			return -EFAULT;
		}
		*installed += tm_table_install(&m->table, range.start,
					       range.end, range.hmm_pfns);
		mutex_unlock(&m->table_lock);
	}
	return 0;
}

static int tm_fault(struct tm_mirror *m, struct tm_seg *seg,
		    unsigned long start, unsigned long end, bool write,
		    u64 *installed)
{
	int ret = __tm_fault(m, seg, start, end, write, installed);

	tm_table_put_spares(&m->table);
	if (ret) {
		/* Leaves and placeholders prepared for nothing go again. */
		mutex_lock(&m->table_lock);
		tm_table_trim(&m->table, start, end);
		mutex_unlock(&m->table_lock);
	}
	tm_count(m, &m->st.faulted_pages, *installed);
	trace_tm_fault(seg->b->handle, start, end, write, ret, *installed);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                           */

/**
 * tm_mirror_check_range - validate a user range
 * @addr: start
 * @size: length in bytes
 *
 * Return: 0 if the range is page aligned, non-empty, does not wrap and lies
 * in user space; -EINVAL otherwise.
 */
int tm_mirror_check_range(unsigned long addr, unsigned long size)
{
	if (!size || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (addr + size < addr || addr + size > TASK_SIZE)
		return -EINVAL;
	return 0;
}

/**
 * tm_mirror_check_caller - may the current task use this mirror?
 * @m: the mirror
 *
 * Return: 0; -EACCES if the caller's mm is not the mirror's (a forked
 * child, a process that received the file, or after exec); -ESRCH if the
 * address space has exited (its last user is gone, whether or not a
 * binding saw its RELEASE).
 */
int tm_mirror_check_caller(struct tm_mirror *m)
{
	if (READ_ONCE(m->released) || !atomic_read(&m->mm->mm_users))
		return -ESRCH;
	if (current->mm != m->mm)
		return -EACCES;
	return 0;
}

/* The checks every ranged entry point starts with. */
static int tm_check_call(struct tm_mirror *m, unsigned long addr,
			 unsigned long size)
{
	int ret = tm_mirror_check_caller(m);

	return ret ? ret : tm_mirror_check_range(addr, size);
}

/**
 * tm_mirror_create - create a device context for the current process
 * @owner: the device, compared with the owner of MIGRATE/EXCLUSIVE events
 *
 * Reads the module parameters once: later changes affect new files only.
 *
 * Return: the mirror or an ERR_PTR().
 */
struct tm_mirror *tm_mirror_create(void *owner)
{
	struct tm_mirror *m;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->chunk = clamp_t(unsigned int, READ_ONCE(tm_fault_chunk_pages), 1, 8192);
	m->log_len = clamp_t(unsigned int, READ_ONCE(tm_event_log_len), 1, 65536);
	m->pfns = kvmalloc_array(m->chunk, sizeof(*m->pfns), GFP_KERNEL_ACCOUNT);
	m->log = kvcalloc(m->log_len, sizeof(*m->log), GFP_KERNEL_ACCOUNT);
	if (!m->pfns || !m->log) {
		kvfree(m->pfns);
		kvfree(m->log);
		kfree(m);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&m->lock);
	mutex_init(&m->table_lock);
	spin_lock_init(&m->log_lock);
	m->owner = owner;
	m->event_aware = READ_ONCE(tm_event_aware);
	m->bindings = RB_ROOT_CACHED;
	m->segs = RB_ROOT_CACHED;
	xa_init_flags(&m->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&m->pending);
	INIT_WORK(&m->work, tm_mirror_work);
	tm_table_init(&m->table,
		      DIV_ROUND_UP(READ_ONCE(tm_max_mirror_pages), TM_LEAF_ENTRIES));
	m->st.caps = (m->event_aware ? TM_CAP_EVENT_AWARE : 0) |
		     (tm_policy_can_downgrade_vma() ? TM_CAP_VMA_DOWNGRADE : 0);
	mmgrab(current->mm);
	m->mm = current->mm;
	m->memcg = get_mem_cgroup_from_mm(current->mm);
	m->debugfs = tm_debugfs_add(m, atomic_inc_return(&tm_mirror_ids));
	return m;
}

/* Structural lock held. */
static void tm_binding_free(struct tm_mirror *m, struct tm_binding *b)
{
	struct interval_tree_node *it, *next;
	struct tm_seg *seg;

	it = interval_tree_iter_first(&m->segs, b->it.start, b->it.last);
	while (it) {
		next = interval_tree_iter_next(it, b->it.start, b->it.last);
		seg = container_of(it, struct tm_seg, it);
		if (seg->b == b)
			tm_seg_free(m, seg);
		it = next;
	}
	mutex_lock(&m->table_lock);
	tm_table_invalidate(&m->table, b->it.start, b->it.last + 1);
	tm_table_trim(&m->table, b->it.start, b->it.last + 1);
	mutex_unlock(&m->table_lock);
	interval_tree_remove(&b->it, &m->bindings);
	m->nr_bindings--;
	kfree(b);
}

/**
 * tm_mirror_destroy - tear a device context down
 * @m: the mirror; no other user may remain
 *
 * May run in any process (the last close of a passed file) and after the
 * mirrored mm has exited.
 */
void tm_mirror_destroy(struct tm_mirror *m)
{
	struct tm_binding *b;
	unsigned long id;

	tm_debugfs_remove(m->debugfs);
	mutex_lock(&m->lock);
	m->closing = true;
	xa_for_each(&m->handles, id, b) {
		xa_erase(&m->handles, id);
		tm_binding_free(m, b);
	}
	mutex_unlock(&m->lock);
	/* No notifier is left to queue the work again. */
	cancel_work_sync(&m->work);
	tm_table_fini(&m->table);
	xa_destroy(&m->handles);
	mem_cgroup_put(m->memcg);
	mmdrop(m->mm);
	kvfree(m->pfns);
	kvfree(m->log);
	mutex_destroy(&m->table_lock);
	mutex_destroy(&m->lock);
	kfree(m);
}

/**
 * tm_mirror_bind - start tracking a range
 * @m: the mirror
 * @addr: first address (ignored with TM_BIND_WHOLE_SPACE)
 * @size: length (ignored with TM_BIND_WHOLE_SPACE)
 * @flags: TM_BIND_* bits; the caller rejected invalid combinations
 * @handle: out: the new handle
 *
 * Return: 0, -EINVAL, -EEXIST (overlap), -ENOSPC (limit), -EINTR, -ENOMEM,
 * or the prefault's error (-EFAULT, -EPERM); on error nothing is bound.
 */
int tm_mirror_bind(struct tm_mirror *m, unsigned long addr, unsigned long size,
		   unsigned int flags, u32 *handle)
{
	struct tm_binding *b;
	struct tm_seg *seg;
	u64 installed;
	int ret;

	ret = tm_mirror_check_caller(m);
	if (ret)
		return ret;
	if (flags & TM_BIND_WHOLE_SPACE) {
		addr = 0;
		size = ULONG_MAX & PAGE_MASK;
	} else {
		ret = tm_mirror_check_range(addr, size);
		if (ret)
			return ret;
	}
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	ret = -EEXIST;
	if (interval_tree_iter_first(&m->bindings, addr, addr + size - 1))
		goto out;
	ret = -ENOSPC;
	if (m->nr_bindings >= READ_ONCE(tm_max_bindings))
		goto out;
	ret = -ENOMEM;
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		goto out;
	b->flags = flags & (TM_BIND_READ | TM_BIND_WRITE | TM_BIND_WHOLE_SPACE);
	b->it.start = addr;
	b->it.last = addr + size - 1;
	ret = xa_alloc(&m->handles, &b->handle, b, xa_limit_32b,
		       GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(b);
		goto out;
	}
	seg = tm_seg_new(m, b, addr, addr + size, true);
	if (IS_ERR(seg)) {
		ret = PTR_ERR(seg);
		xa_erase(&m->handles, b->handle);
		kfree(b);
		goto out;
	}
	interval_tree_insert(&b->it, &m->bindings);
	interval_tree_insert(&seg->it, &m->segs);
	m->nr_bindings++;
	m->nr_segs++;
	if (flags & TM_BIND_PREFAULT) {
		ret = tm_fault(m, seg, addr, addr + size,
			       flags & TM_BIND_WRITE, &installed);
		if (ret) {
			xa_erase(&m->handles, b->handle);
			tm_binding_free(m, b);
			goto out;
		}
	}
	*handle = b->handle;
	ret = 0;
out:
	mutex_unlock(&m->lock);
	return ret;
}

/**
 * tm_mirror_unbind - stop tracking a binding and drop its entries
 * @m: the mirror
 * @handle: from tm_mirror_bind()
 *
 * Cost follows the entries and segments present, not the binding's size.
 *
 * Return: 0, -ENOENT for a handle that is not live (0 never is), -EACCES,
 * -ESRCH, -EINTR.
 */
int tm_mirror_unbind(struct tm_mirror *m, u32 handle)
{
	struct tm_binding *b;
	int ret;

	ret = tm_mirror_check_caller(m);
	if (ret)
		return ret;
	/*
	 * Handles start at 1. Erasing index 0 of an ALLOC1 xarray would mark
	 * it free, and the next bind would get handle 0.
	 */
	if (!handle)
		return -ENOENT;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	b = xa_erase(&m->handles, handle);
	if (b)
		tm_binding_free(m, b);
	mutex_unlock(&m->lock);
	return b ? 0 : -ENOENT;
}

enum tm_need {
	TM_NEED_NOTHING,
	TM_NEED_FAULT,
	TM_NEED_USER,
	TM_NEED_DROPPED,
};

/*
 * Copy pages of @seg from *@addr up to @stop while their entries allow it,
 * under the table lock, at most TM_COPY_BATCH pages. Tells the caller what
 * stopped it; for TM_NEED_FAULT, *@fault_end is where the fault may go.
 */
static enum tm_need tm_copy(struct tm_mirror *m, struct tm_seg *seg,
			    bool write, unsigned long *addr, unsigned long stop,
			    char __user **ubuf, unsigned long *fault_end,
			    struct tm_access_result *res)
{
	enum tm_need need = TM_NEED_NOTHING;
	unsigned int batch = 0;
	struct tm_entry e;
	struct page *page;
	unsigned long left;
	void *kaddr;

	mutex_lock(&m->table_lock);
	while (*addr < stop && batch++ < TM_COPY_BATCH) {
		if (tm_seg_dropped(seg, *addr)) {
			need = TM_NEED_DROPPED;
			break;
		}
		tm_table_lookup(&m->table, *addr, &e);
		if (!(e.flags & TM_ENT_VALID) ||
		    (write && !(e.flags & TM_ENT_WRITE))) {
			need = TM_NEED_FAULT;
			*fault_end = tm_seg_live_end(seg, *addr, stop);
			break;
		}
		/*
		 * The entry is valid under the table lock, so the page is
		 * still mapped by the CPU at this address and cannot be freed
		 * or truncated before we unlock.
		 */
		page = pfn_to_page(e.pfn);
		kaddr = kmap_local_page(page);
		pagefault_disable();
		if (write)
			left = __copy_from_user_inatomic(kaddr, *ubuf, PAGE_SIZE);
		else
			left = __copy_to_user_inatomic(*ubuf, kaddr, PAGE_SIZE);
		pagefault_enable();
		kunmap_local(kaddr);
		/*
		 * Like a CPU store setting the dirty bit: whatever reached the
		 * page, a part of it included, is never lost to reclaim.
		 */
		if (write && left < PAGE_SIZE)
			set_page_dirty(page);
		if (left) {
			need = TM_NEED_USER;
			break;
		}
		*addr += PAGE_SIZE;
		*ubuf += PAGE_SIZE;
		res->pages++;
	}
	mutex_unlock(&m->table_lock);
	return need;
}

/**
 * tm_mirror_access - device read or write of a mirrored range
 * @m: the mirror
 * @write: device write (user buffer to memory) or read (memory to buffer)
 * @addr: first device address (= CPU address), page aligned
 * @size: bytes, page aligned
 * @buf: user buffer of @size bytes
 * @res: out: pages copied and faults taken, also on error
 *
 * Return: 0 or a negative errno, see struct drm_test_mirror_access.
 */
int tm_mirror_access(struct tm_mirror *m, bool write, unsigned long addr,
		     unsigned long size, void __user *buf,
		     struct tm_access_result *res)
{
	unsigned long end, stop, fault_end = 0, last_fault = ~0UL;
	char __user *ubuf = buf;
	unsigned int refaults = 0;
	bool precise = false;
	struct tm_binding *b;
	struct tm_seg *seg;
	enum tm_need need;
	u64 installed;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	if (!access_ok(buf, size))
		return -EFAULT;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	end = addr + size;
	while (addr < end) {
		b = tm_find_binding(m, addr);
		ret = -ENOENT;
		if (!b)
			break;
		ret = -EPERM;
		if (write && !(b->flags & TM_BIND_WRITE))
			break;
		seg = tm_find_seg(m, addr);
		ret = -EFAULT;
		if (!seg)
			break;
		stop = min(end, seg->end);
		need = tm_copy(m, seg, write, &addr, stop, &ubuf, &fault_end, res);
		ret = 0;
		if (need == TM_NEED_DROPPED) {
			ret = -EFAULT;
		} else if (need == TM_NEED_USER) {
			/*
			 * Neither fault-in stores anything: the user's buffer
			 * holds exactly what it held until the copy succeeds
			 * (fault_in_writeable() would write a zero byte).
			 */
			if (write ? fault_in_readable(ubuf, PAGE_SIZE) :
				    fault_in_safe_writeable(ubuf, PAGE_SIZE))
				ret = -EFAULT;
		} else if (need == TM_NEED_FAULT) {
			refaults = addr == last_fault ? refaults + 1 : 0;
			last_fault = addr;
			if (precise)
				fault_end = addr + PAGE_SIZE;
			if (refaults > TM_MAX_REFAULTS)
				ret = -EBUSY;
			else
				ret = tm_fault(m, seg, addr, fault_end, write,
					       &installed);
			/*
			 * A fault covers the rest of the request, and fails as
			 * a whole if any page of it cannot be provided. Fall
			 * back to one page at a time, so that the access fails
			 * exactly at the first page the device cannot reach.
			 */
			if ((ret == -EFAULT || ret == -EPERM) && !precise &&
			    fault_end > addr + PAGE_SIZE) {
				precise = true;
				ret = tm_fault(m, seg, addr, addr + PAGE_SIZE,
					       write, &installed);
			}
			if (!ret) {
				res->faults++;
				res->faulted_pages += installed;
				tm_count(m, write ? &m->st.write_faults :
						    &m->st.read_faults, 1);
			}
		}
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	mutex_unlock(&m->lock);
	return ret;
}

/**
 * tm_mirror_snapshot - report the device table's state without faulting
 * @m: the mirror
 * @addr: first address, page aligned
 * @size: bytes, page aligned
 * @out: user array, one TM_SNAP_* byte per page
 *
 * Return: 0, -EINVAL, -EFAULT (bad @out), -EACCES, -EINTR.
 */
int tm_mirror_snapshot(struct tm_mirror *m, unsigned long addr,
		       unsigned long size, u8 __user *out)
{
	unsigned long npages = size >> PAGE_SHIFT, i, n, a;
	struct tm_binding *b;
	struct tm_seg *seg;
	u8 buf[TM_SNAP_BATCH];
	struct tm_entry e;
	int ret;

	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	if (!access_ok(out, npages))
		return -EFAULT;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	for (i = 0; i < npages; i += n) {
		n = min_t(unsigned long, npages - i, TM_SNAP_BATCH);
		mutex_lock(&m->table_lock);
		for (a = 0; a < n; a++) {
			unsigned long va = addr + ((i + a) << PAGE_SHIFT);

			b = tm_find_binding(m, va);
			seg = b ? tm_find_seg(m, va) : NULL;
			if (!b) {
				buf[a] = TM_SNAP_UNBOUND;
			} else if (!seg || tm_seg_dropped(seg, va)) {
				buf[a] = TM_SNAP_DROPPED;
			} else {
				tm_table_lookup(&m->table, va, &e);
				buf[a] = !(e.flags & TM_ENT_VALID) ? TM_SNAP_NONE :
					 (e.flags & TM_ENT_WRITE) ? TM_SNAP_WRITE :
					 TM_SNAP_READ;
				if (e.huge)
					buf[a] |= TM_SNAP_HUGE;
			}
		}
		mutex_unlock(&m->table_lock);
		if (copy_to_user(out + i, buf, n)) {
			ret = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	mutex_unlock(&m->lock);
	return ret;
}

/**
 * tm_mirror_cpu_snapshot - read the CPU page table state, without faulting
 * @m: the mirror; the range must lie in one of its segments
 * @addr: first address, page aligned
 * @npages: pages wanted; at most the mirror's fault chunk are done
 * @conv: turns one hmm_range_fault() output entry into the byte the caller
 *	reports. It runs under the table lock, while the entry is known to be
 *	the CPU's (no invalidation since the walk), so it may look at the page
 *	behind it; nothing it is given may reach userspace as is.
 * @out: out: one @conv byte per page done
 *
 * Return: pages done (> 0), or -ENOENT (not bound), -EINVAL, -EFAULT,
 * -EBUSY, -EINTR.
 */
int tm_mirror_cpu_snapshot(struct tm_mirror *m, unsigned long addr,
			   unsigned long npages, u8 (*conv)(unsigned long),
			   u8 *out)
{
	struct hmm_range range = { .hmm_pfns = m->pfns,
				   .dev_private_owner = m->owner };
	unsigned long timeout, i;
	struct tm_seg *seg;
	int ret;

	ret = tm_mirror_check_caller(m);
	if (ret)
		return ret;
	if (!npages)
		return -EINVAL;
	npages = min_t(unsigned long, npages, m->chunk);
	ret = tm_mirror_check_range(addr, npages << PAGE_SHIFT);
	if (ret)
		return ret;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	seg = tm_find_seg(m, addr);
	ret = -ENOENT;
	if (!seg || addr + (npages << PAGE_SHIFT) > seg->end)
		goto out;
	range.notifier = &seg->notifier;
	range.start = addr;
	range.end = addr + (npages << PAGE_SHIFT);
	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	do {
		ret = -EBUSY;
		if (time_after(jiffies, timeout))
			break;
		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		mmap_read_lock(m->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(m->mm);
		if (ret == -EBUSY)
			continue;
		if (ret)
			break;
		mutex_lock(&m->table_lock);
		if (mmu_interval_read_retry(range.notifier, range.notifier_seq))
			ret = -EBUSY;
		else
			for (i = 0; i < npages; i++)
				out[i] = conv(m->pfns[i]);
		mutex_unlock(&m->table_lock);
	} while (ret == -EBUSY);
out:
	mutex_unlock(&m->lock);
	return ret ? ret : npages;
}

/**
 * tm_mirror_stats - read the counters
 * @m: the mirror
 * @st: out: the counters and current values
 * @reset: zero the counters afterwards
 *
 * Return: 0 or tm_mirror_check_caller()'s error.
 */
int tm_mirror_stats(struct tm_mirror *m, struct tm_stats *st, bool reset)
{
	unsigned long flags;
	u32 caps;
	int ret;

	ret = tm_mirror_check_caller(m);
	if (ret)
		return ret;
	spin_lock_irqsave(&m->log_lock, flags);
	*st = m->st;
	if (reset) {
		caps = m->st.caps;
		memset(&m->st, 0, sizeof(m->st));
		m->st.caps = caps;
	}
	spin_unlock_irqrestore(&m->log_lock, flags);

	mutex_lock(&m->table_lock);
	st->entries_present = m->table.nr_entries;
	st->huge_entries = m->table.nr_huge;
	st->table_bytes = (u64)m->table.nr_leaves * sizeof(struct tm_leaf);
	mutex_unlock(&m->table_lock);
	st->bindings = READ_ONCE(m->nr_bindings);
	return 0;
}

/**
 * tm_mirror_events - copy the oldest records of the event log
 * @m: the mirror
 * @recs: out: up to @max records, oldest first
 * @max: capacity of @recs
 * @lost: out: records overwritten before being read
 *
 * The records stay in the log: once the caller has handed them on, it may
 * remove them with tm_mirror_events_consume().
 *
 * Return: records copied, or tm_mirror_check_caller()'s error.
 */
int tm_mirror_events(struct tm_mirror *m, struct tm_event_rec *recs,
		     unsigned int max, u64 *lost)
{
	unsigned long flags;
	unsigned int i, n;
	int ret;

	ret = tm_mirror_check_caller(m);
	if (ret)
		return ret;

	spin_lock_irqsave(&m->log_lock, flags);
	n = min(max, m->log_count);
	for (i = 0; i < n; i++)
		recs[i] = m->log[(m->log_head + i) % m->log_len];
	*lost = m->log_lost;
	spin_unlock_irqrestore(&m->log_lock, flags);
	return n;
}

/**
 * tm_mirror_events_consume - remove records that were handed on
 * @m: the mirror
 * @last_seq: the sequence number of the last record handed on (0: none)
 * @lost: the lost count handed on with them
 *
 * Removes the records up to @last_seq that are still in the log, and takes
 * @lost off the lost count: records lost since then stay counted.
 */
void tm_mirror_events_consume(struct tm_mirror *m, u64 last_seq, u64 lost)
{
	unsigned long flags;

	spin_lock_irqsave(&m->log_lock, flags);
	while (m->log_count && m->log[m->log_head].seq <= last_seq) {
		m->log_head = (m->log_head + 1) % m->log_len;
		m->log_count--;
	}
	m->log_lost -= min(lost, m->log_lost);
	spin_unlock_irqrestore(&m->log_lock, flags);
}

/**
 * tm_mirror_dump - print bindings, segments and the table (debugfs)
 * @m: the mirror
 * @s: where to print
 *
 * Return: 0 or -EINTR.
 */
int tm_mirror_dump(struct tm_mirror *m, struct seq_file *s)
{
	struct interval_tree_node *it, *sit;
	struct tm_binding *b;
	struct tm_seg *seg;
	unsigned int i;

	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	mutex_lock(&m->table_lock);
	seq_printf(s, "policy: %s%s\n", m->event_aware ? "event-aware" : "event-blind",
		   m->released ? ", address space released" : "");
	seq_printf(s, "bindings: %u, segments: %u, entries: %lu (huge %lu), leaves: %lu\n",
		   m->nr_bindings, m->nr_segs, m->table.nr_entries,
		   m->table.nr_huge, m->table.nr_leaves);
	for (it = interval_tree_iter_first(&m->bindings, 0, ULONG_MAX); it;
	     it = interval_tree_iter_next(it, 0, ULONG_MAX)) {
		b = container_of(it, struct tm_binding, it);
		seq_printf(s, "binding %u: 0x%lx-0x%lx %s%s\n", b->handle,
			   it->start, it->last + 1,
			   (b->flags & TM_BIND_WRITE) ? "read-write" : "read",
			   (b->flags & TM_BIND_WHOLE_SPACE) ? " whole-space" : "");
		for (sit = interval_tree_iter_first(&m->segs, it->start, it->last);
		     sit; sit = interval_tree_iter_next(sit, it->start, it->last)) {
			seg = container_of(sit, struct tm_seg, it);
			seq_printf(s, "  segment 0x%lx-0x%lx%s\n", seg->start,
				   seg->end, seg->dead ? " dropped" : "");
			for (i = 0; i < seg->nr_cuts; i++)
				seq_printf(s, "    cut 0x%lx-0x%lx\n",
					   seg->cuts[i].start, seg->cuts[i].end);
		}
		tm_table_dump(&m->table, s, it->start, it->last + 1);
	}
	mutex_unlock(&m->table_lock);
	mutex_unlock(&m->lock);
	return 0;
}

/*
 * Migrate [start, end) of one VMA: the kernel raises MIGRATE with this
 * mirror as owner, which the callback skips; the entries are moved to the
 * new pages here, under the table lock, before migrate_vma_finalize() lets
 * the old pages go. Structural lock and mmap lock held.
 */
static int tm_migrate_range(struct tm_mirror *m, struct vm_area_struct *vma,
			    unsigned long start, unsigned long end,
			    unsigned long *src, unsigned long *dst, u64 *migrated)
{
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = src,
		.dst = dst,
		.pgmap_owner = m,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct page *spage, *dpage;
	unsigned long i;
	int ret;

	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	for (i = 0; i < args.npages; i++) {
		dst[i] = 0;
		spage = migrate_pfn_to_page(src[i]);
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!dpage)
			continue;
		lock_page(dpage);
		copy_highpage(dpage, spage);
		dst[i] = migrate_pfn(page_to_pfn(dpage)) |
			 (src[i] & MIGRATE_PFN_WRITE);
	}
	migrate_vma_pages(&args);

	mutex_lock(&m->table_lock);
	for (i = 0; i < args.npages; i++) {
		if (!dst[i] || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		tm_table_repoint(&m->table, start + (i << PAGE_SHIFT),
				 page_to_pfn(migrate_pfn_to_page(src[i])),
				 page_to_pfn(migrate_pfn_to_page(dst[i])));
		(*migrated)++;
	}
	mutex_unlock(&m->table_lock);
	migrate_vma_finalize(&args);
	return 0;
}

/**
 * tm_mirror_migrate - the device moves mirrored pages to new system pages
 * @m: the mirror
 * @addr: first address, page aligned; the range must lie in one binding
 * @size: bytes, page aligned
 * @migrated: out: pages moved
 *
 * Exercises the MIGRATE event the way a device driver that migrates raises
 * it: this mirror is the range's owner and keeps (updates) its entries,
 * other mirrors of the same pages invalidate theirs.
 *
 * Return: 0, -ENOENT (not bound), -EFAULT (tracking dropped, no VMA),
 * -EINVAL (beyond the binding or the VMA, or not anonymous memory),
 * -ENOMEM, -EINTR, -EACCES.
 */
int tm_mirror_migrate(struct tm_mirror *m, unsigned long addr,
		      unsigned long size, u64 *migrated)
{
	unsigned long end, next, *src;
	struct vm_area_struct *vma;
	struct tm_binding *b;
	struct tm_seg *seg;
	bool dropped;
	int ret;

	*migrated = 0;
	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	src = kvcalloc(2 * TM_MIGRATE_BATCH, sizeof(*src), GFP_KERNEL_ACCOUNT);
	if (!src)
		return -ENOMEM;
	if (mutex_lock_killable(&m->lock)) {
		kvfree(src);
		return -EINTR;
	}
	end = addr + size;
	b = tm_find_binding(m, addr);
	ret = -ENOENT;
	if (!b)
		goto out;
	ret = -EINVAL;
	if (end - 1 > b->it.last)
		goto out;
	for (; addr < end; addr = next) {
		seg = tm_find_seg(m, addr);
		mutex_lock(&m->table_lock);
		dropped = !seg || tm_seg_dropped(seg, addr);
		next = dropped ? 0 : tm_seg_live_end(seg, addr, min(end, seg->end));
		mutex_unlock(&m->table_lock);
		ret = -EFAULT;
		if (dropped)
			break;
		next = min(next, addr + TM_MIGRATE_BATCH * PAGE_SIZE);
		mmap_read_lock(m->mm);
		vma = vma_lookup(m->mm, addr);
		if (!vma)
			ret = -EFAULT;
		else if (next > vma->vm_end || !vma_is_anonymous(vma))
			ret = -EINVAL;
		else
			ret = tm_migrate_range(m, vma, addr, next, src,
					       src + TM_MIGRATE_BATCH, migrated);
		mmap_read_unlock(m->mm);
		if (ret)
			break;
		cond_resched();
	}
out:
	mutex_unlock(&m->lock);
	kvfree(src);
	return ret;
}
