// SPDX-License-Identifier: GPL-2.0
/*
 * tm_expect: assertions on the event log, the device table, device reads
 * and writes, and memory contents. See tm_expect.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_lib.h"

/* ------------------------------------------------------------------------ */
/* The event log                                                             */
/* ------------------------------------------------------------------------ */

int tm_evlog_read(int fd, struct tm_evlog *log, bool consume)
{
	return tm_events(fd, log->rec, log->max, consume, &log->n,
			 &log->lost);
}

int tm_evlog_drain(int fd)
{
	struct drm_test_mirror_event rec[64];
	unsigned int n;
	int ret;

	do {
		ret = tm_events(fd, rec, 64, true, &n, NULL);
		if (ret)
			return ret;
	} while (n == 64);
	return 0;
}

static bool tm_rec_match(const struct drm_test_mirror_event *r,
			 unsigned int event, uint32_t handle)
{
	return r->event == event && (!handle || r->handle == handle);
}

void tm_evlog_sum(const struct tm_evlog *log, unsigned int event,
		  uint32_t handle, uint64_t start, uint64_t end,
		  struct tm_evsum *sum)
{
	uint64_t cursor = start;
	bool progress = true;
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	sum->flags_and = ~0u;
	for (i = 0; i < log->n; i++) {
		const struct drm_test_mirror_event *r = &log->rec[i];

		if (!tm_rec_match(r, event, handle))
			continue;
		if (r->end <= start || r->start >= end)
			continue;
		sum->count++;
		sum->actions |= 1u << (r->action & 31);
		sum->flags_and &= r->flags;
		sum->entries += r->entries;
	}
	if (!sum->count)
		sum->flags_and = 0;

	/* Does the union of the matching records cover [start, end)? */
	while (cursor < end && progress) {
		progress = false;
		for (i = 0; i < log->n; i++) {
			const struct drm_test_mirror_event *r = &log->rec[i];

			if (tm_rec_match(r, event, handle) &&
			    r->start <= cursor && r->end > cursor) {
				cursor = r->end;
				progress = true;
			}
		}
	}
	sum->covers = cursor >= end;
}

unsigned int tm_evlog_count(const struct tm_evlog *log, unsigned int event)
{
	unsigned int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += log->rec[i].event == event;
	return n;
}

unsigned int tm_evlog_filter(const struct tm_evlog *log, unsigned int ev,
			     uint32_t h, struct drm_test_mirror_event *recs,
			     unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < log->n; i++) {
		if (!tm_rec_match(&log->rec[i], ev, h))
			continue;
		if (n < max)
			recs[n] = log->rec[i];
		n++;
	}
	return n;
}

void tm_evlog_print(const struct tm_evlog *log)
{
	unsigned int i, shown = log->n <= 36 ? log->n : 32;

	tm_diag("events: %u record(s)%s", log->n,
		log->lost ? " (LOST some)" : "");
	for (i = 0; i < shown; i++) {
		const struct drm_test_mirror_event *r = &log->rec[i];

		tm_diag("  seq %" PRIu64 " %s [0x%" PRIx64 ", 0x%" PRIx64
			") %s, handle %u, entries %" PRIu64 "%s",
			(uint64_t)r->seq, tm_event_name(r->event),
			(uint64_t)r->start, (uint64_t)r->end,
			tm_action_name(r->action), r->handle,
			(uint64_t)r->entries,
			r->flags & TEST_MIRROR_EVENT_F_BLOCKABLE ? "" :
			" NON-BLOCKABLE");
	}
	if (shown < log->n)
		tm_diag("  ... %u more", log->n - shown);
}

struct tm_evlog *tm_evlog_new_at(unsigned int max, const char *file,
				 int line)
{
	struct tm_evlog *log = calloc(1, sizeof(*log) + max * sizeof(log->rec[0]));

	if (!log)
		tm_fail(file, line, "out of memory");
	log->max = max;
	return log;
}

