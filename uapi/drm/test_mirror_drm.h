/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * test_mirror: a mock GPU/RDMA device that mirrors a process's page tables
 * through HMM. This is its DRM render-node interface.
 */

/**
 * DOC: uAPI conventions
 *
 * The header is self-contained: it needs only <linux/types.h> and
 * <linux/ioctl.h>, so it builds in userspace with or without libdrm. All
 * fields are fixed-size, pointers are __u64, structures have explicit
 * padding. The device is found by name: drmGetVersion()->name is
 * ``test_mirror``.
 *
 * Conventions shared by every ioctl below:
 *
 * - Addresses and sizes are CPU virtual addresses of the calling process and
 *   must be page aligned; sizes must be non-zero, must not wrap and must
 *   stay in user space (-EINVAL).
 * - Pointers to user memory are passed as __u64; one that cannot be read or
 *   written gives -EFAULT.
 * - Unknown flag bits and non-zero reserved/padding fields give -EINVAL.
 * - A file is bound to the address space of the process that opened it. A
 *   call from any other address space fails with -EACCES and touches no
 *   memory; after the owning address space has exited, calls fail with
 *   -ESRCH.
 * - -EINTR means a fatal signal: the caller is being killed. Other signals
 *   neither interrupt a call nor its wait for the file, as with pwrite(2)
 *   faulting its buffer in.
 */
#ifndef _UAPI_TEST_MIRROR_DRM_H_
#define _UAPI_TEST_MIRROR_DRM_H_

#include <linux/ioctl.h>
#include <linux/types.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* Name reported by DRM_IOCTL_VERSION (drmGetVersion()->name). */
#define TEST_MIRROR_DRIVER_NAME		"test_mirror"

/*
 * The kernel's enum mmu_notifier_event, repeated here so that userspace can
 * name the events reported by the STATS and EVENTS ioctls.
 */
#define TEST_MIRROR_EVENT_UNMAP			0
#define TEST_MIRROR_EVENT_CLEAR			1
#define TEST_MIRROR_EVENT_PROTECTION_VMA	2
#define TEST_MIRROR_EVENT_PROTECTION_PAGE	3
#define TEST_MIRROR_EVENT_SOFT_DIRTY		4
#define TEST_MIRROR_EVENT_RELEASE		5
#define TEST_MIRROR_EVENT_MIGRATE		6
#define TEST_MIRROR_EVENT_EXCLUSIVE		7
#define TEST_MIRROR_EVENT_MAX			16

/* Access of a binding, and binding options (drm_test_mirror_bind.flags). */
#define TEST_MIRROR_BIND_READ		(1u << 0)
#define TEST_MIRROR_BIND_WRITE		(1u << 1)
#define TEST_MIRROR_BIND_PREFAULT	(1u << 2)
#define TEST_MIRROR_BIND_FLAGS		(TEST_MIRROR_BIND_READ | \
					 TEST_MIRROR_BIND_WRITE | \
					 TEST_MIRROR_BIND_PREFAULT)

/**
 * struct drm_test_mirror_bind - bind a CPU range to the device
 * @addr: start of the range, page aligned, user address.
 * @size: length in bytes, page aligned, non-zero.
 * @flags: TEST_MIRROR_BIND_READ, optionally with TEST_MIRROR_BIND_WRITE
 *	(read-write binding), optionally TEST_MIRROR_BIND_PREFAULT to fault the
 *	whole range into the device table now (with write intent for a
 *	read-write binding). WRITE without READ is invalid.
 * @handle: out: the binding's handle, never 0.
 * @reserved: must be zero.
 *
 * Each binding is tracked by an mmu_interval_notifier. Bindings of one file
 * may not overlap (-EEXIST). Too many bindings give -ENOSPC.
 *
 * On an error from the driver nothing is bound. As with every DRM ioctl,
 * drm_ioctl() copies @handle back to userspace after the driver's work is
 * done: if this struct is not writable, the ioctl fails with -EFAULT although
 * the binding exists. Its handle was never returned, so it cannot be
 * unbound; it lives (its range gives -EEXIST, it counts towards the
 * binding limit) until the file is closed.
 */
struct drm_test_mirror_bind {
	__u64 addr;
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u64 reserved[2];
};

/**
 * struct drm_test_mirror_unbind - drop a binding and its device-table entries
 * @handle: a handle returned by BIND; -ENOENT if it is not a live handle.
 * @flags: must be zero.
 */
struct drm_test_mirror_unbind {
	__u32 handle;
	__u32 flags;
};

