// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: bindings and segments, their notifiers, cuts and splits.
 */

/**
 * DOC: UNMAP and cuts
 *
 * A binding is what userspace asked for: a range, an access (read or
 * read-write) and a handle. When the CPU unmaps part of it, the device must
 * stop mirroring that part even if something else is mapped there later,
 * until userspace binds again: the new memory is not the buffer that was
 * bound.
 *
 * An interval notifier cannot be removed or split from inside its own
 * callback (mmu_interval_notifier_remove() waits for the callback). So a
 * binding is tracked by *segments*, each with its own notifier, and an UNMAP
 * is handled in two steps:
 *
 * 1. In the callback, under the table lock, the entries of the unmapped
 *    part are removed and the part is recorded as a *cut* in the segment: a
 *    small array inside the segment, so nothing is allocated. From this
 *    moment device access to the part fails with -EFAULT. A work item is
 *    queued.
 * 2. The work item, in process context, inserts notifiers for the parts
 *    still mapped, then removes the old segment's notifier. Some notifier
 *    covers each live page at every moment. Cuts that arrived meanwhile are
 *    carried over once the old notifier is gone, when they are final.
 *
 * If a segment collects more cuts than its array holds before the work item
 * runs, the two closest cuts merge: the pages between them lose their
 * tracking too, and their entries are removed in the same callback, under
 * the same hold of the table lock. They must be: the split leaves those
 * pages out of every new segment and removes the old notifier, so an entry
 * left there would be covered by no notifier, and a real device could keep
 * using a page the kernel has freed. Access there fails with -EFAULT, as for
 * an unmapped page, and the pages count in pages_dropped. An UNMAP of a
 * range the cuts cover already changes nothing (the kernel raises some
 * twice: mremap's old range, hugetlb munmap on 6.1), so it never causes a
 * merge. Invariant: every valid entry is covered by a live notifier.
 *
 * On 6.1 the kernel also raises UNMAP where the memory stays mapped (hugetlb
 * zaps): the policy tells those apart and invalidates instead (compat.h,
 * tm_range_unmaps()). The decision is made when the event arrives, so a
 * later mapping at the same address never revives a dropped tracking.
 *
 * If the work item cannot allocate the new segments, it rolls the split
 * back: the old segment, whose notifier never stopped, keeps its cuts, and
 * new segments that an UNMAP queued meanwhile leave the work list before
 * they are freed (debugfs ``fail_split`` makes this happen on purpose). What
 * the work item allocates is charged to the opener's memory cgroup. Segments
 * per file are bounded (max_bindings + 4096): past the bound a segment keeps
 * its cuts, which stay effective, and is not split.
 *
 * The test_hmm front-end binds the whole address space: there UNMAP removes
 * entries and never the tracking.
 */

#include <linux/delay.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "tm_core.h"
#include "tm_inject.h"
#include "tm_policy.h"

/* ---------------------------------------------------------------------- */
/* Segments                                                               */

/**
 * tm_seg_dropped - is the tracking of an address dropped?
 * @seg: the segment
 * @addr: an address in it
 *
 * Return: true if the segment is dead or a cut covers @addr. Table lock
 * held.
 */
bool tm_seg_dropped(const struct tm_seg *seg, unsigned long addr)
{
	lockdep_assert_held(&seg->m->table.lock);
	return seg->dead || tm_cuts_has(&seg->cuts, addr);
}

/**
 * tm_seg_live_end - end of the live run that starts at an address
 * @seg: the segment
 * @addr: an address whose tracking is not dropped
 * @stop: the most the answer may be
 *
 * Return: see tm_cuts_live_end(). Table lock held.
 */
unsigned long tm_seg_live_end(const struct tm_seg *seg, unsigned long addr,
			      unsigned long stop)
{
	lockdep_assert_held(&seg->m->table.lock);
	return tm_cuts_live_end(&seg->cuts, addr, stop);
}

/*
 * Record that the tracking of [start, end) is dropped; its entries are gone
 * already. Called from the invalidate callback: allocates nothing. The
 * entries of a gap that a merge drops too are removed here (see "UNMAP and
 * cuts"). @carried: the cut comes from the segment @seg replaces, whose
 * count has it already (only a merged gap is counted).
 *
 * Return: entries removed from a merged gap.
 */