struct tm_evlog *tm_must_evlog_at(int fd, const char *file, int line)
{
	struct tm_evlog *log = tm_evlog_new_at(TM_EVLOG_MAX, file, line);
	int ret;

	ret = tm_evlog_read(fd, log, false);
	if (ret)
		tm_fail(file, line, "events: %s", tm_errname(ret));
	return log;
}

struct tm_evlog *tm_ev_take_at(int fd, unsigned int max, const char *file,
			       int line)
{
	struct tm_evlog *log = tm_evlog_new_at(max, file, line);
	int ret;

	ret = tm_evlog_read(fd, log, true);
	if (ret)
		tm_fail(file, line, "events: %s", tm_errname(ret));
	tm_evlog_print(log);
	if (log->lost)
		tm_fail(file, line, "%" PRIu64 " event records lost",
			(uint64_t)log->lost);
	return log;
}

uint64_t tm_expect_ev_at(const char *file, int line,
			 const struct tm_evlog *log, unsigned int ev,
			 uint32_t h, uint64_t s, uint64_t e, uint32_t acts,
			 int nrec)
{
	struct tm_evsum sum;

	tm_evlog_sum(log, ev, h, s, e, &sum);
	if (!sum.count) {
		tm_evlog_print(log);
		tm_fail(file, line, "no %s record over [0x%" PRIx64 ", 0x%"
			PRIx64 ")", tm_event_name(ev), s, e);
	}
	if (nrec >= 0 && sum.count != (unsigned int)nrec) {
		tm_evlog_print(log);
		tm_fail(file, line, "%u %s record(s) over [0x%" PRIx64 ", 0x%"
			PRIx64 "), expected %d", sum.count, tm_event_name(ev),
			s, e, nrec);
	}
	if (!sum.covers) {
		tm_evlog_print(log);
		tm_fail(file, line, "%s records do not cover [0x%" PRIx64
			", 0x%" PRIx64 ")", tm_event_name(ev), s, e);
	}
	if (sum.actions != acts) {
		tm_evlog_print(log);
		tm_fail(file, line, "%s: actions 0x%x, expected 0x%x (%s)",
			tm_event_name(ev), sum.actions, acts,
			tm_action_name((unsigned int)__builtin_ctz(acts)));
	}
	if (!(sum.flags_and & TEST_MIRROR_EVENT_F_BLOCKABLE)) {
		tm_evlog_print(log);
		tm_fail(file, line, "%s: a record was not blockable",
			tm_event_name(ev));
	}
	return sum.entries;
}

void tm_expect_within_at(const char *file, int line,
			 const struct tm_evlog *log, unsigned int ev,
			 uint64_t lo, uint64_t hi)
{
	unsigned int i;

	for (i = 0; i < log->n; i++) {
		const struct drm_test_mirror_event *r = &log->rec[i];

		if (r->event == ev && (r->start < lo || r->end > hi))
			tm_fail(file, line, "%s record [0x%" PRIx64 ", 0x%"
				PRIx64 ") exceeds [0x%" PRIx64 ", 0x%" PRIx64
				")", tm_event_name(ev), (uint64_t)r->start,
				(uint64_t)r->end, lo, hi);
	}
}

void tm_expect_only_at(const char *file, int line,
		       const struct tm_evlog *log, uint32_t mask)
{
	unsigned int i;

	for (i = 0; i < log->n; i++)
		if (!(mask & BIT(log->rec[i].event)))
			tm_fail(file, line, "unexpected %s record (seq %" PRIu64
				")", tm_event_name(log->rec[i].event),
				(uint64_t)log->rec[i].seq);
}

void tm_expect_nrec_at(const char *file, int line,
		       const struct tm_evlog *log, unsigned int n)
{
	if (log->n != n) {
		tm_evlog_print(log);
		tm_fail(file, line, "the log has %u record(s), expected %u",
			log->n, n);
	}
}