/**
 * struct drm_test_mirror_access - device read or write through the table
 * @addr: device (= CPU virtual) address of the first page, page aligned.
 * @size: bytes, page aligned, non-zero; every page must lie in a binding.
 * @ptr: user buffer of @size bytes: the destination of a READ, the source
 *	of a WRITE. Any alignment.
 * @flags: must be zero.
 * @pad: must be zero.
 * @pages: out: pages the device copied (also on error: the pages done
 *	before the failing one). An access that fails may have copied the
 *	start of the page it failed at, as a DMA cut short would, never a page
 *	after it: a WRITE changes the start of that page when its source stops
 *	being readable part way through the page; a READ writes the start of
 *	that page's part of @ptr when the rest of it is not writable. Nothing
 *	else of @ptr is ever written, not even when it must be faulted in.
 * @faults: out: device faults taken, i.e. how many times the device found
 *	an entry missing (or read-only, for a write) and resolved it with
 *	hmm_range_fault(). Zero when the whole range was already mirrored.
 * @faulted_pages: out: pages brought into the device table by those faults.
 * @reserved: must be zero.
 *
 * Errors: -ENOENT a page is in no binding; -EFAULT the tracking of a page
 * was dropped by munmap (UNMAP event), or the CPU cannot provide the page
 * (with TEST_MIRROR_CAP_UFFD_FAULTS a userfaultfd page missing or
 * write-protected asks its handler, as a CPU fault does, and the access
 * waits for it; without it, in a VMA registered with a userfaultfd the
 * device never faults: a page missing there, or read-only for a write,
 * gives -EFAULT);
 * -EPERM a WRITE to a read-only binding, or to memory the CPU maps
 * read-only; -ENOSPC the file's device-table limit is reached; -EBUSY the
 * CPU page table kept changing under the fault for a second (or the same
 * page had to be faulted again 64 times); -EINTR a fatal signal arrived
 * (the caller is being killed: other signals neither interrupt an access
 * nor a wait for the file, as with pwrite(2) of a page being faulted in).
 */
struct drm_test_mirror_access {
	__u64 addr;
	__u64 size;
	__u64 ptr;
	__u32 flags;
	__u32 pad;
	__u64 pages;
	__u64 faults;
	__u64 faulted_pages;
	__u64 reserved;
};

/* Per-page state reported by SNAPSHOT, one byte per page. */
#define TEST_MIRROR_SNAP_NONE		0x00	/* no device entry */
#define TEST_MIRROR_SNAP_READ		0x01	/* entry, read-only */
#define TEST_MIRROR_SNAP_WRITE		0x02	/* entry, read-write */
#define TEST_MIRROR_SNAP_STATE_MASK	0x03
#define TEST_MIRROR_SNAP_HUGE		0x04	/* entry is PMD-sized (order 9 on x86-64) */
#define TEST_MIRROR_SNAP_DROPPED	0x08	/* bound, tracking dropped by UNMAP */
#define TEST_MIRROR_SNAP_UNBOUND	0x10	/* in no binding */
#define TEST_MIRROR_SNAP_DEVICE		0x20	/* entry maps a page of this device's memory */
#define TEST_MIRROR_SNAP_EXCLUSIVE	0x40	/* the device holds the page exclusive (ATOMIC) */

/**
 * struct drm_test_mirror_snapshot - read the device table without faulting
 * @addr: first page, page aligned.
 * @size: bytes, page aligned, non-zero.
 * @ptr: user array of @size / page size bytes, filled with
 *	TEST_MIRROR_SNAP_* values. No physical address is reported.
 * @flags: must be zero.
 * @pad: must be zero.
 */
struct drm_test_mirror_snapshot {
	__u64 addr;
	__u64 size;
	__u64 ptr;
	__u32 flags;
	__u32 pad;
};

/* Capabilities of the running module (drm_test_mirror_stats.caps). */
/* PROTECTION_VMA can keep read-only entries (kernel tells the VMA's new access) */
#define TEST_MIRROR_CAP_VMA_DOWNGRADE	(1u << 0)
/* the file was opened with the event-aware policy (module parameter) */
#define TEST_MIRROR_CAP_EVENT_AWARE	(1u << 1)
/*
 * a device fault on a userfaultfd-registered page that is missing or
 * write-protected asks its handler and waits, as a CPU fault does; without
 * it (kernels before hmm_range_fault_unlocked_timeout()), the access fails
 * there with -EFAULT
 */
#define TEST_MIRROR_CAP_UFFD_FAULTS	(1u << 2)
/*
 * the device has memory of its own (device-private pages): the DEVMEM ioctl
 * works; without it (kernels without CONFIG_DEVICE_PRIVATE) DEVMEM fails
 * with -EOPNOTSUPP
 */
