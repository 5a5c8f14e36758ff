// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the module parameters that bound and shape every file.
 */

/**
 * DOC: Module parameters
 *
 * They live in one struct tm_limits, which the front-ends hand to the core
 * (tm_mirror_create()); the core never reads a parameter otherwise. All but
 * job_timeout_ms and job_fence_violation are writable at run time through
 * /sys/module/test_mirror/parameters/; files opened later see the new
 * values (max_bindings: every later bind).
 *
 * ``event_aware`` (bool, Y)
 *	The event-aware policy, or the event-blind one ("Event policy").
 *	Read at open.
 * ``max_bindings`` (1024)
 *	Bindings per file (-ENOSPC beyond). Read at each bind. Segments per
 *	file are bounded by it too, plus 4096.
 * ``max_mirror_pages`` (1048576)
 *	Table capacity per file, in pages of address space. The table is
 *	made of 2 MiB slots, each a leaf of 512 entries (one 4 KiB page of
 *	memory) or one huge entry; every slot in use counts 512 pages,
 *	whatever it holds, so the limit bounds the table's memory on every
 *	path (the default allows 2,048 slots: 8 MiB of leaves). A fault that
 *	would need a slot beyond it fails with -ENOSPC before it installs
 *	anything, and the slots it prepared are freed again. Read at open.
 * ``event_log_len`` (256)
 *	Event-log records per file. Read at open.
 * ``fault_chunk_pages`` (512)
 *	Pages per hmm_range_fault() call. Read at open. Huge entries need at
 *	least 512.
 * ``devmem_pages`` (131072)
 *	Device-private pages of each device ("Device memory"), 512 MiB by
 *	default: twice the largest move of the kernel's hmm-tests
 *	(benchmark_thp_migration moves 256 MiB at once), so that a move of
 *	that size does not make the device evict its own pages when some of
 *	its memory is already in use. Only where the kernel has
 *	``CONFIG_DEVICE_PRIVATE``; what the pool costs at load is its struct
 *	pages (8 MiB per 512 MiB), the VRAM pages being allocated in use. The
 *	pool is reserved at load with this size (rounded up to 2 MiB); a
 *	later value caps the pages in use (at least 1, at most the pool), so
 *	that lowering it makes the device evict its least recently used
 *	pages sooner.
 * ``job_timeout_ms`` (10000)
 *	How long a job may run on the device's engine ("Job engine") before
 *	it is aborted and its fences signal with -ETIMEDOUT (0 counts as
 *	1 ms). Read at load: drm_sched keeps its timeout. Ten seconds, because
 *	the test kernels run under emulation, where a job of milliseconds on
 *	hardware may take a hundred times longer.
 * ``job_skip_inval_wait`` (bool, N)
 *	A debug switch: a removal of device entries is declared complete
 *	before it waits for the engine's accesses in flight, instead of after
 *	("Jobs: the pre-validated model", the checker): what the checker then
 *	sees is what a driver without the wait would do, while the pages stay
 *	safe (the wait still comes before the callback returns). Tests set it
 *	to show that STATS' access_after_invalidate catches exactly that.
 *	Read at each removal.
 * ``job_fence_violation`` (bool, N)
 *	A debug hook, for the debug kernel's test that lockdep checks the
 *	job engine's fence-signalling sections ("Job engine"): when set at
 *	load, the engine's load-time self-check makes one GFP_KERNEL
 *	allocation inside such a section, a deliberate violation that a
 *	lockdep kernel must report. It changes nothing else, and nothing at
 *	all when unset. Read at load.
 * ``fault_batch_pages`` (16)
 *	Pages the fault handler makes valid for one device fault of a
 *	fault-model job ("Jobs: the fault model"): the faulting page and the
 *	pages after it that the job will touch, in one hmm_range_fault()
 *	call; 1 resolves one page at a time. 1 to 512: another value is
 *	refused (-EINVAL, or a failed load). Read at each fault.
 * ``two_pass`` (bool, Y)
 *	Where the kernel has two-pass interval notifiers: a fault-model
 *	job's TLB invalidation is issued in ``invalidate_start`` and waited
 *	for in ``invalidate_finish`` (Y), or both in the first pass (N), to
 *	measure what the overlap gives. Read at each callback.
 * ``tlb_ack_delay_ms`` (0)
 *	Testing: the fault engine takes this long to acknowledge each TLB
 *	invalidation, as a slow engine would (at most 5000). It keeps an
 *	acknowledgment outstanding long enough for a test to make the kernel
 *	call a non-blockable callback meanwhile, which must then return false.
 *	Read at each acknowledgment.
 * ``hmm_compat`` (bool, N)
 *	The test_hmm-compatible devices ("test_hmm compatibility").
 *
 * Every allocation made for a file (the mirror, bindings, segments, the
 * table, the log, and the pages the test_hmm front-end's mmap() hands out)
 * is GFP_KERNEL_ACCOUNT and charged to the opener's memory cgroup, also
 * what the UNMAP work item allocates: a cgroup limit turns a huge mirror
 * into -ENOMEM or an OOM kill inside that cgroup, never a machine-wide OOM.
 */

