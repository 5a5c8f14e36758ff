/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the mirror core's private structures, shared by its files
 * (tm_mirror.c, tm_seg.c, tm_fault.c, tm_migrate.c). Front-ends include
 * tm_mirror.h only.
 */
#ifndef _TM_CORE_H_
#define _TM_CORE_H_

#include <linux/hmm.h>
#include <linux/interval_tree.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "compat.h"
#include "tm_log.h"
#include "tm_mirror.h"
#include "tm_table.h"

/**
 * DOC: Locking
 *
 * A mirror has three locks. Outermost first:
 *
 * 1. ``tm_mirror.lock``, the structural lock (mutex): bindings, segments,
 *    handles, the fault buffer, table allocation (tm_table_prepare() and
 *    tm_table_trim()). Taken by the ioctls and the UNMAP work item, never by
 *    the invalidate callback; so hmm_range_fault() may run under it (the
 *    invalidations it triggers do not take it), and so may the fault-in of
 *    a user buffer.
 * 2. ``mmap_read_lock()`` of the mirrored mm, around hmm_range_fault() and
 *    make_device_exclusive() (and inside fault_in_safe_writeable()) only.
 *    Between it and the table lock comes the lock of a folio the device
 *    takes exclusive (tm_atomic.c): make_device_exclusive() returns it
 *    held, and the CPU's fault on the device-exclusive entry takes it before
 *    our callback takes the table lock. Lockdep cannot see folio locks.
 * 3. ``tm_table.lock``, the table lock (mutex): table entries, segment cuts,
 *    the pending list, the released flag. Taken by the invalidate callback,
 *    with mutex_trylock() when the callback may not sleep. The callback can
 *    run from reclaim, so nothing under the table lock allocates memory or
 *    faults user memory: table memory is allocated by tm_table_prepare()
 *    before it is taken, and user copies run with page faults disabled.
 *    tm_mirror_create() teaches lockdep that the table lock is taken inside
 *    reclaim, so that the debug kernel reports any allocation under it.
 *
 * Inside the table lock, ``tm_jobs.lock`` (spinlock) protects the mirror's
 * list of jobs that may still run and the record of completed removals
 * (tm_job.c). A removal of entries takes it under the table lock and, while
 * holding it, spins until the engine's page access in flight ends: the
 * engine takes no lock inside an access, so the spin is bounded by one page
 * copy. tm_mirror_create() teaches lockdep this order too.
 *
 * The fault model (tm_fjob.c) adds no lock to this order, only waits. Its
 * invalidations wait for the fault engine's TLB acknowledgment *after*
 * releasing the table lock (in the second pass where the kernel has one),
 * and the acknowledgment (a work item on a ``WQ_MEM_RECLAIM`` workqueue)
 * takes only the jobs lock, allocates nothing and never takes the mmap
 * lock: it runs under fs_reclaim_acquire(), so lockdep reports any
 * allocation there. The fault handler takes the structural lock and the
 * mmap lock as the READ ioctl does; the callback never waits for it, nor
 * for a job. The device's fault queue has a spinlock of its own
 * (``tm_faultq_lock``), held across nothing else.
 *
 * Innermost, ``tm_log.lock`` (spinlock) protects the counters and the event
 * log, and is held across nothing else.
 *
 * Device memory (tm_devmem.c) adds a lock of the kernel's and one of its
 * own. dev_pagemap_ops.migrate_to_ram() is called with the faulting task's
 * mmap lock held and the device folio locked, and the migration it starts
 * invalidates the mirrors; eviction locks device folios (trylock) and
 * invalidates too. So the order is: structural lock, mmap lock, device
 * folio lock, table lock, and innermost the pool lock ``tm_devmem.lock``
 * (spinlock, any context: folio_free() takes it), held across nothing
 * else. migrate_to_ram() asserts the mmap lock (mmap_assert_locked()) and
 * the folio lock, and lockdep_assert_not_held() the pool lock; the pool
 * functions that evict assert they do not hold it either. The folio lock is
 * a page bit, which lockdep cannot see: the order above it is checked by
 * the table lock's own lockdep class (no table lock may be held where a
 * device folio is locked: nothing under it migrates).
 *
 * Every function that expects a lock says so with lockdep_assert_held().
 *
 * mmu_notifier_range_blockable() is false when the OOM reaper unmaps a dying
 * process: the callback must not sleep. It then tries the table lock and,
 * if it is held, records a BUSY event and returns false; the kernel tries
 * again later. Nothing was changed, so nothing is lost. When the trylock
 * succeeds, the callback does its usual work, which never sleeps: the cut
 * array needs no allocation and queueing the work item does not block.
 *
 * So, in the callback: never sleep when not blockable; never allocate; never
 * take the structural lock; never insert or remove a notifier. Under the
 * table lock: never allocate, never fault user memory (copies run with page
 * faults disabled), never call hmm_range_fault(). Under the structural
 * lock, nothing beyond the usual: no invalidation depends on it. The
 * structural lock corresponds to a real driver's VM lock, the table lock to
 * the lock that protects its GPU page table (``notifier_lock`` in
 * drm_gpusvm).
 */