#define TEST_MIRROR_CAP_DEVICE_PRIVATE	(1u << 3)
/*
 * device atomics: ATOMIC takes the page with make_device_exclusive(); without
 * it (kernels without that call or without CONFIG_DEVICE_PRIVATE), ATOMIC
 * fails with -EOPNOTSUPP
 */
#define TEST_MIRROR_CAP_DEVICE_EXCLUSIVE	(1u << 4)
/*
 * with TEST_MIRROR_CAP_DEVICE_PRIVATE: a 2 MiB-aligned block the CPU maps
 * with a transparent huge page (or a 2 MiB hole) moves as one 2 MiB device
 * folio, which the device maps with a huge entry (TEST_MIRROR_SNAP_HUGE);
 * without it, device memory holds 4 KiB pages only
 */
#define TEST_MIRROR_CAP_DEVICE_HUGE	(1u << 5)
/*
 * the kernel's mmu_interval_notifier has two passes (invalidate_start /
 * invalidate_finish): the TLB invalidation that a fault-model job needs is
 * issued in the first and waited for in the second, so that the other
 * notifiers' work overlaps it; without it, the one callback issues and waits
 */
#define TEST_MIRROR_CAP_TWO_PASS	(1u << 6)

/* drm_test_mirror_stats.flags */
#define TEST_MIRROR_STATS_RESET		(1u << 0)	/* zero the counters after reading */

/**
 * struct drm_test_mirror_stats - counters of one file
 * @flags: in: TEST_MIRROR_STATS_RESET or 0.
 * @caps: out: TEST_MIRROR_CAP_* bits.
 * @events: invalidation callbacks received, indexed by TEST_MIRROR_EVENT_*.
 * @nonblock_calls: callbacks that were not allowed to sleep.
 * @nonblock_busy: of those, how many found the table busy and asked the
 *	kernel to retry (returned false).
 * @read_faults: device faults taken for reads.
 * @write_faults: device faults taken for writes (missing or read-only entry).
 * @faulted_pages: pages brought into the table by faults and prefaults.
 * @retries: fault rounds repeated because an invalidation raced with them.
 * @entries_invalidated: entries removed by invalidations.
 * @entries_downgraded: entries made read-only by invalidations.
 * @pages_dropped: bound pages whose tracking UNMAP dropped.
 * @entries_present: now: valid entries (a huge entry counts once).
 * @huge_entries: now: of those, PMD-sized entries.
 * @table_bytes: now: bytes of device-table memory (leaves) of this file.
 * @bindings: now: live bindings.
 * @devmem_to_device: pages this file moved to device memory (DEVMEM).
 * @devmem_to_system: pages this file moved back to system memory (DEVMEM).
 * @devmem_evictions: device-wide, since the module was loaded: pages the
 *	device evicted to system memory because its memory was full.
 * @devmem_cpu_faults: device-wide, since load: CPU accesses that brought a
 *	device page home (dev_pagemap_ops.migrate_to_ram() calls that moved
 *	the page, or the whole 2 MiB folio the CPU mapped with one PMD).
 * @devmem_pages: now, device-wide: pages of the device's memory in use, by
 *	any process (0 again once every page went home or was freed).
 * @atomics: device ATOMIC operations done.
 * @exclusive_grants: times ATOMIC took a page exclusive for the device
 *	(make_device_exclusive()); an ATOMIC on a page the device still holds
 *	takes nothing.
 * @exclusive_lost: exclusive pages the device lost to an invalidation that
 *	was not its own: the CPU touched the page (CLEAR), fork, mprotect,
 *	munmap, another device...
 * @jobs_submitted: SUBMIT calls that queued a job.
 * @jobs_completed: jobs whose fence signalled without an error.
 * @jobs_failed: jobs whose fence signalled with an error (a page lost to an
 *	invalidation, a timeout, the file closed...).
 * @job_pages: pages the engine read or wrote for jobs (a STREAM counts
 *	every pass).
 * @job_inval_waits: invalidations that had to wait for the engine to stop
 *	using an entry they removed or downgraded.
 * @access_after_invalidate: engine accesses to a page that went on after an
 *	invalidation removing their entry had returned: the device used memory
 *	the kernel had taken back. Must stay 0; only the module parameter
 *	``job_skip_inval_wait`` (a debug switch that makes an invalidation
 *	declare itself complete before it waits for the engine) can make it
 *	count.
 * @device_faults: device page faults that fault-model jobs raised (a
 *	missing entry, or a read-only one for a write); each one resolved is
 *	followed by a replay of the access.
 * @fault_batches: rounds of the fault handler (one hmm_range_fault() range
 *	each: the faulting page and, up to the ``fault_batch_pages`` module
 *	parameter, the pages after it that the job will touch).
 * @fault_pages: pages the fault handler made valid.
 * @tlb_flushes: TLB invalidations the engine acknowledged for this file's
 *	invalidation callbacks (only while fault-model jobs of the file run).
 * @tlb_flushes_avoided: invalidations, while fault-model jobs of the file
 *	ran, that needed no TLB invalidation: nothing removed (the event-aware
 *	policy kept the entries), or write access removed while no running
 *	job writes.
 * @nonblock_ack_pending: callbacks that were not allowed to sleep and
 *	returned false because the engine's acknowledgment was outstanding.
 * @reserved: must be zero.
 *
 * Counters (all but those marked "now" or "device-wide") accumulate from
 * open or the last reset; the device-wide ones are never reset. The
 * structure grew at its end (with @reserved, 304 to 368 bytes): DRM gives
 * the kernel a zero-filled structure of the kernel's size and copies back
 * the caller's size, so a program built against the older header still
 * reads the counters it knows. It grew again (368 to 432 bytes) with the
 * fault model's counters.
 */
