/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: counters and the event log of one mirror (tm_log.c).
 */
#ifndef _TM_LOG_H_
#define _TM_LOG_H_

#include <linux/spinlock.h>
#include <linux/types.h>

#include "tm_policy.h"

struct mmu_notifier_range;

/* Capabilities (tm_stats.caps), the uAPI's TEST_MIRROR_CAP_* values. */
#define TM_CAP_VMA_DOWNGRADE	BIT(0)
#define TM_CAP_EVENT_AWARE	BIT(1)
#define TM_CAP_UFFD_FAULTS	BIT(2)
#define TM_CAP_DEVICE_PRIVATE	BIT(3)
#define TM_CAP_DEVICE_EXCLUSIVE	BIT(4)
#define TM_CAP_DEVICE_HUGE	BIT(5)
#define TM_CAP_TWO_PASS		BIT(6)

/* Events counted, by enum mmu_notifier_event; TEST_MIRROR_EVENT_MAX. */
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
 * @devmem_to_device: pages this file moved to device memory.
 * @devmem_to_system: pages this file moved back to system memory.
 * @devmem_evictions: the device's evictions since load.
 * @devmem_cpu_faults: the device's CPU faults on its pages since load.
 * @devmem_pages: device pages in use now, device-wide.
 * @atomics: device atomics done.
 * @exclusive_grants: pages taken exclusive for the device.
 * @exclusive_lost: exclusive pages lost to invalidations not our own.
 * @jobs_submitted: jobs queued by SUBMIT.
 * @jobs_completed: jobs whose fence signalled without an error.
 * @jobs_failed: jobs whose fence signalled with an error.
 * @job_pages: pages the engine read or wrote for jobs.
 * @job_inval_waits: removals that waited for an engine access.
 * @access_after_invalidate: engine accesses that outlived the removal of
 *	their entry (tm_job.c, "The checker").
 * @device_faults: faults raised by fault-model jobs.
 * @fault_batches: fault-handler rounds.
 * @fault_pages: pages the fault handler made valid.
 * @tlb_flushes: TLB invalidations acknowledged for this mirror's removals.
 * @tlb_flushes_avoided: invalidations with fault-model jobs running that
 *	needed none.
 * @nonblock_ack_pending: non-blockable callbacks that returned false while
 *	an acknowledgment was outstanding.
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
	u64 devmem_to_device;
	u64 devmem_to_system;
	u64 devmem_evictions;
	u64 devmem_cpu_faults;
	u64 devmem_pages;
	u64 atomics;
	u64 exclusive_grants;
	u64 exclusive_lost;
	u64 jobs_submitted;
	u64 jobs_completed;
	u64 jobs_failed;
	u64 job_pages;
	u64 job_inval_waits;
	u64 access_after_invalidate;
	u64 device_faults;
	u64 fault_batches;
	u64 fault_pages;
	u64 tlb_flushes;
	u64 tlb_flushes_avoided;
	u64 nonblock_ack_pending;
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
 * struct tm_log - the counters and the event ring of one mirror
 * @lock: protects everything below. The innermost lock of a mirror, taken
 *	in any context (the invalidate callback included, also when it found
 *	the table lock busy), never held across anything else.
 * @st: the counters (the "now" fields are filled in by the reader).
 * @ring: @len records, the oldest at @head.
 * @len: ring size.
 * @head: index of the oldest record.
 * @count: records in the ring.
 * @seq: sequence number of the last record.
 * @lost: records overwritten unread.
 */
struct tm_log {
	spinlock_t lock;	/* innermost: the counters and the ring */
	struct tm_stats st;
	struct tm_event_rec *ring;
	unsigned int len;
	unsigned int head;
	unsigned int count;
	u64 seq;
	u64 lost;
};

int tm_log_init(struct tm_log *log, unsigned int len, u32 caps);
void tm_log_fini(struct tm_log *log);
void tm_log_event(struct tm_log *log, const struct mmu_notifier_range *range,
		  u32 handle, enum tm_action action, unsigned long entries);
void tm_log_add(struct tm_log *log, u64 *counter, u64 n);
void tm_log_stats(struct tm_log *log, struct tm_stats *st, bool reset);
unsigned int tm_log_read(struct tm_log *log, struct tm_event_rec *recs,
			 unsigned int max, u64 *lost);
void tm_log_consume(struct tm_log *log, u64 last_seq, u64 lost);

#endif /* _TM_LOG_H_ */