/* Completed invalidations the engine's checker can look back on. */
#define TM_INV_RING		32

/**
 * struct tm_inv_rec - one removal of entries, as the engine's checker sees it
 * @start: first address.
 * @end: end (exclusive).
 * @epoch: the value tm_jobs.epoch took when the removal was complete.
 * @write_only: only write access was removed (a downgrade).
 * @early: declared complete before the wait (``job_skip_inval_wait``).
 * @ack: for the fault model: complete once the engine acknowledged the TLB
 *	invalidation (else for the pre-validated model: once its accesses
 *	ended).
 */
struct tm_inv_rec {
	unsigned long start;
	unsigned long end;
	unsigned long epoch;
	bool write_only;
	bool early;
	bool ack;
};

/* Second passes of two-pass callbacks one mirror can have outstanding. */
#define TM_TLB_FINISH		4

#if TM_HAVE_MN_TWO_PASS
/**
 * struct tm_tlb_finish - a callback's second pass (tm_fjob.c)
 * @base: what the kernel hands back to invalidate_finish.
 * @m: the mirror.
 * @gen: the TLB invalidation to wait for.
 * @start: the range removed, for the checker.
 * @end: its end (exclusive).
 * @write_only: only write access was removed.
 * @slot: index in tm_jobs.fin.
 */
struct tm_tlb_finish {
	struct mmu_interval_notifier_finish base;
	struct tm_mirror *m;
	unsigned long gen;
	unsigned long start;
	unsigned long end;
	bool write_only;
	unsigned int slot;
};
#endif

/**
 * struct tm_jobs - the jobs of one mirror (tm_job.c)
 * @lock: protects @active, @nr_active and @ring (spinlock, taken under the
 *	table lock, never held across anything but the spin for an engine
 *	access to end, which takes no lock).
 * @active: jobs submitted that have not finished running (struct tm_job):
 *	those the engine may still run, which invalidations wait for.
 * @nr_active: entries of @active (at most TM_JOBS_PER_FILE).
 * @nr_alive: jobs not yet freed (a freed job no longer uses the mirror).
 * @epoch: removals of entries completed while jobs existed.
 * @ring: the last TM_INV_RING of those removals.
 * @closing: the file is being released: jobs stop.
 * @nr_fault: of @active, fault-model jobs (jobs lock).
 * @tlb_gen: TLB invalidations requested (jobs lock; read without it).
 * @tlb_acked: the last of them the engine acknowledged.
 * @ack_work: the acknowledgment, on the reclaim-safe workqueue.
 * @ack_wq: waiters for @tlb_acked.
 * @queue: fault-model jobs waiting for the fault engine (jobs lock).
 * @exec_work: the fault engine's work for this mirror.
 * @ufence_seq: user fences written (waiters compare it).
 * @ufence_wq: WAIT_UFENCE waiters.
 * @fin_busy: slots of @fin in use (jobs lock).
 * @fin: second passes of two-pass callbacks.
 */
struct tm_jobs {
	spinlock_t lock;	/* see above */
	struct list_head active;
	unsigned int nr_active;
	unsigned int nr_alive;
	unsigned long epoch;
	struct tm_inv_rec ring[TM_INV_RING];
	bool closing;
	unsigned int nr_fault;
	unsigned long tlb_gen;
	unsigned long tlb_acked;
	struct work_struct ack_work;
	wait_queue_head_t ack_wq;
	struct list_head queue;
	struct work_struct exec_work;
	unsigned long ufence_seq;
	wait_queue_head_t ufence_wq;
	unsigned long fin_busy;
#if TM_HAVE_MN_TWO_PASS
	struct tm_tlb_finish fin[TM_TLB_FINISH];
#endif
};