struct drm_test_mirror_stats {
	__u32 flags;
	__u32 caps;
	__u64 events[TEST_MIRROR_EVENT_MAX];
	__u64 nonblock_calls;
	__u64 nonblock_busy;
	__u64 read_faults;
	__u64 write_faults;
	__u64 faulted_pages;
	__u64 retries;
	__u64 entries_invalidated;
	__u64 entries_downgraded;
	__u64 pages_dropped;
	__u64 entries_present;
	__u64 huge_entries;
	__u64 table_bytes;
	__u64 bindings;
	__u64 devmem_to_device;
	__u64 devmem_to_system;
	__u64 devmem_evictions;
	__u64 devmem_cpu_faults;
	__u64 devmem_pages;
	__u64 atomics;
	__u64 exclusive_grants;
	__u64 exclusive_lost;
	__u64 jobs_submitted;
	__u64 jobs_completed;
	__u64 jobs_failed;
	__u64 job_pages;
	__u64 job_inval_waits;
	__u64 access_after_invalidate;
	__u64 device_faults;
	__u64 fault_batches;
	__u64 fault_pages;
	__u64 tlb_flushes;
	__u64 tlb_flushes_avoided;
	__u64 nonblock_ack_pending;
	__u64 reserved[4];
};

/* What the driver did for one invalidation (drm_test_mirror_event.action). */
#define TEST_MIRROR_ACTION_NONE		0	/* event ignored (unused by the current policy) */
#define TEST_MIRROR_ACTION_INVALIDATE	1	/* entries removed, tracking kept */
#define TEST_MIRROR_ACTION_DOWNGRADE	2	/* entries made read-only, kept */
#define TEST_MIRROR_ACTION_DROP		3	/* entries removed, tracking dropped */
#define TEST_MIRROR_ACTION_RELEASE	4	/* address space gone, all dropped */
#define TEST_MIRROR_ACTION_SKIP		5	/* our own device's operation */
#define TEST_MIRROR_ACTION_BUSY		6	/* non-blockable, table busy: retry */

/* drm_test_mirror_event.flags */
#define TEST_MIRROR_EVENT_F_BLOCKABLE	(1u << 0)

/**
 * struct drm_test_mirror_event - one invalidation callback, as received
 * @seq: sequence number, counting from 1 since open.
 * @start: first byte of the invalidated range, as the kernel gave it.
 * @end: end (exclusive) of the range, as the kernel gave it.
 * @event: TEST_MIRROR_EVENT_* (the kernel's enum mmu_notifier_event).
 * @action: TEST_MIRROR_ACTION_* taken.
 * @flags: TEST_MIRROR_EVENT_F_*.
 * @handle: the binding that received it.
 * @entries: device-table entries affected (removed or downgraded).
 */
struct drm_test_mirror_event {
	__u64 seq;
	__u64 start;
	__u64 end;
	__u32 event;
	__u32 action;
	__u32 flags;
	__u32 handle;
	__u64 entries;
};

/* drm_test_mirror_events.flags */
#define TEST_MIRROR_EVENTS_CONSUME	(1u << 0)	/* remove the records returned */

