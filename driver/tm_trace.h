/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: tracepoints, under events/test_mirror/ in tracefs.
 *
 * tm_invalidate: one per invalidate callback a segment receives.
 * tm_fault: one per device fault round (hmm_range_fault() + install).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM test_mirror

#if !defined(_TM_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _TM_TRACE_H_

#include <linux/tracepoint.h>

TRACE_EVENT(tm_invalidate,
	TP_PROTO(u32 handle, unsigned long start, unsigned long end,
		 unsigned int event, unsigned int action, bool blockable,
		 unsigned long entries),
	TP_ARGS(handle, start, end, event, action, blockable, entries),
	TP_STRUCT__entry(
		__field(u32, handle)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(unsigned int, event)
		__field(unsigned int, action)
		__field(bool, blockable)
		__field(unsigned long, entries)
	),
	TP_fast_assign(
		__entry->handle = handle;
		__entry->start = start;
		__entry->end = end;
		__entry->event = event;
		__entry->action = action;
		__entry->blockable = blockable;
		__entry->entries = entries;
	),
	TP_printk("handle=%u range=0x%lx-0x%lx event=%s action=%s blockable=%d entries=%lu",
		  __entry->handle, __entry->start, __entry->end,
		  __print_symbolic(__entry->event,
				   { 0, "UNMAP" }, { 1, "CLEAR" },
				   { 2, "PROTECTION_VMA" },
				   { 3, "PROTECTION_PAGE" },
				   { 4, "SOFT_DIRTY" }, { 5, "RELEASE" },
				   { 6, "MIGRATE" }, { 7, "EXCLUSIVE" }),
		  __print_symbolic(__entry->action,
				   { 0, "none" }, { 1, "invalidate" },
				   { 2, "downgrade" }, { 3, "drop" },
				   { 4, "release" }, { 5, "skip" },
				   { 6, "busy" }),
		  __entry->blockable, __entry->entries)
);

TRACE_EVENT(tm_fault,
	TP_PROTO(u32 handle, unsigned long start, unsigned long end,
		 bool write, int ret, unsigned long installed),
	TP_ARGS(handle, start, end, write, ret, installed),
	TP_STRUCT__entry(
		__field(u32, handle)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(bool, write)
		__field(int, ret)
		__field(unsigned long, installed)
	),
	TP_fast_assign(
		__entry->handle = handle;
		__entry->start = start;
		__entry->end = end;
		__entry->write = write;
		__entry->ret = ret;
		__entry->installed = installed;
	),
	TP_printk("handle=%u range=0x%lx-0x%lx %s ret=%d installed=%lu",
		  __entry->handle, __entry->start, __entry->end,
		  __entry->write ? "write" : "read", __entry->ret,
		  __entry->installed)
);

#endif /* _TM_TRACE_H_ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tm_trace
#include <trace/define_trace.h>
