/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the mirror core's interface to its front-ends.
 *
 * The core knows nothing of DRM or of character devices: a front-end creates
 * one struct tm_mirror per open file, checks the ioctl arguments that are its
 * own (flags, reserved fields), and calls the functions below. Every function
 * that takes a struct tm_mirror must be called by a task whose mm is the
 * mirror's mm; the functions check it themselves and fail with -EACCES (or
 * -ESRCH once that mm has exited).
 */
#ifndef _TM_MIRROR_H_
#define _TM_MIRROR_H_

#include <linux/bits.h>
#include <linux/types.h>

#include "tm_log.h"

struct tm_mirror;
struct seq_file;

/* Access and options of a binding (tm_mirror_bind() flags). */
#define TM_BIND_READ		BIT(0)
#define TM_BIND_WRITE		BIT(1)
#define TM_BIND_PREFAULT	BIT(2)
/*
 * The binding is the whole user address space (the test_hmm front-end):
 * UNMAP removes entries but never the tracking. addr/size are ignored.
 */
#define TM_BIND_WHOLE_SPACE	BIT(3)

/* Per-page state from tm_mirror_snapshot(): TEST_MIRROR_SNAP_* values. */
#define TM_SNAP_NONE		0x00
#define TM_SNAP_READ		0x01
#define TM_SNAP_WRITE		0x02
#define TM_SNAP_HUGE		0x04
#define TM_SNAP_DROPPED		0x08
#define TM_SNAP_UNBOUND		0x10
#define TM_SNAP_DEVICE		0x20
#define TM_SNAP_EXCLUSIVE	0x40

/* Device atomics (tm_mirror_atomic()): the uAPI's TEST_MIRROR_ATOMIC_* */
#define TM_ATOMIC_FETCH_ADD	0
#define TM_ATOMIC_CMPXCHG	1
/* Take the page exclusive and do nothing to it (the test_hmm front-end). */
#define TM_ATOMIC_NONE		2

/**
 * struct tm_atomic_op - one device atomic, see struct drm_test_mirror_atomic
 * @op: TM_ATOMIC_*.
 * @operand: the value added, or stored by a successful compare-exchange.
 * @compare: the value a compare-exchange expects.
 * @old: out: the 64-bit word before the operation.
 * @granted: out: the page was taken exclusive by this call.
 */
struct tm_atomic_op {
	unsigned int op;
	u64 operand;
	u64 compare;
	u64 old;
	bool granted;
};

/**
 * struct tm_limits - the module parameters the core obeys
 * @event_aware: act on the event, or invalidate on every event (read at
 *	open).
 * @max_bindings: bindings per file (read at each bind).
 * @max_mirror_pages: device-table capacity per file, in pages of address
 *	space, counted in 2 MiB slots of 512 (read at open).
 * @event_log_len: event-log records per file (read at open).
 * @fault_chunk_pages: pages per hmm_range_fault() call (read at open).
 * @devmem_pages: device-private pages per device (the pool size at load;
 *	lowering it later makes the device evict sooner).
 * @job_skip_inval_wait: debug switch: a removal of entries is declared
 *	complete before its wait for the engine (read at each removal), so
 *	that the checker of tm_job.c can be seen to fire.
 * @job_timeout_ms: how long a job may run on the engine before it is
 *	aborted (read at load).
 * @job_fence_violation: debug hook: the engine's load-time self-check
 *	allocates with GFP_KERNEL inside its fence-signalling section, for
 *	lockdep to report (read at load; never set outside that test).
 * @fault_batch_pages: pages one device fault of a fault-model job makes
 *	valid, 1 to TM_FAULT_BATCH_MAX (read at each fault).
 * @two_pass: wait for the fault engine's TLB acknowledgment in the
 *	notifier's second pass, where there is one (read at each callback).
 * @tlb_ack_delay_ms: testing: the fault engine takes this long (at most
 *	TM_TLB_ACK_DELAY_MAX_MS) to acknowledge a TLB invalidation (read at
 *	each acknowledgment).
 *
 * The parameters' setters refuse a value outside the bounds given here, at
 * load and later, so the core uses them as they are.
 *
 * The module keeps the live values (tm_params.c) and the front-ends hand
 * them to tm_mirror_create(); the core reads each field with READ_ONCE() at
 * the moment named.
 */
struct tm_limits {
	bool event_aware;
	unsigned int max_bindings;
	unsigned long max_mirror_pages;
	unsigned int event_log_len;
	unsigned int fault_chunk_pages;
	unsigned long devmem_pages;
	bool job_skip_inval_wait;
	unsigned int job_timeout_ms;
	bool job_fence_violation;
	unsigned int fault_batch_pages;
	bool two_pass;
	unsigned int tlb_ack_delay_ms;
};

/* Bounds of two parameters (tm_params.c refuses other values). */
#define TM_FAULT_BATCH_MAX	512
#define TM_TLB_ACK_DELAY_MAX_MS	5000

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

struct tm_mirror *tm_mirror_create(void *owner, const struct tm_limits *limits);
void tm_mirror_destroy(struct tm_mirror *m);
int tm_mirror_check_range(unsigned long addr, unsigned long size);
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
bool tm_mirror_can_exclusive(void);
int tm_mirror_atomic(struct tm_mirror *m, unsigned long addr,
		     struct tm_atomic_op *op);
int tm_mirror_exclusive_count(struct tm_mirror *m, unsigned long addr,
			      unsigned long size, unsigned long *count);
int tm_mirror_cpu_snapshot(struct tm_mirror *m, unsigned long addr,
			   unsigned long npages, u8 (*conv)(unsigned long),
			   u8 *out);
int tm_mirror_stats(struct tm_mirror *m, struct tm_stats *st, bool reset);
int tm_mirror_events(struct tm_mirror *m, struct tm_event_rec *recs,
		     unsigned int max, u64 *lost);
void tm_mirror_events_consume(struct tm_mirror *m, u64 last_seq, u64 lost);
int tm_mirror_dump(struct tm_mirror *m, struct seq_file *s);

#endif /* _TM_MIRROR_H_ */
