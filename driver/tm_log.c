// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: counters and the event log of one mirror.
 *
 * Every invalidation callback leaves one record in a bounded ring, oldest
 * first, and one tm_invalidate tracepoint event; the counters add up what
 * the mirror did. Both are read by the front-ends (STATS, EVENTS). A full
 * ring drops its oldest record and counts it as lost.
 */

#include <linux/mmu_notifier.h>
#include <linux/slab.h>

#include "tm_log.h"

#define CREATE_TRACE_POINTS
#include "tm_trace.h"

/**
 * tm_log_init - set up an empty log
 * @log: the log
 * @len: records in the ring, at least 1
 * @caps: the mirror's TM_CAP_* bits
 *
 * Return: 0 or -ENOMEM.
 */
int tm_log_init(struct tm_log *log, unsigned int len, u32 caps)
{
	memset(log, 0, sizeof(*log));
	spin_lock_init(&log->lock);
	log->ring = kvcalloc(len, sizeof(*log->ring), GFP_KERNEL_ACCOUNT);
	if (!log->ring)
		return -ENOMEM;
	log->len = len;
	log->st.caps = caps;
	return 0;
}

/**
 * tm_log_fini - free the ring
 * @log: the log; nothing may use it any more
 */
void tm_log_fini(struct tm_log *log)
{
	kvfree(log->ring);
	log->ring = NULL;
}

/**
 * tm_log_event - record one invalidation callback
 * @log: the log
 * @range: the kernel's range
 * @handle: the binding that received it
 * @action: what the callback did
 * @entries: entries removed or downgraded
 *
 * Never sleeps.
 */
void tm_log_event(struct tm_log *log, const struct mmu_notifier_range *range,
		  u32 handle, enum tm_action action, unsigned long entries)
{
	bool blockable = mmu_notifier_range_blockable(range);
	struct tm_event_rec *r;
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	if (range->event < TM_NR_EVENTS)
		log->st.events[range->event]++;
	if (!blockable) {
		log->st.nonblock_calls++;
		if (action == TM_ACTION_BUSY)
			log->st.nonblock_busy++;
	}
	if (action == TM_ACTION_DOWNGRADE)
		log->st.entries_downgraded += entries;
	else if (action != TM_ACTION_SKIP && action != TM_ACTION_BUSY)
		log->st.entries_invalidated += entries;

	if (log->count == log->len) {
		log->head = (log->head + 1) % log->len;
		log->count--;
		log->lost++;
	}
	r = &log->ring[(log->head + log->count) % log->len];
	log->count++;
	r->seq = ++log->seq;
	r->start = range->start;
	r->end = range->end;
	r->event = range->event;
	r->action = action;
	r->blockable = blockable;
	r->handle = handle;
	r->entries = entries;
	spin_unlock_irqrestore(&log->lock, flags);
	trace_tm_invalidate(handle, range->start, range->end, range->event,
			    action, blockable, entries);
}

/**
 * tm_log_add - add to one counter
 * @log: the log
 * @counter: a field of @log->st
 * @n: what to add
 */
void tm_log_add(struct tm_log *log, u64 *counter, u64 n)
{
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	*counter += n;
	spin_unlock_irqrestore(&log->lock, flags);
}

/**
 * tm_log_stats - read the counters
 * @log: the log
 * @st: out: the counters (the caller fills in the "now" fields)
 * @reset: zero the counters afterwards (the capabilities stay)
 */
void tm_log_stats(struct tm_log *log, struct tm_stats *st, bool reset)
{
	unsigned long flags;
	u32 caps;

	spin_lock_irqsave(&log->lock, flags);
	*st = log->st;
	if (reset) {
		caps = log->st.caps;
		memset(&log->st, 0, sizeof(log->st));
		log->st.caps = caps;
	}
	spin_unlock_irqrestore(&log->lock, flags);
}

/**
 * tm_log_read - copy the oldest records, leaving them in the log
 * @log: the log
 * @recs: out: up to @max records, oldest first
 * @max: capacity of @recs
 * @lost: out: records overwritten before being read
 *
 * Return: records copied.
 */
unsigned int tm_log_read(struct tm_log *log, struct tm_event_rec *recs,
			 unsigned int max, u64 *lost)
{
	unsigned long flags;
	unsigned int i, n;

	spin_lock_irqsave(&log->lock, flags);
	n = min(max, log->count);
	for (i = 0; i < n; i++)
		recs[i] = log->ring[(log->head + i) % log->len];
	*lost = log->lost;
	spin_unlock_irqrestore(&log->lock, flags);
	return n;
}

/**
 * tm_log_consume - remove records that were handed on
 * @log: the log
 * @last_seq: sequence number of the last record handed on (0: none)
 * @lost: the lost count handed on with them
 *
 * Removes the records up to @last_seq that are still in the ring and takes
 * @lost off the lost count: records lost since stay counted.
 */
void tm_log_consume(struct tm_log *log, u64 last_seq, u64 lost)
{
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	while (log->count && log->ring[log->head].seq <= last_seq) {
		log->head = (log->head + 1) % log->len;
		log->count--;
	}
	log->lost -= min(lost, log->lost);
	spin_unlock_irqrestore(&log->lock, flags);
}