void tm_expect_rec_at(const char *file, int line, const struct tm_evlog *log,
		      unsigned int i, unsigned int ev, uint32_t h, uint64_t s,
		      uint64_t e, unsigned int act, uint64_t entries)
{
	const struct drm_test_mirror_event *r;

	if (i >= log->n)
		tm_fail(file, line, "record %u: the log has %u record(s)", i,
			log->n);
	r = &log->rec[i];
	if (r->event != ev || r->start != s || r->end != e ||
	    r->action != act || r->handle != h || r->entries != entries ||
	    !(r->flags & TEST_MIRROR_EVENT_F_BLOCKABLE))
		tm_fail(file, line, "record %u: %s [0x%" PRIx64 ", 0x%" PRIx64
			") %s, handle %u, entries %" PRIu64 "%s; expected %s "
			"[0x%" PRIx64 ", 0x%" PRIx64 ") %s, handle %u, entries %"
			PRIu64, i, tm_event_name(r->event), (uint64_t)r->start,
			(uint64_t)r->end, tm_action_name(r->action), r->handle,
			(uint64_t)r->entries,
			r->flags & TEST_MIRROR_EVENT_F_BLOCKABLE ? "" :
			" NON-BLOCKABLE", tm_event_name(ev), s, e,
			tm_action_name(act), h, entries);
}

int tm_expect_release_then_unmap_at(const char *file, int line,
				    const struct tm_trace_rec *r, int n,
				    uint64_t released, uint64_t s, uint64_t e)
{
	int i_rel, i_unm;

	i_rel = tm_trace_find(r, n, 0, EV_RELEASE, 1, 0, UINT64_MAX);
	if (i_rel < 0)
		tm_fail(file, line,
			"no RELEASE record for the whole address space");
	if (r[i_rel].act != ACT_RELEASE || r[i_rel].ent != released)
		tm_fail(file, line, "RELEASE: action %s, %" PRIu64
			" entries; expected RELEASE, %" PRIu64,
			tm_action_name(r[i_rel].act), r[i_rel].ent, released);
	i_unm = tm_trace_find(r, n, i_rel + 1, EV_UNMAP, 1, s, e);
	if (i_unm < 0)
		tm_fail(file, line, "no UNMAP after RELEASE over [0x%" PRIx64
			", 0x%" PRIx64 ")", s, e);
	if (r[i_unm].act != ACT_DROP)
		tm_fail(file, line, "UNMAP after RELEASE: action %s, expected DROP",
			tm_action_name(r[i_unm].act));
	return i_unm;
}

/* ------------------------------------------------------------------------ */
/* The device table                                                          */
/* ------------------------------------------------------------------------ */

char tm_snap_char(uint8_t snap)
{
	bool huge = snap & TEST_MIRROR_SNAP_HUGE;

	switch (snap & ~TEST_MIRROR_SNAP_HUGE) {
	case TEST_MIRROR_SNAP_NONE:
		return huge ? '?' : '.';
	case TEST_MIRROR_SNAP_READ:
		return huge ? 'r' : 'R';
	case TEST_MIRROR_SNAP_WRITE:
		return huge ? 'w' : 'W';
	case TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_EXCLUSIVE:
		return huge ? '?' : 'X';
	case TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_DEVICE:
		return huge ? 'H' : 'V';
	case TEST_MIRROR_SNAP_READ | TEST_MIRROR_SNAP_DEVICE:
		return huge ? 'h' : 'v';
	case TEST_MIRROR_SNAP_DROPPED:
		return huge ? '?' : 'D';
	case TEST_MIRROR_SNAP_UNBOUND:
		return huge ? '?' : '-';
	default:
		return '?';
	}
}

char *tm_snap_str(const uint8_t *snap, size_t npages, char *buf)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		buf[2 * i] = tm_snap_char(snap[i]);
		buf[2 * i + 1] = ' ';
	}
	buf[npages ? 2 * npages - 1 : 0] = '\0';
	return buf;
}