static unsigned long tm_seg_cut(struct tm_mirror *m, struct tm_seg *seg,
				unsigned long start, unsigned long end,
				bool carried)
{
	unsigned long dropped, n = 0;
	struct tm_cut gap;

	lockdep_assert_held(&m->table.lock);
	start = max(start, seg->start);
	end = min(end, seg->end);
	if (seg->dead || start >= end)
		return 0;
	if (start <= seg->start && end >= seg->end) {
		dropped = tm_cuts_uncut(&seg->cuts, start, end);
		if (!dropped)
			return 0;
		seg->dead = true;
		seg->cuts.nr = 0;
		gap.start = 0;
		gap.end = 0;
	} else {
		dropped = tm_cuts_add(&seg->cuts, start, end, &gap);
		if (!dropped)
			return 0;
	}
	if (gap.end > gap.start)
		n = tm_table_invalidate(&m->table, gap.start, gap.end);
	if (carried)
		dropped = gap.end - gap.start;
	if (seg->listed)
		tm_log_add(&m->log, &m->log.st.pages_dropped, dropped >> PAGE_SHIFT);
	if (list_empty(&seg->pending))
		list_add_tail(&seg->pending, &m->pending);
	queue_work(tm_dfl_wq, &m->work);
	return n;
}

/* ---------------------------------------------------------------------- */
/* The invalidate callback                                                */

static bool tm_seg_invalidate_pass(struct mmu_interval_notifier *mni,
				   const struct mmu_notifier_range *range,
				   unsigned long cur_seq,
				   struct mmu_interval_notifier_finish **finish)
{
	struct tm_seg *seg = container_of(mni, struct tm_seg, notifier);
	struct tm_mirror *m = seg->m;
	unsigned long start = max(range->start, seg->start);
	unsigned long end = min(range->end, seg->end);
	unsigned long n = 0, excl, g0, g1;
	enum tm_action action;

	/*
	 * Our own device taking a page exclusive (tm_atomic.c), under either
	 * policy: the page and its entry stay as they are, and the sequence
	 * must not move, or the atomic that raised this could never pass its
	 * read_retry() (see "Device atomics"). Nothing is read or changed:
	 * no lock. range->owner is set for EXCLUSIVE.
	 */
	if (range->event == MMU_NOTIFY_EXCLUSIVE && range->owner == m) {
		tm_log_event(&m->log, range, seg->b->handle, TM_ACTION_SKIP, 0);
		return true;
	}

	action = tm_policy_decide(range, m->event_aware, m);

	if (mmu_notifier_range_blockable(range)) {
		mutex_lock(&m->table.lock);
	} else if (!mutex_trylock(&m->table.lock)) {
		/* The kernel will call again; nothing was changed. */
		tm_log_event(&m->log, range, seg->b->handle, TM_ACTION_BUSY, 0);
		return false;
	}
	mmu_interval_set_seq(mni, cur_seq);
	excl = m->table.nr_excl;
	g0 = m->jobs.tlb_gen;	/* written under the table lock */

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
		WRITE_ONCE(m->released, true);
		break;
	default:
		n = tm_table_invalidate(&m->table, start, end);
		break;
	}
	/* The CPU (or another device) took back pages the device held. */
	if (excl != m->table.nr_excl)
		tm_log_add(&m->log, &m->log.st.exclusive_lost,
			   excl - m->table.nr_excl);
	g1 = m->jobs.tlb_gen;
	mutex_unlock(&m->table.lock);
	tm_log_event(&m->log, range, seg->b->handle, action, n);
	/* The fault engine lets go of what was removed ("the fault model"). */
	if (action == TM_ACTION_RELEASE) {
		start = seg->start;
		end = seg->end;
	}
	return tm_fjob_callback_end(m, range, g0, g1, start, end,
				    action == TM_ACTION_DOWNGRADE, finish);
}

#if TM_HAVE_MN_TWO_PASS
static bool tm_seg_invalidate_start(struct mmu_interval_notifier *mni,
				    const struct mmu_notifier_range *range,
				    unsigned long cur_seq,
				    struct mmu_interval_notifier_finish **finish)
{
	return tm_seg_invalidate_pass(mni, range, cur_seq, finish);
}

static const struct mmu_interval_notifier_ops tm_seg_ops = {
	.invalidate_start = tm_seg_invalidate_start,
	.invalidate_finish = tm_fjob_invalidate_finish,
};
#else
static bool tm_seg_invalidate(struct mmu_interval_notifier *mni,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	return tm_seg_invalidate_pass(mni, range, cur_seq, NULL);
}

static const struct mmu_interval_notifier_ops tm_seg_ops = {
	.invalidate = tm_seg_invalidate,
};
#endif

/**
 * tm_seg_new - a segment with a live notifier
 * @m: the mirror; structural lock held
 * @b: the binding it tracks part of
 * @start: first address
 * @end: end (exclusive)
 * @listed: the caller inserts it in tm_mirror.segs now (a bind), rather
 *	than once a split has made all its parts
 *
 * Return: the segment (not in tm_mirror.segs yet) or an ERR_PTR().
 */