/* Segments per file, beyond one per binding. */
#define TM_MAX_SEGS_EXTRA	4096
/* Cuts a segment can hold before the work item splits it. */
#define TM_MAX_CUTS		8

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
 * struct tm_cut - a part of a segment whose tracking UNMAP dropped
 * @start: first address.
 * @end: end (exclusive).
 */
struct tm_cut {
	unsigned long start;
	unsigned long end;
};

/**
 * struct tm_cuts - the cuts of one segment
 * @nr: used entries of @cut.
 * @cut: sorted, disjoint, never adjacent.
 */
struct tm_cuts {
	unsigned int nr;
	struct tm_cut cut[TM_MAX_CUTS];
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
 * @cuts: the parts whose tracking UNMAP dropped.
 * @dead: the whole segment was dropped.
 * @listed: in tm_mirror.segs. While a split runs, the old segment and the
 *	new ones are live together and an UNMAP reaches both; only the listed
 *	one counts the pages in pages_dropped.
 *
 * @pending, @cuts, @dead and @listed are protected by the table lock.
 */
struct tm_seg {
	struct mmu_interval_notifier notifier;
	struct interval_tree_node it;
	struct tm_mirror *m;
	struct tm_binding *b;
	unsigned long start;
	unsigned long end;
	struct list_head pending;
	struct tm_cuts cuts;
	bool dead;
	bool listed;
};

/**
 * struct tm_mirror - one device context
 * @lock: the structural lock (see "Locking").
 * @mm: the mirrored address space (mmgrab()ed).
 * @memcg: the opener's memory cgroup, charged for what the work item
 *	allocates for this file.
 * @owner: the device, hmm_range_fault()'s dev_private_owner. The owner of
 *	MIGRATE/EXCLUSIVE ranges this mirror starts is the mirror itself, so
 *	that another file of the same device never mistakes them for its own.
 * @limits: the module's live limits (max_bindings is read at each bind).
 * @event_aware: per-event policy (else invalidate on every event).
 * @closing: the file is being released; the work item must stop.
 * @bindings: interval tree of struct tm_binding.
 * @segs: interval tree of struct tm_seg.
 * @handles: handle to struct tm_binding.
 * @nr_bindings: live bindings.
 * @nr_segs: live segments.
 * @pfns: hmm_range_fault() output buffer, @chunk entries. Zeroed when
 *	allocated and never given a bit of HMM_PFN_INOUT_FLAGS: 7.x's
 *	hmm_range_fault() keeps those bits of each input entry (DMA-mapping
 *	state, which this driver does not use; 6.1 and 6.12 have none), so
 *	garbage there would stay in the output, and the raw values of one
 *	mapping, which tm_table_prepare() compares, would look unrelated.
 * @chunk: pages per hmm_range_fault() call.
 * @work: splits the segments that UNMAP cut.
 * @table: the device page table, with the table lock.
 * @pending: segments the work item must split (table lock).
 * @released: RELEASE was seen: the mm is going (table lock; read without
 *	it by tm_check_caller()).
 * @log: counters and the event log.
 * @devmem: the device's memory, NULL where it has none (set once at open).
 * @fail_huge: the next 2 MiB allocation of a device-memory move fails, so
 *	that the move falls back to 4 KiB pages (test_hmm's FAIL_ALLOC; a bit
 *	set and tested atomically).
 * @jobs: the jobs submitted through this mirror.
 */
struct tm_mirror {
	struct mutex lock;	/* the structural lock: see "Locking" */
	struct mm_struct *mm;
	struct mem_cgroup *memcg;
	void *owner;
	const struct tm_limits *limits;
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

	struct tm_table table;
	struct list_head pending;
	bool released;

