/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the mirror core's interface to its front-ends.
 *
 * The core knows nothing of DRM or of character devices: a front-end creates
 * one struct tm_mirror per open file, checks the ioctl arguments that are its
 * own (flags, reserved fields), and calls the functions below. Every function
 * that takes a struct tm_mirror must be called by a task whose mm is the
 * mirror's mm; the functions check it themselves and fail with -EACCES.
 */
#ifndef _TM_MIRROR_H_
#define _TM_MIRROR_H_

#include <linux/types.h>
#include <linux/mmu_notifier.h>

struct tm_mirror;
struct mm_struct;

/* Access and options of a binding (tm_mirror_bind() flags). */
#define TM_BIND_READ		BIT(0)
#define TM_BIND_WRITE		BIT(1)
#define TM_BIND_PREFAULT	BIT(2)
/*
 * The binding is the whole user address space (the hmm compat front-end):
 * UNMAP removes entries but never the tracking. addr/size are ignored.
 */
#define TM_BIND_WHOLE_SPACE	BIT(3)

/* Per-page state from tm_mirror_snapshot(). Same values as the DRM uAPI. */
#define TM_SNAP_NONE		0x00
#define TM_SNAP_READ		0x01
#define TM_SNAP_WRITE		0x02
#define TM_SNAP_HUGE		0x04
#define TM_SNAP_DROPPED		0x08
#define TM_SNAP_UNBOUND		0x10

/* What the event policy decides for one invalidation. */
enum tm_action {
	TM_ACTION_NONE = 0,	/* nothing mirrored in the range */
	TM_ACTION_INVALIDATE,	/* remove entries, keep tracking */
	TM_ACTION_DOWNGRADE,	/* keep entries, read-only */
	TM_ACTION_DROP,		/* remove entries and the tracking */
	TM_ACTION_RELEASE,	/* the mm is gone: remove everything */
	TM_ACTION_SKIP,		/* our own device's migration/exclusive */
	TM_ACTION_BUSY,		/* non-blockable and the table was busy */
};

/* Capabilities (tm_stats.caps), same values as the DRM uAPI. */
#define TM_CAP_VMA_DOWNGRADE	BIT(0)
#define TM_CAP_EVENT_AWARE	BIT(1)

#define TM_NR_EVENTS		16

/**
 * struct tm_stats - counters of one mirror, see struct drm_test_mirror_stats
 * @caps: TM_CAP_* bits.
 * @events: invalidation callbacks by enum mmu_notifier_event.
 * @nonblock_calls: callbacks that could not sleep.
 * @nonblock_busy: of those, callbacks that returned false.
 * @read_faults: device faults for reads.
 * @write_faults: device faults for writes.
 * @faulted_pages: pages installed by faults and prefaults.
 * @retries: fault rounds repeated after a racing invalidation.
 * @entries_invalidated: entries removed by invalidations.
 * @entries_downgraded: entries made read-only by invalidations.
 * @pages_dropped: bound pages whose tracking UNMAP dropped.
 * @entries_present: valid entries now (a huge entry counts once).
 * @huge_entries: PMD-sized entries now.
 * @table_bytes: device-table leaf memory now.
 * @bindings: live bindings now.
 */
struct tm_stats {
	u32 caps;
	u64 events[TM_NR_EVENTS];
	u64 nonblock_calls;
	u64 nonblock_busy;
	u64 read_faults;
	u64 write_faults;
	u64 faulted_pages;
	u64 retries;
	u64 entries_invalidated;
	u64 entries_downgraded;
	u64 pages_dropped;
	u64 entries_present;
	u64 huge_entries;
	u64 table_bytes;
	u64 bindings;
};

/**
 * struct tm_event_rec - one invalidation as the mirror received it
 * @seq: sequence number from 1.
 * @start: range start, as given by the kernel.
 * @end: range end (exclusive), as given by the kernel.
 * @event: enum mmu_notifier_event.
 * @action: enum tm_action taken.
 * @blockable: the callback was allowed to sleep.
 * @handle: the binding that received it.
 * @entries: entries removed or downgraded.
 */
struct tm_event_rec {
	u64 seq;
	u64 start;
	u64 end;
	u32 event;
	u32 action;
	u32 blockable;
	u32 handle;
	u64 entries;
};

/**
 * struct tm_access_result - outcome of tm_mirror_access()
 * @pages: pages copied.
 * @faults: device faults taken (each resolved the rest of the request).
 * @faulted_pages: pages installed by those faults.
 */
struct tm_access_result {
	u64 pages;
	u64 faults;
	u64 faulted_pages;
};

struct tm_mirror *tm_mirror_create(void *owner);
void tm_mirror_destroy(struct tm_mirror *m);
int tm_mirror_check_caller(struct tm_mirror *m);
int tm_mirror_bind(struct tm_mirror *m, unsigned long addr, unsigned long size,
		   unsigned int flags, u32 *handle);
int tm_mirror_unbind(struct tm_mirror *m, u32 handle);
int tm_mirror_access(struct tm_mirror *m, bool write, unsigned long addr,
		     unsigned long size, void __user *buf,
		     struct tm_access_result *res);
int tm_mirror_snapshot(struct tm_mirror *m, unsigned long addr,
		       unsigned long size, u8 __user *out);
int tm_mirror_migrate(struct tm_mirror *m, unsigned long addr,
		      unsigned long size, u64 *migrated);
int tm_mirror_cpu_snapshot(struct tm_mirror *m, unsigned long addr,
			   unsigned long npages, u8 (*conv)(unsigned long),
			   u8 *out);
int tm_mirror_stats(struct tm_mirror *m, struct tm_stats *st, bool reset);
int tm_mirror_events(struct tm_mirror *m, struct tm_event_rec *recs,
		     unsigned int max, u64 *lost);
void tm_mirror_events_consume(struct tm_mirror *m, u64 last_seq, u64 lost);
int tm_mirror_check_range(unsigned long addr, unsigned long size);

struct seq_file;
struct dentry;
int tm_mirror_dump(struct tm_mirror *m, struct seq_file *s);

/* debugfs (tm_debugfs.c). */
struct dentry *tm_debugfs_add(struct tm_mirror *m, unsigned int id);
void tm_debugfs_remove(struct dentry *dir);
void tm_debugfs_init(void);
void tm_debugfs_exit(void);

/* Event policy (tm_policy.c). */
enum tm_action tm_policy_decide(const struct mmu_notifier_range *range,
				bool event_aware, const void *owner);
bool tm_policy_can_downgrade_vma(void);

/* Module parameters (tm_main.c). */
extern bool tm_event_aware;
extern unsigned int tm_max_bindings;
extern unsigned long tm_max_mirror_pages;
extern unsigned int tm_event_log_len;
extern unsigned int tm_fault_chunk_pages;

#endif /* _TM_MIRROR_H_ */