/**
 * struct drm_test_mirror_events - read the log of recent invalidations
 * @ptr: user array of @count struct drm_test_mirror_event.
 * @count: in: capacity of @ptr; out: records written, oldest first.
 * @flags: TEST_MIRROR_EVENTS_CONSUME or 0.
 * @lost: out: records that fell out of the bounded log unread.
 * @reserved: must be zero.
 *
 * With TEST_MIRROR_EVENTS_CONSUME, exactly the records returned leave the
 * log, and @lost is taken off the lost count; on any error (-EFAULT: @ptr
 * is not writable) nothing leaves the log.
 */
struct drm_test_mirror_events {
	__u64 ptr;
	__u32 count;
	__u32 flags;
	__u64 lost;
	__u64 reserved;
};

/**
 * struct drm_test_mirror_migrate - the device moves pages it mirrors
 * @addr: first page, page aligned; the range must lie in one binding and
 *	one VMA of anonymous private memory.
 * @size: bytes, page aligned, non-zero.
 * @flags: must be zero.
 * @pad: must be zero.
 * @migrated: out: pages moved to new system-memory pages.
 * @reserved: must be zero.
 *
 * Like a device compacting or rebalancing its working set, the device
 * migrates the pages with migrate_vma_setup(), naming itself as the owner.
 * The kernel then raises MIGRATE with this file as owner: this file's table
 * skips the invalidation and updates its entries itself, while every other
 * mirror of the range (another file) invalidates. Pages the kernel cannot
 * migrate stay where they are. Errors: -ENOENT not bound, -EFAULT tracking
 * dropped or no VMA, -EINVAL the range spans VMAs or the VMA is not
 * anonymous, -EBUSY a job of this file (SUBMIT) that has not signalled
 * uses the range: it could write a page after its copy was made.
 */
struct drm_test_mirror_migrate {
	__u64 addr;
	__u64 size;
	__u32 flags;
	__u32 pad;
	__u64 migrated;
	__u64 reserved;
};

/* drm_test_mirror_devmem.op */
#define TEST_MIRROR_DEVMEM_TO_DEVICE	0	/* system memory to device memory */
#define TEST_MIRROR_DEVMEM_TO_SYSTEM	1	/* device memory to system memory */

/**
 * struct drm_test_mirror_devmem - move a bound range to device memory or back
 * @addr: first page, page aligned; the range must lie in one binding and
 *	one VMA of anonymous private memory.
 * @size: bytes, page aligned, non-zero.
 * @op: TEST_MIRROR_DEVMEM_TO_DEVICE or TEST_MIRROR_DEVMEM_TO_SYSTEM.
 * @flags: must be zero.
 * @pages: out: pages moved (also on error: those moved before it).
 * @reserved: must be zero.
 *
 * Only with TEST_MIRROR_CAP_DEVICE_PRIVATE; else -EOPNOTSUPP.
 *
 * TO_DEVICE moves the pages (and the holes: an untouched page becomes a
 * zeroed device page) into the device's memory, with migrate_vma_setup()
 * naming this file as the owner: this file's entries follow the pages
 * (SKIP), other mirrors invalidate (MIGRATE). The device then maps them:
 * SNAPSHOT reports TEST_MIRROR_SNAP_DEVICE, and READ/WRITE use the device's
 * copy without a fault. When the device's memory is full, it first evicts
 * its least recently used pages to system memory (CLEAR events, owner
 * none); pages that still do not fit stay in system memory. TO_SYSTEM
 * brings the device pages of the range home (MIGRATE with the device as
 * owner: every mirror invalidates, this file's included). A CPU access to a
 * device page brings that page home by itself.
 *
 * A device page belongs to the device, not to this file: it stays in
 * device memory after the file is closed, until the process touches, frees
 * or unmaps it, or the device evicts it. Errors: -ENOENT not bound,
 * -EFAULT tracking dropped or no VMA, -EINVAL bad @op, @flags or
 * @reserved, or the range spans VMAs or is not anonymous memory, -EBUSY a
 * job of this file that has not signalled uses the range (as MIGRATE).
 */
struct drm_test_mirror_devmem {
	__u64 addr;
	__u64 size;
	__u32 op;
	__u32 flags;
	__u64 pages;
	__u64 reserved;
};

/* drm_test_mirror_atomic.op */
#define TEST_MIRROR_ATOMIC_FETCH_ADD	0	/* *addr += operand */
#define TEST_MIRROR_ATOMIC_CMPXCHG	1	/* if (*addr == compare) *addr = operand */