const char *tm_rep(char c, size_t n)
{
	static char buf[4][2 * 520];
	static int k;
	char *b = buf[k++ & 3];
	size_t i;

	for (i = 0; i < n && i < 512; i++) {
		b[2 * i] = c;
		b[2 * i + 1] = ' ';
	}
	b[n ? 2 * (n < 512 ? n : 512) - 1 : 0] = '\0';
	return b;
}

void tm_expect_snap_at(const char *file, int line, int fd, const void *p,
		       size_t npages, const char *want)
{
	uint8_t *snap = malloc(npages);
	char *got = malloc(2 * npages + 1);
	size_t i;
	int ret;

	if (!snap || !got)
		tm_fail(file, line, "out of memory");
	if (strlen(want) != (npages ? 2 * npages - 1 : 0))
		tm_fail(file, line, "expected snapshot \"%s\" is not of %zu pages",
			want, npages);
	ret = tm_snapshot(fd, p, SZ(npages), snap);
	if (ret)
		tm_fail(file, line, "snapshot: %s", tm_errname(ret));
	tm_snap_str(snap, npages, got);
	for (i = 0; i < npages; i++) {
		char c = got[2 * i], w = want[2 * i];
		size_t from, len;

		if (w == c || (w == '*' && (c == 'R' || c == 'W')))
			continue;
		if (npages <= 64)
			tm_fail(file, line, "snapshot \"%s\", expected \"%s\" "
				"(page %zu: 0x%02x)", got, want, i, snap[i]);
		/* a long one: 32 pages around the first mismatch */
		from = i > 8 ? i - 8 : 0;
		len = npages - from < 32 ? npages - from : 32;
		tm_fail(file, line, "snapshot page %zu: 0x%02x; pages %zu..%zu: "
			"\"%.*s\", expected \"%.*s\"", i, snap[i], from,
			from + len - 1, (int)(2 * len - 1), got + 2 * from,
			(int)(2 * len - 1), want + 2 * from);
	}
	free(snap);
	free(got);
}

size_t tm_snap_count_at(const char *file, int line, int fd, const void *p,
			size_t npages, uint8_t val)
{
	uint8_t *snap = malloc(npages);
	size_t i, n = 0;
	int ret;

	if (!snap)
		tm_fail(file, line, "out of memory");
	ret = tm_snapshot(fd, p, SZ(npages), snap);
	if (ret)
		tm_fail(file, line, "snapshot: %s", tm_errname(ret));
	for (i = 0; i < npages; i++)
		n += snap[i] == val;
	free(snap);
	return n;
}

void tm_expect_state_runs_at(const char *file, int line, const char *state,
			     const void *p, size_t npages, const char *want)
{
	uint64_t base = ADDR(p), end = base + SZ(npages);
	unsigned long long s, e, n, a;
	bool *covered = calloc(npages, sizeof(*covered));
	const char *l;
	char kind[16];
	size_t i;

	if (!covered)
		tm_fail(file, line, "out of memory");
	for (l = state; *l; l++) {
		if (sscanf(l, "    0x%llx-0x%llx %15s (%llu pages)", &s, &e,
			   kind, &n) == 4) {
			for (a = s > base ? s : base; a < e && a < end;
			     a += PAGE_SZ) {
				i = (a - base) / PAGE_SZ;
				if (want[2 * i] != 'W' ||
				    strcmp(kind, "write")) {
					tm_dbg_diag(state);
					tm_fail(file, line,
						"debugfs run 0x%llx-0x%llx %s covers page %zu, which must be '%c'",
						s, e, kind, i, want[2 * i]);
				}
				covered[i] = true;
			}
		}
		l = strchr(l, '\n');
		if (!l)
			break;
	}
	for (i = 0; i < npages; i++) {
		if (want[2 * i] == 'W' && !covered[i]) {
			tm_dbg_diag(state);
			tm_fail(file, line, "page %zu ('W') is in no debugfs run",
				i);
		}
	}
	free(covered);
}