#include <linux/moduleparam.h>

#include "tm_mirror.h"
#include "tm_params.h"

static struct tm_limits tm_limits = {
	.event_aware = true,
	.max_bindings = 1024,
	.max_mirror_pages = 1UL << 20,
	.event_log_len = 256,
	.fault_chunk_pages = 512,
	.devmem_pages = 131072,
	.job_timeout_ms = 10000,
	.fault_batch_pages = 16,
	.two_pass = true,
};

module_param_named(event_aware, tm_limits.event_aware, bool, 0644);
MODULE_PARM_DESC(event_aware,
		 "Act on the notifier event (Y) or invalidate on every event (N); read at open");
module_param_named(max_bindings, tm_limits.max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings, "Bindings per open file; read at each bind");
module_param_named(max_mirror_pages, tm_limits.max_mirror_pages, ulong, 0644);
MODULE_PARM_DESC(max_mirror_pages,
		 "Device-table capacity per open file, in 4 KiB pages of address space (2 MiB slots of 512 pages, leaf or huge entry); read at open");
module_param_named(event_log_len, tm_limits.event_log_len, uint, 0644);
MODULE_PARM_DESC(event_log_len, "Event log records per open file; read at open");
module_param_named(fault_chunk_pages, tm_limits.fault_chunk_pages, uint, 0644);
MODULE_PARM_DESC(fault_chunk_pages, "Pages per hmm_range_fault() call; read at open");
module_param_named(devmem_pages, tm_limits.devmem_pages, ulong, 0644);
MODULE_PARM_DESC(devmem_pages,
		 "Device-private pages per device (pool size, rounded up to 2 MiB, fixed at load); lowering it later makes the device evict sooner");
module_param_named(job_skip_inval_wait, tm_limits.job_skip_inval_wait, bool, 0644);
MODULE_PARM_DESC(job_skip_inval_wait,
		 "Debug: a removal of entries is declared done before the wait for the engine (for the checker's test)");
module_param_named(job_timeout_ms, tm_limits.job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms,
		 "Milliseconds a job may run on the engine before it is aborted; read at load");
module_param_named(job_fence_violation, tm_limits.job_fence_violation, bool,
		   0444);
MODULE_PARM_DESC(job_fence_violation,
		 "Debug hook: the load-time engine self-check allocates with GFP_KERNEL inside its fence-signalling section, for lockdep to report; read at load");

/* fault_batch_pages and tlb_ack_delay_ms refuse a value out of bounds. */
static int tm_param_set_batch(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, TM_FAULT_BATCH_MAX);
}

static const struct kernel_param_ops tm_param_batch_ops = {
	.set = tm_param_set_batch,
	.get = param_get_uint,
};

static int tm_param_set_ack_delay(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, TM_TLB_ACK_DELAY_MAX_MS);
}

static const struct kernel_param_ops tm_param_ack_delay_ops = {
	.set = tm_param_set_ack_delay,
	.get = param_get_uint,
};

module_param_cb(fault_batch_pages, &tm_param_batch_ops,
		&tm_limits.fault_batch_pages, 0644);
__MODULE_PARM_TYPE(fault_batch_pages, "uint");
MODULE_PARM_DESC(fault_batch_pages,
		 "Pages the fault handler makes valid per device fault of a fault-model job: the faulting page and those after it (1 to 512); read at each fault");
module_param_named(two_pass, tm_limits.two_pass, bool, 0644);
MODULE_PARM_DESC(two_pass,
		 "Where the kernel has the two-pass interval notifier: issue the TLB invalidation in invalidate_start and wait in invalidate_finish (Y) or do both in the first pass (N); read at each callback");

module_param_cb(tlb_ack_delay_ms, &tm_param_ack_delay_ops,
		&tm_limits.tlb_ack_delay_ms, 0644);
__MODULE_PARM_TYPE(tlb_ack_delay_ms, "uint");
MODULE_PARM_DESC(tlb_ack_delay_ms,
		 "Testing: milliseconds the fault engine takes to acknowledge each TLB invalidation (at most 5000); read at each acknowledgment");

/**
 * tm_params_limits - the live parameter values
 *
 * Return: the limits, for tm_mirror_create().
 */
const struct tm_limits *tm_params_limits(void)
{
	return &tm_limits;
}