/**
 * struct drm_test_mirror_atomic - a device atomic on one 64-bit word
 * @addr: the word, 8-byte aligned, in a read-write binding of anonymous
 *	private memory the CPU maps writable.
 * @operand: FETCH_ADD: the value added (modulo 2^64); CMPXCHG: the value
 *	stored if the word equals @compare.
 * @compare: CMPXCHG: the value expected; FETCH_ADD: must be zero.
 * @old: out: the word's value before the operation (CMPXCHG succeeded
 *	exactly when @old equals @compare).
 * @op: TEST_MIRROR_ATOMIC_*.
 * @flags: must be zero.
 * @granted: out: 1 if this operation took the page exclusive for the
 *	device, 0 if the device held it already.
 * @pad: must be zero.
 * @reserved: must be zero.
 *
 * As a GPU does for its atomics on system memory, the device takes the
 * page with make_device_exclusive(): the CPU page table then holds a
 * device-exclusive entry, which no CPU access can use, and the operation is
 * atomic against the CPU and every other device. The device keeps the page
 * (SNAPSHOT shows TEST_MIRROR_SNAP_EXCLUSIVE) until the CPU touches it: the
 * CPU's fault restores its mapping and raises CLEAR, which removes the
 * device's entry; the next ATOMIC takes the page again. The kernel raises
 * EXCLUSIVE, with this file as owner, when the device takes a page: this
 * file's table skips it (TEST_MIRROR_ACTION_SKIP), every other mirror of the
 * page invalidates.
 *
 * Errors: -EOPNOTSUPP the kernel cannot (no TEST_MIRROR_CAP_DEVICE_EXCLUSIVE);
 * -EINVAL misaligned @addr, an unknown @op, non-zero @flags, @pad,
 * @reserved (or @compare for FETCH_ADD), or memory that is not anonymous
 * private memory (a file, shared memory, hugetlbfs); -ENOENT the word is in
 * no binding; -EPERM a read-only binding, or memory the CPU maps read-only;
 * -EFAULT the tracking of the page was dropped by munmap, or no VMA;
 * -ENOSPC the device table is full; -EBUSY the CPU page table kept changing
 * for a second; -EINTR a fatal signal.
 */
struct drm_test_mirror_atomic {
	__u64 addr;
	__u64 operand;
	__u64 compare;
	__u64 old;
	__u32 op;
	__u32 flags;
	__u32 granted;
	__u32 pad;
	__u64 reserved[2];
};

/* Job types (drm_test_mirror_submit.op). */
#define TEST_MIRROR_JOB_COPY		0	/* @src to @dst */
#define TEST_MIRROR_JOB_FILL		1	/* @value to every word of @dst */
#define TEST_MIRROR_JOB_ATOMIC		2	/* add @value to every word of @dst */
#define TEST_MIRROR_JOB_STREAM		3	/* read @src or write @dst, for a time */

/* Most bytes one job may touch per range; longest STREAM. */
#define TEST_MIRROR_JOB_MAX_SIZE	(64ull << 20)
#define TEST_MIRROR_JOB_MAX_MS		5000
/* Jobs one file may have submitted whose fences have not signalled. */
#define TEST_MIRROR_JOBS_PER_FILE	16

