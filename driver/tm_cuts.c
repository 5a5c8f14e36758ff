// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: cut arrays, the parts of a segment whose tracking UNMAP
 * dropped (see "UNMAP and cuts" in tm_seg.c). Plain data: no locking here,
 * the callers hold the table lock; nothing is allocated, because cuts are
 * recorded from the invalidate callback.
 */

#include <linux/minmax.h>
#include <linux/string.h>

#include "tm_core.h"

/**
 * tm_cuts_has - is an address cut?
 * @c: the cuts
 * @addr: the address
 *
 * Return: true if a cut covers @addr.
 */
bool tm_cuts_has(const struct tm_cuts *c, unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (addr >= c->cut[i].start && addr < c->cut[i].end)
			return true;
	return false;
}

/**
 * tm_cuts_live_end - end of the uncut run that starts at an address
 * @c: the cuts
 * @addr: an address no cut covers
 * @stop: the most the answer may be
 *
 * Return: the start of the first cut after @addr, or @stop.
 */
unsigned long tm_cuts_live_end(const struct tm_cuts *c, unsigned long addr,
			       unsigned long stop)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (c->cut[i].start > addr && c->cut[i].start < stop)
			stop = c->cut[i].start;
	return stop;
}

/**
 * tm_cuts_uncut - how much of a range no cut covers
 * @c: the cuts
 * @start: first address
 * @end: end (exclusive)
 *
 * Return: bytes of [@start, @end) outside every cut.
 */
unsigned long tm_cuts_uncut(const struct tm_cuts *c, unsigned long start,
			    unsigned long end)
{
	unsigned long len = end - start;
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (c->cut[i].start < end && c->cut[i].end > start)
			len -= min(end, c->cut[i].end) - max(start, c->cut[i].start);
	return len;
}

/**
 * tm_cuts_add - record a cut
 * @c: the cuts
 * @start: first address
 * @end: end (exclusive), > @start
 * @gap: out: when the array overflowed, the part between the two closest
 *	cuts, which merged into one; its tracking is dropped too, and the
 *	caller removes its entries. Empty (start == end) otherwise.
 *
 * Keeps the array sorted, with overlapping and adjacent cuts coalesced.
 * Allocates nothing.
 *
 * Return: bytes newly cut, the gap included; 0 when the cuts covered
 * [@start, @end) already, and then nothing changed.
 */
unsigned long tm_cuts_add(struct tm_cuts *c, unsigned long start,
			  unsigned long end, struct tm_cut *gap)
{
	struct tm_cut t[TM_MAX_CUTS + 1];
	unsigned long added = tm_cuts_uncut(c, start, end);
	unsigned int i, nr = 0, best;

	gap->start = 0;
	gap->end = 0;
	if (!added)
		return 0;
	for (i = 0; i < c->nr && c->cut[i].start < start; i++)
		t[nr++] = c->cut[i];
	t[nr].start = start;
	t[nr++].end = end;
	for (; i < c->nr; i++)
		t[nr++] = c->cut[i];
	for (i = 0; i + 1 < nr;) {
		if (t[i].end >= t[i + 1].start) {
			t[i].end = max(t[i].end, t[i + 1].end);
			memmove(&t[i + 1], &t[i + 2], (nr - i - 2) * sizeof(*t));
			nr--;
		} else {
			i++;
		}
	}
	if (nr > TM_MAX_CUTS) {
		best = 0;
		for (i = 1; i + 1 < nr; i++)
			if (t[i + 1].start - t[i].end <
			    t[best + 1].start - t[best].end)
				best = i;
		gap->start = t[best].end;
		gap->end = t[best + 1].start;
		added += gap->end - gap->start;
		t[best].end = t[best + 1].end;
		memmove(&t[best + 1], &t[best + 2], (nr - best - 2) * sizeof(*t));
		nr--;
	}
	memcpy(c->cut, t, nr * sizeof(*t));
	c->nr = nr;
	return added;
}