/* ------------------------------------------------------------------------ */
/* Device reads and writes                                                   */
/* ------------------------------------------------------------------------ */

struct tm_result tm_dev_read_at(const char *file, int line, int fd,
				const void *p, size_t npages, long faults,
				size_t off, uint32_t seed)
{
	struct tm_result res;
	uint8_t *buf = malloc(SZ(npages));
	ssize_t o;
	int ret;

	if (!buf)
		tm_fail(file, line, "out of memory");
	memset(buf, 0xa5, SZ(npages));
	ret = tm_read(fd, p, SZ(npages), buf, &res);
	if (ret)
		tm_fail(file, line, "device read of %zu page(s) at %p: %s "
			"(pages %" PRIu64 ")", npages, p, tm_errname(ret),
			res.pages);
	if (res.pages != npages)
		tm_fail(file, line, "device read: %" PRIu64 " pages, expected "
			"%zu", res.pages, npages);
	if (faults >= 0 && res.faults != (uint64_t)faults)
		tm_fail(file, line, "device read: %" PRIu64 " fault(s), "
			"expected %ld", res.faults, faults);
	o = seed ? tm_check_at(buf, off, SZ(npages), seed) :
		   tm_check_zero(buf, SZ(npages));
	if (o >= 0)
		tm_fail(file, line, "device read: %s %u differs at byte %zd "
			"(page %zd)", seed ? "pattern" : "zeros", seed, o,
			o / (ssize_t)PAGE_SZ);
	free(buf);
	return res;
}

void tm_dev_read_cpu_at(const char *file, int line, int fd, const void *p,
			size_t npages)
{
	uint8_t *buf = tm_scratch_at(npages, file, line);
	size_t i;
	int ret;

	ret = tm_read(fd, p, SZ(npages), buf, NULL);
	if (ret)
		tm_fail(file, line, "device read of %zu page(s) at %p: %s",
			npages, p, tm_errname(ret));
	for (i = 0; i < SZ(npages); i++)
		if (buf[i] != ((const uint8_t *)p)[i])
			tm_fail(file, line, "device read: byte %zu (page %zu) "
				"is 0x%02x, the CPU reads 0x%02x", i,
				i / PAGE_SZ, buf[i], ((const uint8_t *)p)[i]);
	free(buf);
}

void tm_dev_read_err_at(const char *file, int line, int fd, const void *p,
			size_t npages, int err, uint64_t pages)
{
	uint8_t *buf = malloc(SZ(npages));
	struct tm_result res;
	int ret;

	if (!buf)
		tm_fail(file, line, "out of memory");
	ret = tm_read(fd, p, SZ(npages), buf, &res);
	if (ret != err)
		tm_fail(file, line, "device read at %p: %s, expected %s", p,
			tm_errname(ret), tm_errname(err));
	if (res.pages != pages)
		tm_fail(file, line, "device read: %" PRIu64 " pages copied "
			"before the error, expected %" PRIu64, res.pages, pages);
	free(buf);
}

int tm_dev_write(int fd, const void *p, size_t npages, size_t off,
		 uint32_t seed, struct tm_result *res)
{
	uint8_t *buf = malloc(SZ(npages));
	int ret;

	if (!buf)
		FAIL("out of memory");
	tm_fill_at(buf, off, SZ(npages), seed);
	ret = tm_write(fd, p, SZ(npages), buf, res);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Memory contents                                                           */
/* ------------------------------------------------------------------------ */

void tm_expect_bytes_at(const char *file, int line, const void *p,
			size_t size, uint8_t byte, const char *what)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != byte)
			tm_fail(file, line,
				"%s: byte %zu (page %zu) is 0x%02x, expected 0x%02x",
				what, i, i / PAGE_SZ, b[i], byte);
}