/**
 * struct drm_test_mirror_submit - queue a job on the device's engine
 * @op: TEST_MIRROR_JOB_*.
 * @flags: TEST_MIRROR_SUBMIT_FAULTABLE (the fault model, below) or 0.
 * @src: COPY: the range read; STREAM: the range read over and over, or 0
 *	for a writing STREAM; FILL, ATOMIC: must be 0.
 * @dst: COPY, FILL, ATOMIC: the range written; STREAM: the range written
 *	over and over (@value in every 64-bit word), or 0 for a reading STREAM.
 * @size: bytes of each range, page aligned, at most
 *	TEST_MIRROR_JOB_MAX_SIZE. COPY's ranges may not overlap.
 * @value: FILL and a writing STREAM: the 64-bit value stored; ATOMIC: the
 *	value added to every word, atomically against the CPU's atomics (a
 *	batch of device atomics, done as system-scope atomics on the page);
 *	COPY and a reading STREAM: must be 0.
 * @duration_ms: STREAM: how long it runs, 1 to TEST_MIRROR_JOB_MAX_MS;
 *	others: must be 0.
 * @in_syncobj: a syncobj handle whose fence the job waits for before it
 *	runs, or 0 for none; must be 0 in the fault model.
 * @in_point: the timeline point of @in_syncobj (0 for a binary syncobj).
 * @out_syncobj: a syncobj handle that receives the job's fence, or 0; must
 *	be 0 in the fault model.
 * @pad: must be zero.
 * @ufence_addr: the fault model: the address of the job's user fence
 *	(struct drm_test_mirror_ufence, 16-byte aligned, inside a binding
 *	that allows writes); must be 0 in the pre-validated model.
 * @ufence_value: the fault model: the value the device writes to the user
 *	fence's @seqno when the job ends; must be 0 in the pre-validated model.
 *
 * The pre-validated ("userptr") model: before SUBMIT returns, every page
 * of the job's ranges has a device entry with the access the job needs,
 * faulted like a READ or WRITE would, and all of them were valid together
 * at one moment. The job then runs on the device's engine, after its
 * in-fence and after the file's earlier jobs, reading the device table
 * without the driver's locks, as hardware does. It never faults: a page
 * whose entry an invalidation removed (munmap, MADV_DONTNEED, migration,
 * the CPU breaking COW...) or made read-only for a job that writes
 * (mprotect, fork) ends the job; its fence then carries -EFAULT, and what it
 * did before stays done. The invalidation waits for the engine to stop
 * using the entries it removed before it returns. A reading job survives a
 * write-protection (the event-aware policy keeps read-only entries).
 *
 * The fence carries -ETIMEDOUT if the job ran longer than the
 * ``job_timeout_ms`` module parameter, -ECANCELED if its file was closed
 * while it ran, and an in-fence's error if that fence failed (the job does
 * not run then). Read it with drmSyncobjExportSyncFile() and
 * SYNC_IOC_FILE_INFO (status 1: done, negative: the error).
 *
 * Errors (nothing is queued): -EINVAL an unknown @op, non-zero @flags,
 * @pad or @reserved, a field the op does not use that is not 0, misaligned
 * or overlapping ranges, @duration_ms out of range; -E2BIG @size over
 * TEST_MIRROR_JOB_MAX_SIZE; -ENOENT a range not inside one binding, or a
 * syncobj handle that names no syncobj (or, for @in_syncobj, one without a
 * fence); -EPERM @dst in a read-only binding, or memory the CPU maps
 * read-only (as WRITE); -EFAULT a page that cannot be faulted (not mapped,
 * PROT_NONE) or whose tracking munmap dropped; -EBUSY TEST_MIRROR_JOBS_PER_FILE jobs of
 * this file whose fences have not signalled; -EAGAIN invalidations kept racing with the
 * validation; -ENOSPC the device table is full; -EINTR a fatal signal.
 *
 * The fault model (TEST_MIRROR_SUBMIT_FAULTABLE): SUBMIT checks the ranges
 * against the bindings and queues the job on the fault engine, faulting
 * nothing. A page whose entry is missing, or read-only for a write, raises a
 * device page fault: the fault handler makes it valid (hmm_range_fault(), as
 * a READ or WRITE would) and the device replays the access. A job therefore
 * survives what ends a pre-validated one (MADV_DONTNEED, migration, fork's
 * write-protection, a CPU write breaking COW) and fails only on a fault that
 * cannot be resolved: memory unmapped or PROT_NONE (-EFAULT), read-only for
 * a write (-EPERM), tracking that munmap dropped or a binding gone (-EFAULT).
 * Such a job cannot have a dma_fence (it may wait for the mmap lock, which
 * an invalidation waiting for a fence may hold): it reports its end in its
 * user fence, which the device writes like any of its writes, through the
 * device table (faulting if need be): first the error, then the sequence
 * number. Wait for it with DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, or poll it.
 * If the fence's own page cannot be faulted, the end is not reported and
 * only STATS count the job. The job's fate: @error 0, or -EFAULT, -EPERM,
 * -ETIMEDOUT (it ran longer than ``job_timeout_ms``), -ECANCELED (its file
 * was closed; the fence may then not be written at all). The fault model's
 * errors at SUBMIT are those above, and -EINVAL for a syncobj, a misaligned
 * @ufence_addr, or @ufence_value 0; -ENOENT and -EPERM for @ufence_addr as
 * for @dst.
 */
struct drm_test_mirror_submit {
	__u32 op;
	__u32 flags;
	__u64 src;
	__u64 dst;
	__u64 size;
	__u64 value;
	__u32 duration_ms;
	__u32 in_syncobj;
	__u64 in_point;
	__u32 out_syncobj;
	__u32 pad;
	__u64 ufence_addr;
	__u64 ufence_value;
};

/* drm_test_mirror_submit.flags */
#define TEST_MIRROR_SUBMIT_FAULTABLE	(1u << 0)	/* the fault model */

/**
 * struct drm_test_mirror_ufence - a fault-model job's user fence, in memory
 * @seqno: written last by the device: the job's
 *	drm_test_mirror_submit.ufence_value, once the job has ended.
 * @error: written first: 0 if the job completed, else a negative errno.
 * @pad: the device writes 0.
 */