	struct tm_log log;
	struct tm_devmem *devmem;
	unsigned long fail_huge;
	struct tm_jobs jobs;
};

/* The checks every entry point starts with (tm_mirror_check_range()). */
static inline int tm_check_caller(struct tm_mirror *m)
{
	if (READ_ONCE(m->released) || !atomic_read(&m->mm->mm_users))
		return -ESRCH;
	if (current->mm != m->mm)
		return -EACCES;
	return 0;
}

static inline int tm_check_range(unsigned long addr, unsigned long size)
{
	if (!size || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (addr + size < addr || addr + size > TASK_SIZE)
		return -EINVAL;
	return 0;
}

static inline int tm_check_call(struct tm_mirror *m, unsigned long addr,
				unsigned long size)
{
	int ret = tm_check_caller(m);

	return ret ? ret : tm_check_range(addr, size);
}

/*
 * Between two rounds of a long loop: give up on a fatal signal (-EINTR),
 * else let others run.
 */
static inline int tm_next_round(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}

/* tm_cuts.c: cut arrays */
unsigned long tm_cuts_add(struct tm_cuts *c, unsigned long start,
			  unsigned long end, struct tm_cut *gap);
unsigned long tm_cuts_uncut(const struct tm_cuts *c, unsigned long start,
			    unsigned long end);
bool tm_cuts_has(const struct tm_cuts *c, unsigned long addr);
unsigned long tm_cuts_live_end(const struct tm_cuts *c, unsigned long addr,
			       unsigned long stop);

/* tm_seg.c: bindings and segments, their notifiers, cuts and splits */
struct tm_binding *tm_find_binding(struct tm_mirror *m, unsigned long addr);
struct tm_seg *tm_find_seg(struct tm_mirror *m, unsigned long addr);
struct tm_seg *tm_find_live(struct tm_mirror *m, unsigned long addr,
			    unsigned long end, unsigned long *next);
struct tm_seg *tm_seg_new(struct tm_mirror *m, struct tm_binding *b,
			  unsigned long start, unsigned long end, bool listed);
void tm_seg_free(struct tm_mirror *m, struct tm_seg *seg);
bool tm_seg_dropped(const struct tm_seg *seg, unsigned long addr);
unsigned long tm_seg_live_end(const struct tm_seg *seg, unsigned long addr,
			      unsigned long stop);
void tm_seg_work(struct work_struct *work);

/* tm_fault.c: the HMM walk, device faults, device access */

/**
 * struct tm_walk_ops - what tm_walk() does with each chunk it reads
 * @prepare: optional; called without the table lock after
 *	hmm_range_fault(), may allocate; an error ends the walk.
 * @commit: called under the table lock once mmu_interval_read_retry() has
 *	said the chunk's PFNs are still the CPU's; an error ends the walk.
 * @foreign: treat this device's own pages like anyone's: a faulting walk
 *	brings them home (dev_pagemap_ops.migrate_to_ram()) instead of
 *	reporting them.
 */
struct tm_walk_ops {
	int (*prepare)(struct tm_mirror *m, struct hmm_range *range, void *arg);
	int (*commit)(struct tm_mirror *m, struct hmm_range *range, void *arg);
	bool foreign;
};

int tm_walk(struct tm_mirror *m, struct tm_seg *seg, unsigned long start,
	    unsigned long end, unsigned long req,
	    const struct tm_walk_ops *ops, void *arg);
int tm_fault(struct tm_mirror *m, struct tm_seg *seg, unsigned long start,
	     unsigned long end, bool write, u64 *installed);

/* tm_job.c: the engine's side of the table */
void tm_jobs_init(struct tm_mirror *m);
bool tm_jobs_busy(struct tm_mirror *m, unsigned long start, unsigned long end);

struct mmu_interval_notifier_finish;
void tm_fjobs_fini(struct tm_mirror *m);
void tm_fjob_tlb_sync(struct tm_mirror *m, unsigned long start,
		      unsigned long end);
bool tm_fjob_callback_end(struct tm_mirror *m,
			  const struct mmu_notifier_range *range,
			  unsigned long g0, unsigned long g1,
			  unsigned long start, unsigned long end,
			  bool write_only,
			  struct mmu_interval_notifier_finish **finish);
void tm_fjob_invalidate_finish(struct mmu_interval_notifier_finish *finish);

/* tm_migrate.c: the batches of a page move (MIGRATE, DEVMEM) */
typedef int (*tm_move_fn)(struct tm_mirror *m, struct tm_seg *seg,
			  unsigned long addr, unsigned long *next,
			  unsigned long *src, void *arg);
int tm_move_batches(struct tm_mirror *m, unsigned long addr,
		    unsigned long size, unsigned long batch, tm_move_fn move,
		    void *arg);
unsigned long tm_migrate_pages(unsigned long src, unsigned long dst);
unsigned long tm_migrate_repoint(struct tm_mirror *m, unsigned long start,
				 const unsigned long *src,
				 const unsigned long *dst, unsigned long npages);

#endif /* _TM_CORE_H_ */