struct tm_seg *tm_seg_new(struct tm_mirror *m, struct tm_binding *b,
			  unsigned long start, unsigned long end, bool listed)
{
	struct tm_seg *seg;
	int ret;

	lockdep_assert_held(&m->lock);
	seg = kzalloc_obj(*seg, GFP_KERNEL_ACCOUNT);
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

/**
 * tm_seg_free - remove a segment and its entries
 * @m: the mirror; structural lock held
 * @seg: a segment in tm_mirror.segs
 *
 * The entries go first, while the notifier still covers them: the engine
 * reads entries without a lock, and one left valid after the removal could
 * outlive the page behind it, with no callback left to remove it. No fault
 * can bring them back (the structural lock is held). Then the notifier:
 * after mmu_interval_notifier_remove() no callback can install a cut or
 * queue the segment again.
 */
void tm_seg_free(struct tm_mirror *m, struct tm_seg *seg)
{
	lockdep_assert_held(&m->lock);
	interval_tree_remove(&seg->it, &m->segs);
	m->nr_segs--;
	mutex_lock(&m->table.lock);
	tm_table_invalidate(&m->table, seg->start, seg->end);
	mutex_unlock(&m->table.lock);
	tm_fjob_tlb_sync(m, seg->start, seg->end);
	mmu_interval_notifier_remove(&seg->notifier);
	mutex_lock(&m->table.lock);
	list_del_init(&seg->pending);
	mutex_unlock(&m->table.lock);
	kfree(seg);
}

/**
 * tm_find_binding - the binding that covers an address
 * @m: the mirror; structural lock held
 * @addr: the address
 *
 * Return: the binding or NULL.
 */
struct tm_binding *tm_find_binding(struct tm_mirror *m, unsigned long addr)
{
	struct interval_tree_node *it;

	lockdep_assert_held(&m->lock);
	it = interval_tree_iter_first(&m->bindings, addr, addr);
	return it ? container_of(it, struct tm_binding, it) : NULL;
}

/**
 * tm_find_seg - the segment that covers an address
 * @m: the mirror; structural lock held
 * @addr: the address
 *
 * Return: the segment or NULL (the tracking was dropped by a split, or the
 * address is not bound).
 */
struct tm_seg *tm_find_seg(struct tm_mirror *m, unsigned long addr)
{
	struct interval_tree_node *it;

	lockdep_assert_held(&m->lock);
	it = interval_tree_iter_first(&m->segs, addr, addr);
	return it ? container_of(it, struct tm_seg, it) : NULL;
}

/**
 * tm_find_live - the segment that tracks an address, and how far
 * @m: the mirror; structural lock held
 * @addr: the address
 * @end: the end of the range the caller walks
 * @next: out: the end of the tracked run from @addr (at most @end and the
 *	segment's end)
 *
 * For the walks over a range (MIGRATE, DEVMEM, SUBMIT's faults): the
 * segment of @addr and the part of it UNMAP did not cut, read under the
 * table lock (cuts change under it).
 *
 * Return: the segment, or NULL if the tracking of @addr was dropped.
 */
struct tm_seg *tm_find_live(struct tm_mirror *m, unsigned long addr,
			    unsigned long end, unsigned long *next)
{
	struct tm_seg *seg = tm_find_seg(m, addr);

	mutex_lock(&m->table.lock);
	if (seg && tm_seg_dropped(seg, addr))
		seg = NULL;
	if (seg)
		*next = tm_seg_live_end(seg, addr, min(end, seg->end));
	mutex_unlock(&m->table.lock);
	return seg;
}

/* ---------------------------------------------------------------------- */
/* The split                                                              */

/*
 * Fault injection (tm_inject.c): when armed, fail the allocation of the
 * second new segment, but only after the first one has been cut by an
 * UNMAP (or 10 s have passed), so that the rollback meets a new segment
 * that an invalidation has queued.
 */
static bool tm_split_injected(struct tm_mirror *m, struct tm_seg *first)
{
	unsigned long deadline = jiffies + 10 * HZ;
	bool cut = false;

	lockdep_assert_held(&m->lock);
	if (!tm_inject_split_begin())
		return false;
	while (!cut && time_before(jiffies, deadline)) {
		usleep_range(1000, 2000);
		mutex_lock(&m->table.lock);
		cut = !list_empty(&first->pending);
		mutex_unlock(&m->table.lock);
	}
	tm_inject_split_end(cut);
	return true;
}

/*
 * Make the segments for the live parts of @old, between the cuts it had
 * when the split began. Return: how many, or -ENOMEM when one could not be
 * made (none is kept then).
 */
static int tm_split_parts(struct tm_mirror *m, struct tm_seg *old,
			  const struct tm_cuts *cuts, struct tm_seg **parts)
{
	unsigned long pos = old->start, end;
	unsigned int i, nr = 0;
	struct tm_seg *seg;

	for (i = 0; i <= cuts->nr; i++) {
		end = i < cuts->nr ? cuts->cut[i].start : old->end;
		if (end > pos) {
			if (nr == 1 && tm_split_injected(m, parts[0]))
				goto fail;
			seg = tm_seg_new(m, old->b, pos, end, false);
			if (IS_ERR(seg))
				goto fail;
			parts[nr++] = seg;
		}
		if (i < cuts->nr)
			pos = cuts->cut[i].end;
	}
	return nr;

fail:
	/*
	 * The old segment keeps its cuts: its notifier is live, so it got
	 * every invalidation the new ones got. But a new one that an UNMAP
	 * cut is on the pending list, and must leave it before it is freed.
	 */
	while (nr--) {
		mmu_interval_notifier_remove(&parts[nr]->notifier);
		mutex_lock(&m->table.lock);
		list_del_init(&parts[nr]->pending);
		mutex_unlock(&m->table.lock);
		kfree(parts[nr]);
	}
	return -ENOMEM;
}

/*
 * Replace @old by segments for its live parts. New notifiers are inserted
 * before the old one is removed, so at every moment some notifier covers
 * each live page. Callbacks may still reach @old until
 * mmu_interval_notifier_remove() returns, and an invalidation that began
 * before a new notifier was inserted does not call it: so the cuts are
 * carried over from @old only after the removal, when they are final.
 */
static void tm_seg_split(struct tm_mirror *m, struct tm_seg *old)
{
	struct tm_seg *parts[TM_MAX_CUTS + 1];
	struct tm_cuts cuts;
	unsigned int i, j;
	int nr = 0;
	bool dead;

	lockdep_assert_held(&m->lock);
	mutex_lock(&m->table.lock);
	dead = old->dead;
	cuts = old->cuts;
	mutex_unlock(&m->table.lock);

	if (!dead) {
		if (m->nr_segs + cuts.nr >
		    READ_ONCE(m->limits->max_bindings) + TM_MAX_SEGS_EXTRA)
			return;
		if (!mmget_not_zero(m->mm))
			return;
		nr = tm_split_parts(m, old, &cuts, parts);
		mmput(m->mm);
		if (nr < 0)
			return;
	}

	mutex_lock(&m->table.lock);
	for (j = 0; j < nr; j++) {
		interval_tree_insert(&parts[j]->it, &m->segs);
		m->nr_segs++;
		parts[j]->listed = true;
	}
	interval_tree_remove(&old->it, &m->segs);
	m->nr_segs--;
	old->listed = false;
	mutex_unlock(&m->table.lock);
	mmu_interval_notifier_remove(&old->notifier);

	mutex_lock(&m->table.lock);
	for (j = 0; j < nr; j++) {
		for (i = 0; i < old->cuts.nr; i++)
			tm_seg_cut(m, parts[j], old->cuts.cut[i].start,
				   old->cuts.cut[i].end, true);
		if (old->dead)
			tm_seg_cut(m, parts[j], parts[j]->start, parts[j]->end,
				   true);
	}
	/* A late callback may have queued @old again. */
	list_del_init(&old->pending);
	if (dead)
		tm_table_trim(&m->table, old->start, old->end);
	for (i = 0; !dead && i < cuts.nr; i++)
		tm_table_trim(&m->table, cuts.cut[i].start, cuts.cut[i].end);
	mutex_unlock(&m->table.lock);
	kfree(old);
}

/**
 * tm_seg_work - the UNMAP work item: split every pending segment
 * @work: tm_mirror.work
 */
void tm_seg_work(struct work_struct *work)
{
	struct tm_mirror *m = container_of(work, struct tm_mirror, work);
	struct mem_cgroup *old_memcg;
	struct tm_seg *seg;

	/* What the split allocates is the opener's, like the rest. */
	old_memcg = set_active_memcg(m->memcg);
	mutex_lock(&m->lock);
	while (!m->closing) {
		mutex_lock(&m->table.lock);
		seg = list_first_entry_or_null(&m->pending, struct tm_seg,
					       pending);
		if (seg)
			list_del_init(&seg->pending);
		mutex_unlock(&m->table.lock);
		if (!seg)
			break;
		tm_seg_split(m, seg);
	}
	mutex_unlock(&m->lock);
	set_active_memcg(old_memcg);
}