struct drm_test_mirror_ufence {
	__u64 seqno;
	__s32 error;
	__u32 pad;
};

/**
 * struct drm_test_mirror_wait_ufence - wait for a user fence
 * @addr: the address of a 64-bit value in the caller's memory (8-byte
 *	aligned), a struct drm_test_mirror_ufence's @seqno.
 * @value: wait until the value at @addr is at least this.
 * @timeout_ns: how long to wait, from the call; 0 only looks. Timed with
 *	a high-resolution timer: -ETIME never comes before it has passed.
 * @flags: must be zero.
 * @pad: must be zero.
 *
 * Any memory can be waited on; the device's fault-model jobs wake waiters
 * when they write a user fence of this file.
 *
 * Errors: -EINVAL non-zero @flags or @pad, then -EACCES a caller whose
 * address space is not the file's (-ESRCH: that one has exited), then
 * -EINVAL a misaligned @addr or a negative @timeout_ns; -EFAULT @addr
 * cannot be read; -ETIME the value stayed below @value for @timeout_ns;
 * -EINTR (or a restart) a signal.
 */
struct drm_test_mirror_wait_ufence {
	__u64 addr;
	__u64 value;
	__s64 timeout_ns;
	__u32 flags;
	__u32 pad;
};

#define DRM_TEST_MIRROR_BIND		0x00
#define DRM_TEST_MIRROR_UNBIND		0x01
#define DRM_TEST_MIRROR_READ		0x02
#define DRM_TEST_MIRROR_WRITE		0x03
#define DRM_TEST_MIRROR_SNAPSHOT	0x04
#define DRM_TEST_MIRROR_STATS		0x05
#define DRM_TEST_MIRROR_EVENTS		0x06
#define DRM_TEST_MIRROR_MIGRATE		0x07
#define DRM_TEST_MIRROR_DEVMEM		0x08
#define DRM_TEST_MIRROR_ATOMIC		0x09
#define DRM_TEST_MIRROR_SUBMIT		0x0a
#define DRM_TEST_MIRROR_WAIT_UFENCE	0x0b

/* DRM's ioctl base and driver command base, as in drm.h. */
#define TEST_MIRROR_IOCTL_BASE		'd'
#define TEST_MIRROR_COMMAND_BASE	0x40
#define TEST_MIRROR_IOWR(nr, type) \
	_IOWR(TEST_MIRROR_IOCTL_BASE, TEST_MIRROR_COMMAND_BASE + (nr), type)
#define TEST_MIRROR_IOW(nr, type) \
	_IOW(TEST_MIRROR_IOCTL_BASE, TEST_MIRROR_COMMAND_BASE + (nr), type)

#define DRM_IOCTL_TEST_MIRROR_BIND \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_BIND, struct drm_test_mirror_bind)
#define DRM_IOCTL_TEST_MIRROR_UNBIND \
	TEST_MIRROR_IOW(DRM_TEST_MIRROR_UNBIND, struct drm_test_mirror_unbind)
#define DRM_IOCTL_TEST_MIRROR_READ \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_READ, struct drm_test_mirror_access)
#define DRM_IOCTL_TEST_MIRROR_WRITE \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_WRITE, struct drm_test_mirror_access)
#define DRM_IOCTL_TEST_MIRROR_SNAPSHOT \
	TEST_MIRROR_IOW(DRM_TEST_MIRROR_SNAPSHOT, struct drm_test_mirror_snapshot)
#define DRM_IOCTL_TEST_MIRROR_STATS \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_STATS, struct drm_test_mirror_stats)
#define DRM_IOCTL_TEST_MIRROR_EVENTS \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_EVENTS, struct drm_test_mirror_events)
#define DRM_IOCTL_TEST_MIRROR_MIGRATE \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_MIGRATE, struct drm_test_mirror_migrate)
#define DRM_IOCTL_TEST_MIRROR_DEVMEM \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_DEVMEM, struct drm_test_mirror_devmem)
#define DRM_IOCTL_TEST_MIRROR_ATOMIC \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_ATOMIC, struct drm_test_mirror_atomic)
#define DRM_IOCTL_TEST_MIRROR_SUBMIT \
	TEST_MIRROR_IOWR(DRM_TEST_MIRROR_SUBMIT, struct drm_test_mirror_submit)
#define DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE \
	TEST_MIRROR_IOW(DRM_TEST_MIRROR_WAIT_UFENCE, \
			struct drm_test_mirror_wait_ufence)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_TEST_MIRROR_DRM_H_ */
