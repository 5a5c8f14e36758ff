// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: an ioctl fuzzer with an oracle, for every test_mirror front-end.
 *
 * Usage: tm_fuzz [--seed N] [--calls N] [harness options] [test patterns]
 *   --seed N    base seed (default 1); each test derives its own from it, so a
 *               failure is reproduced by the same seed, call count and test
 *   --calls N   ioctl calls (default 100000), shared by the DRM tests in
 *               proportion to their weights (which sum to 100, each share
 *               rounded up); the test_hmm-compatible tests make 17% more.
 *               Every test makes at least its share, so a full passing run
 *               makes at least N calls. The "tm_fuzz total" line counts the
 *               calls of the tests that completed (a failing test stops at
 *               its failure and is not counted there).
 *
 * The world of one test (a forked child, see tm_lib.h) is fully modelled:
 *
 *   window:  16 guard pages (PROT_NONE) | 160 arena pages | 16 guard pages
 *   arena:   A [0,64)    anonymous RW, filled with a pattern
 *            B [64,80)   anonymous PROT_READ (zero pages)
 *            C [80,88)   anonymous PROT_NONE
 *            D [88,96)   a hole (unmapped)
 *            E [96,128)  anonymous RW, untouched
 *            F [128,160) memfd MAP_SHARED RW, filled with a pattern
 *   zone:    1024 PROT_NONE pages for "wild" bindings
 *   low:     [0, 64 KiB), never mapped (mmap_min_addr)
 *   buffers: RW, read-only, half RW / half RO, each followed by a guard page
 *
 * plus a shadow copy of what the arena must contain, two device files (two
 * mirrors of this process) with a model of their bindings (handle, range,
 * access, pages whose tracking munmap dropped), and the module's parameters.
 * Every call's arguments are drawn from edge classes (unaligned, zero, huge,
 * wrapping and kernel addresses and sizes, unknown flags, non-zero reserved
 * fields, NULL / kernel / unmapped / read-only pointers, handles never issued,
 * freed, or of the other file), then issued normally, or through a raw ioctl
 * number with another size or direction (DRM zero-extends and truncates), or
 * with a bad argument pointer. The model predicts the exact errno (a set of
 * them only where the contract leaves a choice) and the side effects:
 *
 *   - an unexpected errno, or an unexpected success, is a failure;
 *   - READ data must equal the shadow; WRITE must land exactly on the pages
 *     it reports, nowhere else (the whole arena is compared with the shadow
 *     after every CPU-side change and every 64 calls);
 *   - bytes of a destination buffer past what the device copied, and every
 *     guard and canary, must be untouched;
 *   - SNAPSHOT may never show an entry for memory the CPU cannot access, or
 *     a write entry where the CPU maps read-only; EVENTS records and STATS
 *     counters must be well formed and agree with the model.
 *
 * The classes that seed bindings (drm_access, drm_snapshot, drm_stats_events,
 * drm_migrate, drm_raw_size, drm_mixed) also keep the arena bound
 * (they bind the gaps again when the model says random unbinds wore the
 * bindings down), and they and drm_bind draw a share of READ / WRITE calls
 * from the model, so that many of them reach the device copy and succeed
 * (see keep_bound_pct, guided_pct). Each test prints how many of its calls,
 * and of its device READ / WRITE calls, succeeded.
 *
 * The harness checks the guest kernel log for splats after the run.
 *
 * Tests (KTAP, one per class): drm_bind, drm_unbind, drm_access, drm_snapshot,
 * drm_stats_events, drm_migrate, drm_raw_size, drm_raw_nr, drm_argptr,
 * drm_mixed (all of them interleaved with munmap / mmap / mprotect / madvise
 * / CPU writes), drm_foreign (a forked child: -EACCES, nothing touched),
 * drm_race_unbind (threads: unbind/rebind racing device accesses), and the
 * same for the test_hmm-compatible front-end when the module has it
 * (hmm_cmds, hmm_raw, hmm_foreign).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_fuzz.h"

#include <misc/test_mirror_hmm.h>

/* ------------------------------------------------------------------------ */
/* Options, random numbers, counters                                         */
/* ------------------------------------------------------------------------ */

static uint64_t opt_seed = 1;
bool opt_trace;
static uint64_t opt_calls = 100000;

uint64_t rs;

uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

void seed_for(const char *name)
{
	uint64_t h = opt_seed * 0x100000001b3ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	rs = h;
}

/* Totals over the tests (each runs in its own child): shared memory. */
static struct total {
	uint64_t calls, checks, cpu_ops, tests;
} *total;

uint64_t cnt_err[NERR + 1];
uint64_t cnt_calls, cnt_skipped, cnt_cpu_ops, cnt_checks;
uint64_t cnt_acc, cnt_acc_ok, cnt_acc_pages;

void count_ret(int ret)
{
	int e = -ret;

	cnt_calls++;
	cnt_err[e >= 0 && e < NERR ? e : NERR]++;
}

void print_counts(const char *name)
{
	char buf[1024];
	size_t n = 0;
	int e;

	buf[0] = '\0';
	if (total) {
		total->calls += cnt_calls;
		total->checks += cnt_checks;
		total->cpu_ops += cnt_cpu_ops;
		total->tests += !strchr(name, '(');
	}

	for (e = 0; e <= NERR; e++) {
		if (!cnt_err[e])
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, " %s=%" PRIu64,
			      e == NERR ? "other" : tm_errname(-e), cnt_err[e]);
		if (n >= sizeof(buf) - 32)
			break;
	}
	tm_diag("%s: %" PRIu64 " calls (%" PRIu64 " checks, %" PRIu64
		" CPU-side ops, %" PRIu64 " unpredictable draws skipped):%s",
		name, cnt_calls, cnt_checks, cnt_cpu_ops, cnt_skipped, buf);
	tm_diag("%s: %" PRIu64 " calls, %" PRIu64 " succeeded (%" PRIu64 "%%)",
		name, cnt_calls, cnt_err[0],
		cnt_calls ? cnt_err[0] * 100 / cnt_calls : 0);
	if (cnt_acc)
		tm_diag("%s: %" PRIu64 " device READ/WRITE calls, %" PRIu64
			" succeeded (%" PRIu64 "%%), %" PRIu64
			" pages copied and checked",
			name, cnt_acc, cnt_acc_ok, cnt_acc_ok * 100 / cnt_acc,
			cnt_acc_pages);
}

/* ------------------------------------------------------------------------ */
/* DRM: one call of each kind                                                */
/* ------------------------------------------------------------------------ */

static enum issue_mode pick_mode(unsigned int raw_pct, unsigned int ptr_pct)
{
	unsigned int r = (unsigned int)rn(100);

	if (r < raw_pct)
		return IM_RAW;
	if (r < raw_pct + ptr_pct)
		return IM_ARGPTR;
	return IM_NORMAL;
}

static struct mfile *pick_file(struct mfile **other)
{
	int f = chance(80) ? 0 : 1;

	*other = &mf[!f];
	return &mf[f];
}

/* A wild range PREFAULT can be predicted for: it starts in modelled memory. */
static bool modelled_start(uint64_t a)
{
	return cpu_reason(a, false) != R_UNKNOWN;
}

/*
 * Issue BIND with argument a on file m and check it against the model.
 * True if the model has one more binding now.
 */
static bool bind_call(struct mfile *m, const struct drm_test_mirror_bind *a,
		      enum issue_mode mode)
{
	struct drm_test_mirror_bind *e;
	struct issue is;
	struct pred p = { 0 };
	uint64_t end;
	uint32_t h = 0;
	int ret;

	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_BIND, a, sizeof(*a), mode);
	e = (struct drm_test_mirror_bind *)is.eff;

	end = e->addr + e->size;
	if ((e->flags & ~TEST_MIRROR_BIND_FLAGS) ||
	    !(e->flags & TEST_MIRROR_BIND_READ) || e->reserved[0] ||
	    e->reserved[1]) {
		allow(&p, -EINVAL);
	} else if (check_range(e->addr, e->size)) {
		allow(&p, -EINVAL);
	} else if (overlaps(m, e->addr, end)) {
		allow(&p, -EEXIST);
	} else if ((uint64_t)m->nb >= max_bindings) {
		allow(&p, -ENOSPC);
	} else if (e->flags & TEST_MIRROR_BIND_PREFAULT) {
		bool w = e->flags & TEST_MIRROR_BIND_WRITE;
		uint64_t a2;
		int r = 0;

		if (!modelled_start(e->addr)) {
			cnt_skipped++;
			return false;
		}
		for (a2 = e->addr; a2 < end; a2 += PAGE_SZ) {
			r = cpu_reason(a2, w);
			if (r)
				break;
		}
		if (r == R_UNKNOWN) {
			cnt_skipped++;
			return false;
		}
		allow(&p, r);
	} else {
		allow(&p, 0);
	}
	ret = issue_call(&is, m->fd, &p, "BIND");
	if (!handler_ran(&is) || !allowed(&p, 0) || (ret && ret != -EFAULT))
		return false;
	/* The handler bound the range. */
	if (is.out_visible) {
		h = ((struct drm_test_mirror_bind *)is.uarg)->handle;
		if (!h || is_live(m, h))
			FAIL("BIND [0x%llx, +0x%llx) flags 0x%x returned %s with handle %u%s",
			     (unsigned long long)e->addr,
			     (unsigned long long)e->size, e->flags,
			     tm_errname(ret), h,
			     h ? ", a live one" : " (handles are never 0)");
		model_add(m, h, e->addr, end, e->flags);
		return true;
	} else {
		/*
		 * The handle never reached us: a binding with the lowest free
		 * handle exists now. Unbind it by that handle.
		 */
		h = lowest_free(m);
		ret = tm_unbind(m->fd, h);
		count_ret(ret);
		if (ret)
			FAIL("BIND whose handle was not copied out: UNBIND of handle %u (the lowest free one) gave %s",
			     h, tm_errname(ret));
		m->freed[m->nfreed++ % 64] = h;
		if (h > m->max_issued)
			m->max_issued = h;
	}
	return false;
}

static void op_bind(enum issue_mode mode)
{
	struct drm_test_mirror_bind a = { 0 };
	struct mfile *m, *other;

	m = pick_file(&other);
	if (m->nb >= MAXB - 1)
		return;
	a.addr = gen_addr();
	a.size = gen_size(a.addr);
	if (chance(60) && in_arena(a.addr) && !(a.addr & (PAGE_SZ - 1))) {
		/* Mostly small, page-aligned ranges in the arena. */
		a.size = (1 + rn(16)) * PAGE_SZ;
	}
	a.flags = gen_bind_flags();
	a.handle = (uint32_t)rnd();
	if (chance(10))
		a.reserved[rn(2)] = gen_u64_edge(0);
	bind_call(m, &a, mode);
}

/* Issue UNBIND with argument a on file m, checked against the model. */
static void unbind_call(struct mfile *m, const struct drm_test_mirror_unbind *a,
			enum issue_mode mode)
{
	struct drm_test_mirror_unbind *e;
	struct issue is;
	struct pred p = { 0 };
	int ret;

	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_UNBIND, a, sizeof(*a), mode);
	e = (struct drm_test_mirror_unbind *)is.eff;
	if (e->flags)
		allow(&p, -EINVAL);
	else if (!is_live(m, e->handle))
		allow(&p, -ENOENT);
	else
		allow(&p, 0);
	ret = issue_call(&is, m->fd, &p, "UNBIND");
	if (handler_ran(&is) && allowed(&p, 0) && (!ret || ret == -EFAULT))
		model_del(m, e->handle);
}

static void op_unbind(enum issue_mode mode)
{
	struct drm_test_mirror_unbind a = { 0 };
	struct mfile *m, *other;

	m = pick_file(&other);
	a.handle = gen_handle(m, other);
	if (chance(8))
		a.flags = (uint32_t)gen_u64_edge(0) | 1;
	unbind_call(m, &a, mode);
}


/* ------------------------------------------------------------------------ */
/* Keeping the device's copy path busy                                       */
/* ------------------------------------------------------------------------ */

/*
 * Left to the edge classes alone, random unbinds wear the bindings over the
 * arena down faster than small random binds replace them, CPU-side changes
 * make arena pages read-only or inaccessible, and almost every device READ /
 * WRITE fails early (ENOENT, EFAULT, EPERM): the copy path (data checked
 * against the shadow, writes landing exactly where reported, guards and
 * canaries untouched) would be hardly exercised. The tests whose subject is
 * that path set:
 *
 *   keep_bound_pct: before each call, when the model says that fewer than
 *	this share of the arena's pages of a file are bound with their
 *	tracking intact, unbind that file's bindings whose tracking munmap
 *	dropped and bind the gaps again (checked BIND / UNBIND calls like any
 *	other), up to a random share between this one and all of the arena;
 *   guided_pct: this share of READ / WRITE draws takes its range from the
 *	model (a run of pages that are bound with the access needed, tracked,
 *	and that the CPU can provide; sometimes running a few pages past the
 *	run, for a partial copy) and a buffer that can take it (aligned or
 *	not). The other draws come from the edge classes as before.
 *
 * Both are 0 in the other classes (drm_unbind, drm_raw_nr, drm_foreign,
 * drm_race_unbind, the hmm ones, and drm_argptr, whose every call passes
 * an edge-class argument pointer, so no READ / WRITE can copy), and then
 * draw no random numbers.
 */
static unsigned int keep_bound_pct, guided_pct;

/* map[i]: the binding of file m over arena page i, or NULL. */
static void arena_bmap(struct mfile *m, struct mbind **map)
{
	uint64_t lo = (uintptr_t)arena, hi = lo + NA * PAGE_SZ, a;
	int k;

	memset(map, 0, NA * sizeof(*map));
	for (k = 0; k < m->nb; k++) {
		struct mbind *b = &m->b[k];
		uint64_t s = b->s > lo ? b->s : lo, e = b->e < hi ? b->e : hi;

		for (a = s; a < e; a += PAGE_SZ)
			map[(a - lo) / PAGE_SZ] = b;
	}
}

/* Would the device read (write) arena page i of file m without an error? */
static bool page_ok(struct mbind **map, size_t i, bool write)
{
	uint64_t a = (uintptr_t)arena + i * PAGE_SZ;
	struct mbind *b = map[i];

	if (!b || dropped(b, a))
		return false;
	if (write && !(b->flags & TEST_MIRROR_BIND_WRITE))
		return false;
	return cpu_reason(a, write) == 0;
}

/* Arena pages of file m that are bound with their tracking intact. */
static size_t arena_tracked(struct mbind **map)
{
	size_t i, n = 0;

	for (i = 0; i < NA; i++)
		n += map[i] && !dropped(map[i], (uintptr_t)arena + i * PAGE_SZ);
	return n;
}

static void refill_file(struct mfile *m)
{
	static struct mbind *map[NA];
	static uint64_t after[2];	/* no refill of the file before then */
	uint64_t *next = &after[m == &mf[1]];
	size_t target, tries, i, len, maxlen;
	int k;

	if (cnt_calls < *next)
		return;
	arena_bmap(m, map);
	if (arena_tracked(map) * 100 >= keep_bound_pct * (size_t)NA)
		return;
	/* At most one refill in 32 calls, whatever the binding limit. */
	*next = cnt_calls + 32;
	/* Bindings in the arena that lost tracking: replace them. */
	for (k = m->nb - 1; k >= 0; k--) {
		struct mbind *b = &m->b[k];
		struct drm_test_mirror_unbind u = { .handle = b->h };
		uint64_t a = b->s;

		if (a < (uintptr_t)arena)
			a = (uintptr_t)arena;
		for (; a < b->e && in_arena(a); a += PAGE_SZ)
			if (dropped(b, a))
				break;
		if (a < b->e && in_arena(a))
			unbind_call(m, &u, IM_NORMAL);
	}
	target = (keep_bound_pct + rn(101 - keep_bound_pct)) * NA / 100;
	for (tries = 0; tries < 16; tries++) {
		struct drm_test_mirror_bind a = { 0 };
		uint64_t room = (max_bindings < MAXB - 1 ? max_bindings :
				 MAXB - 1) - (uint64_t)m->nb;

		arena_bmap(m, map);
		if (arena_tracked(map) >= target)
			break;
		if ((int64_t)room <= 0) {
			/* Make room: unbind a binding outside the arena. */
			struct drm_test_mirror_unbind u = { 0 };

			k = (int)rn(m->nb);
			for (i = 0; i < (size_t)m->nb; i++)
				if (m->b[(k + i) % m->nb].e <= (uintptr_t)arena ||
				    m->b[(k + i) % m->nb].s >= (uintptr_t)arena + NA * PAGE_SZ)
					break;
			if (i == (size_t)m->nb)
				break;
			u.handle = m->b[(k + i) % m->nb].h;
			unbind_call(m, &u, IM_NORMAL);
			continue;
		}
		/* A random unbound page, and the gap from there on. */
		for (i = rn(NA), len = 0; map[i] && len < NA; len++)
			i = (i + 1) % NA;
		if (map[i])
			break;
		/* Small bindings, or whole gaps when few more are allowed. */
		maxlen = room > 8 ? 1 + rn(32) : NA;
		for (len = 1; len < maxlen && i + len < NA && !map[i + len]; len++)
			;
		a.addr = (uintptr_t)arena + i * PAGE_SZ;
		a.size = len * PAGE_SZ;
		a.flags = TEST_MIRROR_BIND_READ |
			  (chance(70) ? TEST_MIRROR_BIND_WRITE : 0) |
			  (chance(20) ? TEST_MIRROR_BIND_PREFAULT : 0);
		a.handle = (uint32_t)rnd();
		bind_call(m, &a, IM_NORMAL);
	}
}

static void keep_bound(void)
{
	if (keep_bound_pct) {
		refill_file(&mf[0]);
		refill_file(&mf[1]);
	}
}

/*
 * A READ / WRITE the model expects to copy (see guided_pct). False if file m
 * has no page the access can reach.
 */
static bool gen_guided(struct mfile *m, bool write,
		       struct drm_test_mirror_access *a)
{
	static struct mbind *map[NA];
	uint16_t cand[NA];
	size_t n = 0, i, run, np;

	arena_bmap(m, map);
	for (i = 0; i < NA; i++)
		if (page_ok(map, i, write))
			cand[n++] = (uint16_t)i;
	if (!n)
		return false;
	i = cand[rn(n)];
	for (run = 1; run < 32 && i + run < NA && page_ok(map, i + run, write);
	     run++)
		;
	np = 1 + rn(chance(60) && run > 4 ? 4 : run);
	if (np == run && chance(15))
		np += 1 + rn(3);	/* past the run: a partial copy */
	a->addr = (uintptr_t)arena + i * PAGE_SZ;
	a->size = np * PAGE_SZ;
	if (write && np <= BUF_RO_PAGES && chance(20))
		a->ptr = (uintptr_t)bufro + rn(BUF_RO_PAGES - np + 1) * PAGE_SZ;
	else if (chance(25))
		a->ptr = (uintptr_t)bufrw + rn(BUF_RW_PAGES - np) * PAGE_SZ +
			 1 + rn(PAGE_SZ - 1);
	else
		a->ptr = (uintptr_t)bufrw + rn(BUF_RW_PAGES - np + 1) * PAGE_SZ;
	return true;
}


static void op_access(enum issue_mode mode, bool write)
{
	struct drm_test_mirror_access a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	uint64_t np, i, fill_lo = 0, fill_hi = 0;
	bool ptr_arena, ptr_rw;
	int ret;

	m = pick_file(&other);
	if (!guided_pct || !chance(guided_pct) || !gen_guided(m, write, &a)) {
		a.addr = chance(75) ? arena_addr() : gen_addr();
		a.size = chance(75) ? (1 + rn(chance(70) ? 4 : 24)) * PAGE_SZ :
				      gen_size(a.addr);
		a.ptr = gen_ptr(a.size);
		if (chance(5))
			a.flags = (uint32_t)gen_u64_edge(0) | 1;
		if (chance(5))
			a.pad = (uint32_t)gen_u64_edge(0) | 1;
		if (chance(5))
			a.reserved = gen_u64_edge(0) | 1;
	}
	a.pages = rnd();
	a.faults = rnd();
	issue_prepare(&is, write ? DRM_IOCTL_TEST_MIRROR_WRITE :
			    DRM_IOCTL_TEST_MIRROR_READ, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_access *)is.eff;

	if (e->flags || e->pad || e->reserved) {
		allow(&p, -EINVAL);
	} else if (check_range(e->addr, e->size)) {
		allow(&p, -EINVAL);
	} else {
		int ok = access_ok_model(e->ptr, e->size);

		if (!ok) {
			allow(&p, -EFAULT);
		} else {
			walk_access(m, write, e->addr, e->size, e->ptr, &p);
			if (ok == 2)
				allow(&p, -EFAULT);
		}
	}
	if (p.skip) {
		cnt_skipped++;
		return;
	}
	np = allowed(&p, 0) || p.n ? p.pages : 0;

	/* The buffer may be the arena itself: no overlap with the range. */
	ptr_arena = in_arena(e->ptr);
	if (ptr_arena && p.pages &&
	    (e->ptr < e->addr + (p.pages + 1) * PAGE_SZ && e->addr < e->ptr + (p.pages + 1) * PAGE_SZ)) {
		cnt_skipped++;
		return;
	}
	ptr_rw = in_range(e->ptr, bufrw, BUF_RW_PAGES * PAGE_SZ);
	if (!write && ptr_rw) {
		/* Canary over what the call may touch. */
		fill_lo = e->ptr & ~(uint64_t)(PAGE_SZ - 1);
		fill_hi = e->ptr + (np + 1) * PAGE_SZ + PAGE_SZ;
		if (fill_hi > (uintptr_t)bufrw + BUF_RW_PAGES * PAGE_SZ)
			fill_hi = (uintptr_t)bufrw + BUF_RW_PAGES * PAGE_SZ;
		for (i = fill_lo; i < fill_hi; i++)
			*(uint8_t *)(uintptr_t)i = (uint8_t)(i * 7 + 0x5b);
	}
	if (write && ptr_rw) {
		uint64_t end = e->ptr + np * PAGE_SZ + PAGE_SZ;

		if (end > (uintptr_t)bufrw + BUF_RW_PAGES * PAGE_SZ)
			end = (uintptr_t)bufrw + BUF_RW_PAGES * PAGE_SZ;
		for (i = e->ptr; i + 8 <= end; i += 8)
			*(uint64_t *)(uintptr_t)i = rnd();
	}
	/* Source data of a write, as it is now. */
	if (write && handler_ran(&is) && !mem_range(e->ptr, np * PAGE_SZ, false))
		memcpy(scratch, (void *)(uintptr_t)e->ptr, np * PAGE_SZ);

	ret = issue_call(&is, m->fd, &p, write ? "WRITE" : "READ");
	cnt_acc++;
	cnt_acc_ok += !ret;
	if (!handler_ran(&is) || (is.copyout_err && !allowed(&p, 0) && !p.n))
		return;
	if (is.copyout_err)
		ret = p.n == 1 ? p.allow[0] : ret;

	if (is.out_visible) {
		struct drm_test_mirror_access *o = (void *)is.uarg;

		if (o->pages != (ret == 0 ? e->size / PAGE_SZ : np) && allowed(&p, ret) && p.n == 1)
			FAIL("%s [0x%llx, +0x%llx): %s with pages %llu, expected %" PRIu64,
			     write ? "WRITE" : "READ", (unsigned long long)e->addr,
			     (unsigned long long)e->size, tm_errname(ret),
			     (unsigned long long)o->pages, np);
		if ((!o->faults && o->faulted_pages) ||
		    o->faulted_pages > o->faults * (e->size / PAGE_SZ))
			FAIL("access: faulted_pages %llu for %llu faults of %llu pages",
			     (unsigned long long)o->faulted_pages,
			     (unsigned long long)o->faults,
			     (unsigned long long)(e->size / PAGE_SZ));
		if (ret == -EINVAL && (o->pages || o->faults || o->faulted_pages))
			FAIL("access rejected with EINVAL reported pages %llu faults %llu",
			     (unsigned long long)o->pages,
			     (unsigned long long)o->faults);
	}
	if (p.n != 1)
		np = 0;	/* an ambiguous outcome: verify through the arena only */
	if (ret && !allowed(&p, ret))
		return;
	cnt_acc_pages += np;

	if (!write) {
		/* Data read must be what the memory holds. */
		for (i = 0; i < np; i++) {
			const uint8_t *want = device_content(e->addr + i * PAGE_SZ);
			const uint8_t *got = (const uint8_t *)(uintptr_t)(e->ptr + i * PAGE_SZ);

			if (memcmp(got, want, PAGE_SZ))
				FAIL("READ page %" PRIu64 " of [0x%llx, +0x%llx) returned data that is not in memory",
				     i, (unsigned long long)e->addr,
				     (unsigned long long)e->size);
			if (ptr_arena)
				memcpy(shadow_of(e->ptr + i * PAGE_SZ), want, PAGE_SZ);
		}
		cnt_checks++;
		if (ptr_arena && ret) {
			/* A partly copied page: resync, each byte old or new. */
			uint64_t pp = e->ptr + np * PAGE_SZ, k;
			const uint8_t *src = device_content(e->addr + np * PAGE_SZ);

			for (k = 0; k < PAGE_SZ; k++) {
				uint64_t b = pp + k;

				if (!in_arena(b) || kind[(b - (uintptr_t)arena) / PAGE_SZ] != K_RW)
					continue;
				if (*(uint8_t *)(uintptr_t)b != *shadow_of(b) &&
				    *(uint8_t *)(uintptr_t)b != src[k])
					FAIL("READ into the arena: byte 0x%" PRIx64 " is neither old nor new", k);
				*shadow_of(b) = *(uint8_t *)(uintptr_t)b;
			}
		}
		if (fill_hi) {
			uint64_t done = e->ptr + np * PAGE_SZ;

			for (i = fill_lo; i < fill_hi; i++) {
				uint8_t c = *(uint8_t *)(uintptr_t)i;

				if (i >= e->ptr && i < done)
					continue;
				if (c == (uint8_t)(i * 7 + 0x5b))
					continue;
				/*
				 * The page being copied when the buffer ran
				 * out: data, or the zero that the kernel's
				 * fault_in_writeable() stores at the first
				 * byte and at each page start it probes.
				 */
				if (ret && p.buf_fault && i >= done && i < done + PAGE_SZ &&
				    (c == device_content(e->addr + np * PAGE_SZ)[i - done] ||
				     (!c && (i == done || !(i & (PAGE_SZ - 1))))))
					continue;
				FAIL("READ [0x%llx, +0x%llx) ptr 0x%llx -> %s: buffer byte at +0x%" PRIx64
				     " beyond the %" PRIu64 " pages copied changed: 0x%02x (buffer fault %d, kind %d)",
				     (unsigned long long)e->addr,
				     (unsigned long long)e->size,
				     (unsigned long long)e->ptr, tm_errname(ret),
				     (uint64_t)(i - e->ptr), np, c, p.buf_fault,
				     in_arena(e->addr + np * PAGE_SZ) ?
				     kind[(e->addr + np * PAGE_SZ - (uintptr_t)arena) / PAGE_SZ] : -1);
			}
			cnt_checks++;
		}
	} else {
		/* The pages written now hold the source, the others are intact. */
		for (i = 0; i < np; i++) {
			uint64_t d = e->addr + i * PAGE_SZ;

			memcpy(shadow_of(d), scratch + i * PAGE_SZ, PAGE_SZ);
		}
		if (ret && p.buf_fault && in_arena(e->addr + np * PAGE_SZ)) {
			uint64_t d = e->addr + np * PAGE_SZ, k;
			uint8_t *cpu = arena_page(d);

			for (k = 0; k < PAGE_SZ; k++) {
				uint8_t src = mem_access(e->ptr + np * PAGE_SZ + k, false) ?
					      0 : *(uint8_t *)(uintptr_t)(e->ptr + np * PAGE_SZ + k);

				if (cpu[k] != shadow_of(d)[k] && cpu[k] != src)
					FAIL("WRITE: partly written page, byte %" PRIu64 " neither old nor new", k);
				shadow_of(d)[k] = cpu[k];
			}
		}
		if (p.n != 1) {
			/* resync what an ambiguous result may have written */
			uint64_t d;

			for (d = e->addr; d < e->addr + e->size && in_arena(d); d += PAGE_SZ)
				if (kind[(d - (uintptr_t)arena) / PAGE_SZ] == K_RW)
					memcpy(shadow_of(d), arena_page(d), PAGE_SZ);
		}
		check_arena("after WRITE");
	}
}

static void op_snapshot(enum issue_mode mode)
{
	struct drm_test_mirror_snapshot a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	uint64_t np, i, outlen;
	int ret, ok;

	m = pick_file(&other);
	a.addr = chance(70) ? arena_addr() : gen_addr();
	a.size = chance(70) ? (1 + rn(NW)) * PAGE_SZ : gen_size(a.addr);
	switch (rn(10)) {
	case 0:
		a.ptr = 0;
		break;
	case 1:
		a.ptr = 0xffff888000000000ull;
		break;
	case 2:
		a.ptr = (uintptr_t)bufro;
		break;
	case 3:
		a.ptr = (uintptr_t)snapbuf + SNAPBUF_PAGES * PAGE_SZ - rn(PAGE_SZ);
		break;
	default:
		a.ptr = (uintptr_t)snapbuf + rn(64);
		break;
	}
	if (chance(5))
		a.flags = (uint32_t)gen_u64_edge(0) | 1;
	if (chance(5))
		a.pad = (uint32_t)gen_u64_edge(0) | 1;
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_snapshot *)is.eff;
	np = e->size / PAGE_SZ;
	ok = access_ok_model(e->ptr, np);

	if (e->flags || e->pad) {
		allow(&p, -EINVAL);
	} else if (check_range(e->addr, e->size)) {
		allow(&p, -EINVAL);
	} else if (!ok) {
		allow(&p, -EFAULT);
	} else {
		int r = mem_range(e->ptr, np, true);

		if (r == R_UNKNOWN) {
			cnt_skipped++;
			return;
		}
		allow(&p, r ? -EFAULT : 0);
		if (ok == 2)
			allow(&p, -EFAULT);
	}
	outlen = 0;
	if (in_range(e->ptr, snapbuf, SNAPBUF_PAGES * PAGE_SZ)) {
		outlen = (uintptr_t)snapbuf + SNAPBUF_PAGES * PAGE_SZ - e->ptr;
		memset((void *)(uintptr_t)e->ptr, 0xCC, outlen);
	}
	ret = issue_call(&is, m->fd, &p, "SNAPSHOT");
	if (!handler_ran(&is) || !outlen || (ret && ret != -EFAULT) ||
	    (!allowed(&p, 0) && !allowed(&p, -EFAULT)) || e->flags || e->pad ||
	    check_range(e->addr, e->size))
		return;
	/* Every byte written is a value the model allows for its page. */
	for (i = 0; i < np && i < outlen; i++) {
		uint8_t v = ((uint8_t *)(uintptr_t)e->ptr)[i];
		uint64_t va = e->addr + i * PAGE_SZ;
		struct mbind *b = find_b(m, va);
		int r;

		if (v == 0xCC && ret)
			break;		/* not written: the copy failed before */
		if (!b) {
			if (v != TEST_MIRROR_SNAP_UNBOUND)
				FAIL("SNAPSHOT: unbound page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if (dropped(b, va)) {
			if (v != TEST_MIRROR_SNAP_DROPPED)
				FAIL("SNAPSHOT: dropped page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		r = cpu_reason(va, true);
		if (v & ~(TEST_MIRROR_SNAP_STATE_MASK | TEST_MIRROR_SNAP_HUGE) ||
		    (v & TEST_MIRROR_SNAP_STATE_MASK) == 3)
			FAIL("SNAPSHOT: bound page 0x%" PRIx64 " reported 0x%02x", va, v);
		if ((r == -EFAULT || r == R_UNKNOWN) && v != TEST_MIRROR_SNAP_NONE)
			FAIL("SNAPSHOT: an entry (0x%02x) for page 0x%" PRIx64 " the CPU cannot access",
			     v, va);
		if (r == -EPERM && (v & TEST_MIRROR_SNAP_STATE_MASK) == TEST_MIRROR_SNAP_WRITE)
			FAIL("SNAPSHOT: a write entry for read-only page 0x%" PRIx64, va);
		if ((v & TEST_MIRROR_SNAP_HUGE) && in_range(va, win, NW * PAGE_SZ))
			FAIL("SNAPSHOT: a huge entry in the (small, non-THP) arena at 0x%" PRIx64, va);
	}
	/* Nothing past the output. */
	for (; i < outlen; i++)
		if (i >= np && ((uint8_t *)(uintptr_t)e->ptr)[i] != 0xCC)
			FAIL("SNAPSHOT of %" PRIu64 " pages wrote byte %" PRIu64, np, i);
	cnt_checks++;
}

static void check_stats_out(struct mfile *m, const struct drm_test_mirror_stats *s)
{
	int i;

	if (s->bindings != (uint64_t)m->nb)
		FAIL("STATS: bindings %llu, the model has %d",
		     (unsigned long long)s->bindings, m->nb);
	if (s->caps & ~(uint32_t)(TEST_MIRROR_CAP_VMA_DOWNGRADE |
				  TEST_MIRROR_CAP_EVENT_AWARE |
				  TEST_MIRROR_CAP_UFFD_FAULTS))
		FAIL("STATS: unknown caps 0x%x", s->caps);
	if (s->table_bytes % 4096)
		FAIL("STATS: table_bytes %llu", (unsigned long long)s->table_bytes);
	if (s->huge_entries > s->entries_present)
		FAIL("STATS: huge %llu > present %llu",
		     (unsigned long long)s->huge_entries,
		     (unsigned long long)s->entries_present);
	/* At most the arena's pages can be mirrored. */
	if (s->entries_present > NA)
		FAIL("STATS: %llu entries present, more than the arena's %d pages",
		     (unsigned long long)s->entries_present, NA);
	for (i = 0; i < 8; i++)
		if (s->reserved[i])
			FAIL("STATS: reserved[%d] = 0x%llx", i,
			     (unsigned long long)s->reserved[i]);
	if (s->nonblock_busy > s->nonblock_calls)
		FAIL("STATS: nonblock_busy > nonblock_calls");
	cnt_checks++;
}

static void op_stats(enum issue_mode mode)
{
	struct drm_test_mirror_stats a, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	int ret;

	memset(&a, 0, sizeof(a));
	m = pick_file(&other);
	a.flags = chance(30) ? TEST_MIRROR_STATS_RESET : 0;
	if (chance(8))
		a.flags |= (uint32_t)gen_u64_edge(0) << 1 | 2;
	if (chance(8))
		a.reserved[rn(8)] = gen_u64_edge(0) | 1;
	a.caps = (uint32_t)rnd();
	a.bindings = rnd();
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_STATS, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_stats *)is.eff;
	if (e->flags & ~TEST_MIRROR_STATS_RESET) {
		allow(&p, -EINVAL);
	} else {
		int i, bad = 0;

		for (i = 0; i < 8; i++)
			bad |= !!e->reserved[i];
		allow(&p, bad ? -EINVAL : 0);
	}
	ret = issue_call(&is, m->fd, &p, "STATS");
	if (!ret && is.out_visible)
		check_stats_out(m, (void *)is.uarg);
}

#define EVSZ	sizeof(struct drm_test_mirror_event)

static void check_event(struct mfile *m, const struct drm_test_mirror_event *r)
{
	if (r->seq <= m->last_seq)
		FAIL("EVENTS: seq %llu after %llu", (unsigned long long)r->seq,
		     (unsigned long long)m->last_seq);
	if (r->event >= TEST_MIRROR_EVENT_MAX)
		FAIL("EVENTS: event %u", r->event);
	if (r->action > TEST_MIRROR_ACTION_BUSY)
		FAIL("EVENTS: action %u", r->action);
	if (r->flags & ~TEST_MIRROR_EVENT_F_BLOCKABLE)
		FAIL("EVENTS: flags 0x%x", r->flags);
	if (r->start >= r->end)
		FAIL("EVENTS: range [0x%llx, 0x%llx)", (unsigned long long)r->start,
		     (unsigned long long)r->end);
	if (!r->handle || r->handle > m->max_issued + 1)
		FAIL("EVENTS: handle %u never issued (max %u)", r->handle,
		     m->max_issued);
	cnt_checks++;
}

static void op_events(enum issue_mode mode)
{
	struct drm_test_mirror_events a = { 0 }, *e;
	struct drm_test_mirror_event *rec = (void *)snapbuf;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	unsigned int pending = 0, max, i;
	uint64_t lost;
	int ret;

	m = pick_file(&other);
	/* Records waiting now (a peek that consumes nothing). */
	ret = tm_events(m->fd, rec, 4096, false, &pending, &lost);
	count_ret(ret);
	if (ret)
		FAIL("EVENTS peek: %s", tm_errname(ret));

	a.count = chance(70) ? (uint32_t)rn(64) : (uint32_t)gen_u64_edge(5);
	a.flags = chance(50) ? TEST_MIRROR_EVENTS_CONSUME : 0;
	if (chance(6))
		a.flags |= 2u << rn(30);
	if (chance(6))
		a.reserved = gen_u64_edge(0) | 1;
	a.lost = rnd();
	switch (rn(10)) {
	case 0:
		a.ptr = 0;
		break;
	case 1:
		a.ptr = 0xffff888000000000ull;
		break;
	case 2:
		a.ptr = (uintptr_t)bufro;
		break;
	case 3:
		a.ptr = (uintptr_t)snapbuf + SNAPBUF_PAGES * PAGE_SZ - EVSZ * (1 + rn(3));
		break;
	default:
		a.ptr = (uintptr_t)snapbuf;
		break;
	}
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_EVENTS, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_events *)is.eff;
	max = e->count < 4096 ? e->count : 4096;
	if ((e->flags & ~TEST_MIRROR_EVENTS_CONSUME) || e->reserved) {
		allow(&p, -EINVAL);
	} else {
		int ok = access_ok_model(e->ptr, (uint64_t)max * EVSZ);
		unsigned int n = max < pending ? max : pending;
		int r;

		if (!ok) {
			allow(&p, -EFAULT);
		} else {
			r = mem_range(e->ptr, (uint64_t)n * EVSZ, true);
			if (r == R_UNKNOWN) {
				cnt_skipped++;
				return;
			}
			allow(&p, r ? -EFAULT : 0);
			/* More records may arrive meanwhile (reclaim...). */
			if (n < max && mem_range(e->ptr, (uint64_t)max * EVSZ, true))
				allow(&p, -EFAULT);
			if (ok == 2)
				allow(&p, -EFAULT);
		}
	}
	{
		static char what[160];

		snprintf(what, sizeof(what), "EVENTS ptr 0x%llx count %u flags 0x%x, %u pending",
			 (unsigned long long)e->ptr, e->count, e->flags, pending);
		ret = issue_call(&is, m->fd, &p, what);
	}
	if (ret || !is.out_visible)
		return;
	e = (void *)is.uarg;
	if (e->count > max || e->count < (pending < max ? pending : max))
		FAIL("EVENTS: count %u, %u pending, capacity %u", e->count,
		     pending, max);
	for (i = 0; i < e->count; i++) {
		check_event(m, &rec[i]);
		if (e->flags & TEST_MIRROR_EVENTS_CONSUME)
			m->last_seq = rec[i].seq;
	}
	if (!(e->flags & TEST_MIRROR_EVENTS_CONSUME) && e->count)
		if (rec[0].seq <= m->last_seq)
			FAIL("EVENTS: a consumed record (seq %llu) came back",
			     (unsigned long long)rec[0].seq);
}

#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
/*
 * MIGRATE: ENOENT unbound, EINVAL beyond the binding, then chunk by chunk:
 * EFAULT tracking dropped or no VMA, EINVAL a chunk that crosses a VMA or a
 * VMA that is not anonymous. The VMA layout inside one region depends on
 * which mprotects and remaps merged back, so only a range inside one region
 * of one kind may succeed, and EINVAL is always possible for it. Whatever
 * happens, memory must hold exactly what it held.
 */
static void op_migrate(enum issue_mode mode)
{
	struct drm_test_mirror_migrate a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	struct mbind *b;
	uint64_t end;
	int ret;

	m = pick_file(&other);
	a.addr = chance(80) ? arena_addr() : gen_addr();
	a.size = chance(80) ? (1 + rn(16)) * PAGE_SZ : gen_size(a.addr);
	if (chance(5))
		a.flags = 1u << rn(32);
	if (chance(5))
		a.pad = 1u << rn(32);
	if (chance(5))
		a.reserved = gen_u64_edge(0) | 1;
	a.migrated = rnd();
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_MIGRATE, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_migrate *)is.eff;
	end = e->addr + e->size;
	b = find_b(m, e->addr);
	if (e->flags || e->pad || e->reserved) {
		allow(&p, -EINVAL);
	} else if (check_range(e->addr, e->size)) {
		allow(&p, -EINVAL);
	} else if (!b) {
		allow(&p, -ENOENT);
	} else if (end > b->e) {
		allow(&p, -EINVAL);
	} else if (dropped(b, e->addr)) {
		allow(&p, -EFAULT);
	} else if (e->addr < LOW_END) {
		allow(&p, -EFAULT);			/* no VMA */
	} else if (!in_arena(e->addr)) {
		if (!in_range(e->addr, win, NW * PAGE_SZ) &&
		    !in_range(e->addr, zone, NZONE * PAGE_SZ)) {
			cnt_skipped++;			/* someone else's memory */
			return;
		}
		/* a guard or the zone: PROT_NONE anonymous VMAs */
		allow(&p, 0);
		allow(&p, -EINVAL);
		allow(&p, -EFAULT);
	} else {
		size_t i0 = (e->addr - (uintptr_t)arena) / PAGE_SZ, i;
		bool one = true;

		for (i = i0; (uintptr_t)arena + i * PAGE_SZ < end; i++) {
			if (i >= NA || region_of(i) != region_of(i0) ||
			    kind[i] != kind[i0] || dropped(b, (uintptr_t)arena + i * PAGE_SZ)) {
				one = false;
				break;
			}
		}
		if (kind[i0] == K_HOLE)
			allow(&p, -EFAULT);
		else if (region_of(i0) == 'F')
			allow(&p, -EINVAL);
		else if (one)
			allow(&p, 0), allow(&p, -EINVAL);
		else
			allow(&p, 0), allow(&p, -EINVAL), allow(&p, -EFAULT);
	}
	ret = issue_call(&is, m->fd, &p, "MIGRATE");
	(void)ret;
	/* Migration must never change what memory holds. */
	check_arena("after MIGRATE");
}
#endif

/* ------------------------------------------------------------------------ */
/* Raw ioctl numbers                                                         */
/* ------------------------------------------------------------------------ */

static void op_raw_nr(void)
{
	unsigned int nr, type = 'd', size = (unsigned int)rn(256);
	unsigned int dir = (unsigned int)rn(4);
	unsigned long req;
	int ret, want;

	memset(argpage, 0, 2 * PAGE_SZ);
	switch (rn(4)) {
	case 0:	/* another ioctl type, a known driver number: not DRM's */
		type = (unsigned int)rn(256);
		if (type == 'd')
			type = 'e';
		nr = 0x40 + (unsigned int)rn(n_drm_cmds);
		want = -ENOTTY;
		break;
	default: /* a number in the driver range that has no ioctl */
		nr = 0x40 + (unsigned int)n_drm_cmds +
		     (unsigned int)rn(0xa0 - 0x40 - n_drm_cmds);
		want = -EINVAL;
		break;
	}
	req = _IOC(dir, type, nr, size);
	ret = tm_ioctl(mf[rn(2)].fd, req, chance(80) ? argpage : NULL);
	count_ret(ret);
	if (ret != want)
		FAIL("ioctl 0x%lx (type 0x%x nr 0x%x): %s, expected %s", req,
		     type, nr, tm_errname(ret), tm_errname(want));
	cnt_checks++;
}

/* ------------------------------------------------------------------------ */
/* Setup of a DRM test                                                       */
/* ------------------------------------------------------------------------ */

static void drm_setup(int fd)
{
	struct drm_test_mirror_stats st;
	uint64_t v;
	int fd2;

	world_setup();
	if (!tm_param_get("max_bindings", &v))
		max_bindings = v;
	if (max_bindings < 4)
		SKIP("max_bindings is %" PRIu64, max_bindings);
	fd2 = tm_must_open();
	memset(mf, 0, sizeof(mf));
	mf[0].fd = fd;
	mf[1].fd = fd2;
	tm_must_stats(fd, &st);
	aware = st.caps & TEST_MIRROR_CAP_EVENT_AWARE;
	if (st.bindings)
		FAIL("a new file has %llu bindings", (unsigned long long)st.bindings);
}

static void drm_teardown(const char *name)
{
	struct drm_test_mirror_stats st;
	int f;

	check_arena("at the end");
	for (f = 0; f < 2; f++) {
		tm_must_stats(mf[f].fd, &st);
		check_stats_out(&mf[f], &st);
	}
	print_counts(name);
}

static uint64_t share(unsigned int weight)
{
	/* weights sum to 100 over the DRM tests (hmm tests: extra) */
	uint64_t n = (opt_calls * weight + 99) / 100;

	return n ? n : 1;
}

typedef void (*opfn)(enum issue_mode);

static void drm_loop(const char *name, uint64_t calls, unsigned int raw_pct,
		     unsigned int ptr_pct, const opfn *ops, size_t nops,
		     unsigned int cpu_pct)
{
	uint64_t last = 0;

	while (cnt_calls < calls) {
		if (cnt_calls - last >= 64) {
			last = cnt_calls;
			check_arena("periodic");
		}
		if (cpu_pct && chance(cpu_pct)) {
			cpu_op();
			continue;
		}
		keep_bound();
		if (cnt_calls >= calls)
			break;
		ops[rn(nops)](pick_mode(raw_pct, ptr_pct));
	}
	drm_teardown(name);
}

static void op_read(enum issue_mode m) { op_access(m, false); }
static void op_write(enum issue_mode m) { op_access(m, true); }

/* Keep the binding count moderate: bind more often than unbind. */
static void op_bind_unbind(enum issue_mode m)
{
	if (chance(60))
		op_bind(m);
	else
		op_unbind(m);
}

static const opfn all_ops[] = {
	op_bind_unbind, op_bind_unbind, op_read, op_read, op_write, op_write,
	op_snapshot, op_stats, op_events,
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
	op_migrate,
#endif
};
#define N_ALL_OPS (sizeof(all_ops) / sizeof(all_ops[0]))

/* Some bindings over the arena, so that accesses reach memory. */
static void seed_bindings(void)
{
	static const uint32_t fl[] = {
		TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE,
		TEST_MIRROR_BIND_READ,
	};
	size_t i;
	int f;

	for (f = 0; f < 2; f++) {
		for (i = 0; i < NA; i += 16) {
			uint32_t h = 0, flags = fl[(i / 16 + f) % 2];
			int ret = tm_bind(mf[f].fd, arena + i * PAGE_SZ, 16 * PAGE_SZ,
					  flags, &h);

			count_ret(ret);
			if (ret)
				FAIL("seed bind: %s", tm_errname(ret));
			model_add(&mf[f], h, (uintptr_t)arena + i * PAGE_SZ,
				  (uintptr_t)arena + (i + 16) * PAGE_SZ, flags);
		}
	}
}

/*
 * The call classes of the DRM front-end: one loop, a variant per class
 * (its share of the calls, the mix of operations, how many are issued raw
 * or with a bad argument pointer, how often the CPU changes the arena).
 * The name keeps deriving the class's seed, as before it was a variant.
 */
FIXTURE(drm) {};

FIXTURE_VARIANT(drm) {
	const char *name;		/* its seed and its counts' label */
	unsigned int weight;		/* share of --calls, percent */
	const opfn *ops;
	size_t nops;
	unsigned int raw_pct, ptr_pct, cpu_pct;
	bool seed;			/* bind the arena first */
	unsigned int keep_bound_pct, guided_pct;
};

#define OPS(...) .ops = (const opfn[]){ __VA_ARGS__ }, \
	.nops = sizeof((const opfn[]){ __VA_ARGS__ }) / sizeof(opfn)

FIXTURE_VARIANT_ADD(drm, bind) {
	.name = "drm_bind", .weight = 10, .cpu_pct = 2, .guided_pct = 30,
	OPS(op_bind, op_bind, op_unbind, op_read, op_stats),
};

FIXTURE_VARIANT_ADD(drm, unbind) {
	.name = "drm_unbind", .weight = 6,
	OPS(op_bind, op_unbind, op_unbind, op_stats),
};

FIXTURE_VARIANT_ADD(drm, access) {
	.name = "drm_access", .weight = 18, .cpu_pct = 3, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 50,
	OPS(op_read, op_write, op_read, op_write, op_bind_unbind),
};

FIXTURE_VARIANT_ADD(drm, snapshot) {
	.name = "drm_snapshot", .weight = 8, .cpu_pct = 4, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_snapshot, op_snapshot, op_read, op_write, op_bind_unbind),
};

FIXTURE_VARIANT_ADD(drm, stats_events) {
	.name = "drm_stats_events", .weight = 8, .cpu_pct = 10, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_stats, op_events, op_events, op_bind_unbind, op_read, op_write),
};

#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
FIXTURE_VARIANT_ADD(drm, migrate) {
	.name = "drm_migrate", .weight = 5, .cpu_pct = 5, .seed = true,
	.keep_bound_pct = 75, .guided_pct = 40,
	OPS(op_migrate, op_migrate, op_read, op_write, op_bind_unbind,
	    op_snapshot),
};
#endif

FIXTURE_VARIANT_ADD(drm, raw_size) {
	.name = "drm_raw_size", .weight = 12, .raw_pct = 100, .cpu_pct = 2,
	.seed = true, .keep_bound_pct = 75, .guided_pct = 30,
	.ops = all_ops, .nops = N_ALL_OPS,
};

FIXTURE_VARIANT_ADD(drm, argptr) {
	.name = "drm_argptr", .weight = 6, .ptr_pct = 100, .cpu_pct = 2,
	.seed = true, .ops = all_ops, .nops = N_ALL_OPS,
};

FIXTURE_VARIANT_ADD(drm, mixed) {
	.name = "drm_mixed", .weight = 16, .raw_pct = 10, .ptr_pct = 5,
	.cpu_pct = 6, .seed = true, .keep_bound_pct = 75, .guided_pct = 40,
	.ops = all_ops, .nops = N_ALL_OPS,
};

TEST_F_OPTS(drm, drm, 0, 0)
{
	seed_for(variant->name);
	drm_setup(fd);
	if (variant->seed)
		seed_bindings();
	keep_bound_pct = variant->keep_bound_pct;
	guided_pct = variant->guided_pct;
	drm_loop(variant->name, share(variant->weight), variant->raw_pct,
		 variant->ptr_pct, variant->ops, variant->nops,
		 variant->cpu_pct);
}

TEST_OPTS(drm_raw_nr, 0, 0)
{
	uint64_t calls = share(4);

	seed_for("drm_raw_nr");
	drm_setup(fd);
	while (cnt_calls < calls)
		op_raw_nr();
	drm_teardown("drm_raw_nr");
}

/* ------------------------------------------------------------------------ */
/* Another address space: a forked child gets -EACCES and touches nothing    */
/* ------------------------------------------------------------------------ */

static int foreign_expect(unsigned long cmd, const uint8_t *eff)
{
	switch (_IOC_NR(cmd) - 0x40) {
	case DRM_TEST_MIRROR_BIND: {
		const struct drm_test_mirror_bind *a = (const void *)eff;

		if ((a->flags & ~TEST_MIRROR_BIND_FLAGS) ||
		    !(a->flags & TEST_MIRROR_BIND_READ) || a->reserved[0] ||
		    a->reserved[1])
			return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_UNBIND:
		if (((const struct drm_test_mirror_unbind *)eff)->flags)
			return -EINVAL;
		break;
	case DRM_TEST_MIRROR_READ:
	case DRM_TEST_MIRROR_WRITE: {
		const struct drm_test_mirror_access *a = (const void *)eff;

		if (a->flags || a->pad || a->reserved)
			return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_SNAPSHOT: {
		const struct drm_test_mirror_snapshot *a = (const void *)eff;

		if (a->flags || a->pad)
			return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_STATS: {
		const struct drm_test_mirror_stats *a = (const void *)eff;
		int i;

		if (a->flags & ~TEST_MIRROR_STATS_RESET)
			return -EINVAL;
		for (i = 0; i < 8; i++)
			if (a->reserved[i])
				return -EINVAL;
		break;
	}
	case DRM_TEST_MIRROR_EVENTS: {
		const struct drm_test_mirror_events *a = (const void *)eff;
		uint32_t max = a->count < 4096 ? a->count : 4096;

		if ((a->flags & ~TEST_MIRROR_EVENTS_CONSUME) || a->reserved)
			return -EINVAL;
		if (!access_ok_model(a->ptr, (uint64_t)max * EVSZ))
			return -EFAULT;
		break;
	}
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
	case DRM_TEST_MIRROR_MIGRATE: {
		const struct drm_test_mirror_migrate *a = (const void *)eff;

		if (a->flags || a->pad || a->reserved)
			return -EINVAL;
		break;
	}
#endif
	}
	return -EACCES;
}

/* Random arguments of one DRM ioctl, biased towards valid ones. */
static size_t gen_any(unsigned long *cmd, void *arg)
{
	unsigned int k = (unsigned int)rn(n_drm_cmds);
	size_t size = _IOC_SIZE(drm_cmds[k]);
	uint64_t *w = arg;
	size_t i;

	*cmd = drm_cmds[k];
	for (i = 0; i < size / 8; i++)
		w[i] = chance(70) ? 0 : gen_addr();
	switch (k) {
	case DRM_TEST_MIRROR_BIND:
		((struct drm_test_mirror_bind *)arg)->addr = arena_addr();
		((struct drm_test_mirror_bind *)arg)->size = (1 + rn(8)) * PAGE_SZ;
		((struct drm_test_mirror_bind *)arg)->flags = gen_bind_flags();
		break;
	case DRM_TEST_MIRROR_UNBIND:
		((struct drm_test_mirror_unbind *)arg)->handle = (uint32_t)rn(40);
		((struct drm_test_mirror_unbind *)arg)->flags = chance(90) ? 0 : 1;
		break;
	case DRM_TEST_MIRROR_READ:
	case DRM_TEST_MIRROR_WRITE:
		((struct drm_test_mirror_access *)arg)->addr = arena_addr();
		((struct drm_test_mirror_access *)arg)->size = (1 + rn(8)) * PAGE_SZ;
		((struct drm_test_mirror_access *)arg)->ptr = (uintptr_t)bufrw;
		break;
	case DRM_TEST_MIRROR_STATS:
		((struct drm_test_mirror_stats *)arg)->flags = (uint32_t)rn(3);
		break;
	case DRM_TEST_MIRROR_EVENTS:
		((struct drm_test_mirror_events *)arg)->ptr = (uintptr_t)snapbuf;
		((struct drm_test_mirror_events *)arg)->count = (uint32_t)rn(64);
		((struct drm_test_mirror_events *)arg)->flags = (uint32_t)rn(3);
		break;
	default:
		break;
	}
	return size;
}

TEST_OPTS(drm_foreign, 0, 0)
{
	uint64_t calls = share(4), per_child = 2000, done = 0;
	uint8_t *rwcopy;
	int pipefd[2];

	seed_for("drm_foreign");
	drm_setup(fd);
	seed_bindings();
	/* Mirror part of the arena in the parent, so entries exist. */
	{
		struct tm_result r;
		int ret = tm_read(fd, arena, 64 * PAGE_SZ, bufrw, &r);

		count_ret(ret);
		if (ret)
			FAIL("parent READ: %s", tm_errname(ret));
	}
	rwcopy = must_mmap(NULL, BUF_RW_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1);
	while (done < calls) {
		uint64_t n = calls - done < per_child ? calls - done : per_child;
		uint64_t child_seed = rnd();
		uint64_t got[NERR + 3];
		pid_t pid;

		if (pipe(pipefd))
			FAIL("pipe: %s", tm_errname(errno));
		pid = tm_fork();
		if (!pid) {
			uint64_t i, ncalls = 0, nchecks = 0;

			close(pipefd[0]);
			rs = child_seed;
			memset(cnt_err, 0, sizeof(cnt_err));
			for (i = 0; i < n; i++) {
				uint8_t arg[512];
				unsigned long cmd;
				struct issue is;
				struct pred p = { 0 };
				size_t size = gen_any(&cmd, arg);
				enum issue_mode mode = pick_mode(15, 10);
				int want, ret;

				issue_prepare(&is, cmd, arg, size, mode);
				want = foreign_expect(is.req, is.eff);
				allow(&p, want);
				memcpy(rwcopy, bufrw, BUF_RW_PAGES * PAGE_SZ);
				ret = tm_ioctl(mf[rn(2)].fd, is.req, is.uarg);
				ncalls++;
				if (is.copyin_err)
					want = is.copyin_err;
				else if (is.copyout_err)
					want = -EFAULT;
				count_ret(ret);
				if (ret != want)
					FAIL("another process: ioctl 0x%lx gave %s, expected %s",
					     is.req, tm_errname(ret),
					     tm_errname(want));
				/* Nothing of ours was touched either. */
				if (memcmp(rwcopy, bufrw, BUF_RW_PAGES * PAGE_SZ))
					FAIL("another process: ioctl 0x%lx (%s) changed its buffer",
					     is.req, tm_errname(ret));
				nchecks += 2;
			}
			/* The child's copy of the arena is intact. */
			check_arena("in the child");
			memset(got, 0, sizeof(got));
			memcpy(got + 2, cnt_err, sizeof(cnt_err));
			got[0] = ncalls;
			got[1] = nchecks;
			if (write(pipefd[1], got, sizeof(got)) != sizeof(got))
				_exit(3);
			_exit(0);
		}
		close(pipefd[1]);
		if (read(pipefd[0], got, sizeof(got)) != sizeof(got))
			memset(got, 0, sizeof(got));
		close(pipefd[0]);
		tm_must_wait_ok(pid);
		{
			int k;

			for (k = 0; k <= NERR; k++)
				cnt_err[k] += got[2 + k];
		}
		cnt_calls += got[0];
		cnt_checks += got[1];
		done += n;
		/* The parent's memory and files are as they were. */
		check_arena("in the parent, after the child");
		{
			struct drm_test_mirror_stats st;

			tm_must_stats(fd, &st);
			check_stats_out(&mf[0], &st);
			tm_must_stats(mf[1].fd, &st);
			check_stats_out(&mf[1], &st);
		}
		op_access(IM_NORMAL, false);
	}
	drm_teardown("drm_foreign");
}

/* ------------------------------------------------------------------------ */
/* Unbind racing accesses (threads)                                          */
/* ------------------------------------------------------------------------ */

#define RACE_PAGES	32

static struct {
	int fd;
	uint8_t *mem;
	_Atomic uint32_t handle;
	_Atomic uint64_t calls;
	uint64_t limit;
	_Atomic int fail;
	char msg[256];
	pthread_mutex_t lock;
	_Atomic uint64_t per_err[NERR + 1];
} race;

static void race_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void race_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&race.lock);
	if (!race.fail) {
		va_start(ap, fmt);
		vsnprintf(race.msg, sizeof(race.msg), fmt, ap);
		va_end(ap);
		race.fail = 1;
	}
	pthread_mutex_unlock(&race.lock);
}

static bool race_go(void)
{
	return !race.fail && atomic_fetch_add(&race.calls, 1) < race.limit;
}

static void race_count(int ret)
{
	int e = -ret;

	atomic_fetch_add(&race.per_err[e >= 0 && e < NERR ? e : NERR], 1);
}

static void *race_binder(void *arg)
{
	uint64_t r = (uintptr_t)arg;

	while (race_go()) {
		uint32_t h = atomic_load(&race.handle), nh = 0;
		uint32_t flags = TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE;
		int ret;

		r = r * 6364136223846793005ull + 1;
		if (h) {
			ret = tm_unbind(race.fd, h);
			race_count(ret);
			if (ret && ret != -ENOENT)
				race_fail("UNBIND %u: %s", h, tm_errname(ret));
		}
		if ((r >> 33) & 1)
			flags |= TEST_MIRROR_BIND_PREFAULT;
		ret = tm_bind(race.fd, race.mem, RACE_PAGES * PAGE_SZ, flags, &nh);
		race_count(ret);
		/* the stealer may have unbound it first; then EEXIST can't be */
		if (ret)
			race_fail("BIND: %s", tm_errname(ret));
		atomic_store(&race.handle, nh);
		if (!nh)
			race_fail("BIND gave handle 0");
	}
	return NULL;
}

static void *race_stealer(void *arg)
{
	uint64_t r = (uintptr_t)arg;

	while (race_go()) {
		int ret;

		r = r * 6364136223846793005ull + 1;
		ret = tm_unbind(race.fd, 1 + (uint32_t)((r >> 33) % 3));
		race_count(ret);
		if (ret && ret != -ENOENT)
			race_fail("UNBIND (stealer): %s", tm_errname(ret));
		usleep(200);
	}
	return NULL;
}

static void *race_accessor(void *arg)
{
	uint64_t r = (uintptr_t)arg;
	uint8_t *buf = malloc(RACE_PAGES * PAGE_SZ);
	size_t i;

	while (race_go()) {
		size_t first, n;
		struct tm_result res;
		bool write;
		int ret;

		r = r * 6364136223846793005ull + 1;
		first = (r >> 33) % RACE_PAGES;
		n = 1 + (r >> 40) % (RACE_PAGES - first);
		write = (r >> 50) & 1;
		if (write) {
			for (i = 0; i < n; i++)
				tm_fill(buf + i * PAGE_SZ, PAGE_SZ, (uint32_t)(first + i));
			ret = tm_write(race.fd, race.mem + first * PAGE_SZ, n * PAGE_SZ,
				       buf, &res);
		} else {
			memset(buf, 0, n * PAGE_SZ);
			ret = tm_read(race.fd, race.mem + first * PAGE_SZ, n * PAGE_SZ,
				      buf, &res);
		}
		race_count(ret);
		if (ret && ret != -ENOENT)
			race_fail("%s: %s", write ? "WRITE" : "READ",
				  tm_errname(ret));
		if (!ret && res.pages != n)
			race_fail("access OK with %llu of %zu pages",
				  (unsigned long long)res.pages, n);
		if (res.pages > n)
			race_fail("access: pages %llu > %zu",
				  (unsigned long long)res.pages, n);
		if (!write)
			for (i = 0; i < res.pages; i++)
				if (tm_check(buf + i * PAGE_SZ, PAGE_SZ, (uint32_t)(first + i)) >= 0)
					race_fail("READ returned wrong data for page %zu",
						  first + i);
	}
	free(buf);
	return NULL;
}

static void *race_observer(void *arg)
{
	uint8_t snap[RACE_PAGES];
	struct drm_test_mirror_stats st;
	size_t i;

	(void)arg;
	while (race_go()) {
		int ret = tm_snapshot(race.fd, race.mem, RACE_PAGES * PAGE_SZ, snap);

		race_count(ret);
		if (ret)
			race_fail("SNAPSHOT: %s", tm_errname(ret));
		for (i = 0; i < RACE_PAGES; i++)
			if (snap[i] != TEST_MIRROR_SNAP_UNBOUND &&
			    snap[i] > TEST_MIRROR_SNAP_WRITE)
				race_fail("SNAPSHOT: page %zu is 0x%02x", i, snap[i]);
		ret = tm_stats(race.fd, &st, false);
		race_count(ret);
		if (ret || st.bindings > 1)
			race_fail("STATS: %s, %llu bindings", tm_errname(ret),
				  (unsigned long long)st.bindings);
		ret = tm_evlog_drain(race.fd);
		race_count(ret);
		if (ret)
			race_fail("EVENTS: %s", tm_errname(ret));
	}
	return NULL;
}

TEST_OPTS(drm_race_unbind, 0, 0)
{
	pthread_t t[6];
	size_t i;
	int e;

	seed_for("drm_race_unbind");
	memset(&race, 0, sizeof(race));
	pthread_mutex_init(&race.lock, NULL);
	race.fd = fd;
	race.limit = share(3);
	race.mem = tm_must_map(RACE_PAGES, PROT_READ | PROT_WRITE);
	for (i = 0; i < RACE_PAGES; i++)
		tm_fill(race.mem + i * PAGE_SZ, PAGE_SZ, (uint32_t)i);
	race.handle = tm_must_bind(fd, race.mem, RACE_PAGES * PAGE_SZ,
				   TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
	pthread_create(&t[0], NULL, race_binder, (void *)(uintptr_t)rnd());
	pthread_create(&t[1], NULL, race_stealer, (void *)(uintptr_t)rnd());
	pthread_create(&t[2], NULL, race_accessor, (void *)(uintptr_t)rnd());
	pthread_create(&t[3], NULL, race_accessor, (void *)(uintptr_t)rnd());
	pthread_create(&t[4], NULL, race_accessor, (void *)(uintptr_t)rnd());
	pthread_create(&t[5], NULL, race_observer, NULL);
	for (i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	if (race.fail)
		FAIL("%s", race.msg);
	/* The memory holds exactly what it held. */
	for (i = 0; i < RACE_PAGES; i++)
		ASSERT_PATTERN(race.mem + i * PAGE_SZ, PAGE_SZ, (uint32_t)i);
	cnt_calls = 0;
	for (e = 0; e <= NERR; e++) {
		cnt_err[e] = race.per_err[e];
		cnt_calls += race.per_err[e];
	}
	cnt_checks = cnt_calls;
	print_counts("drm_race_unbind");
}

/* ------------------------------------------------------------------------ */
/* The test_hmm-compatible front-end                                         */
/* ------------------------------------------------------------------------ */

static int hmm_fd[2] = { -1, -1 };
static bool hmm_param_set;

/* Open /dev/hmm_dmirror0/1, enabling the front-end if the module can. */
static bool hmm_open(void)
{
	int i, r = tm_hmm_enable();

	if (r < 0)
		return false;
	hmm_param_set = r == 1;
	for (i = 0; i < 2; i++) {
		hmm_fd[i] = tm_hmm_open(i);
		if (hmm_fd[i] < 0)
			FAIL("open /dev/hmm_dmirror%d: %s", i,
			     tm_errname(hmm_fd[i]));
	}
	return true;
}

/*
 * Run fn in a grandchild so that the parameter is put back whatever
 * happens to the test. Returns only in the test child.
 */
static void hmm_run(const char *name, void (*fn)(void))
{
	uint64_t v = 1;
	pid_t pid;
	bool had = !access("/dev/hmm_dmirror0", F_OK);

	if (!had && tm_param_get("hmm_compat", &v))
		SKIP("the module has no test_hmm-compatible front-end (no hmm_compat parameter)");
	pid = tm_fork();
	if (!pid) {
		seed_for(name);
		world_setup();
		if (!hmm_open())
			SKIP("cannot enable hmm_compat");
		fn();
		print_counts(name);
		close(hmm_fd[0]);
		close(hmm_fd[1]);
		_exit(0);
	}
	{
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!had)
			tm_param_set("hmm_compat", "0");
		if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
			SKIP("test_hmm-compatible front-end not available");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			FAIL("%s: child status 0x%x", name, status);
	}
}

static const unsigned long hmm_cmd_list[] = {
	TM_HMM_IOC_READ, TM_HMM_IOC_WRITE, TM_HMM_IOC_SNAPSHOT,
	TM_HMM_IOC_MIGRATE_TO_DEV, TM_HMM_IOC_MIGRATE_TO_SYS,
	TM_HMM_IOC_EXCLUSIVE, TM_HMM_IOC_CHECK_EXCLUSIVE, TM_HMM_IOC_RELEASE,
};

/* Predicted SNAPSHOT byte sets, checked per page. */
static void hmm_check_snap(uint64_t addr, const uint8_t *out, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t va = addr + i * PAGE_SZ;
		uint8_t v = out[i];
		int r = cpu_reason(va, false);

		if (r == -EFAULT) {
			if (v != TM_HMM_PROT_ERROR)
				FAIL("hmm SNAPSHOT: inaccessible page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if (r == R_UNKNOWN) {
			if (v != TM_HMM_PROT_ERROR && (v & ~0x1f) && v != 0)
				FAIL("hmm SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if (kind[(va - (uintptr_t)arena) / PAGE_SZ] == K_RO) {
			if (v != TM_HMM_PROT_NONE && v != TM_HMM_PROT_READ &&
			    v != (TM_HMM_PROT_ZERO | TM_HMM_PROT_READ))
				FAIL("hmm SNAPSHOT: read-only page 0x%" PRIx64 " reported 0x%02x", va, v);
			continue;
		}
		if (v != TM_HMM_PROT_NONE && v != TM_HMM_PROT_READ &&
		    v != TM_HMM_PROT_WRITE && v != (TM_HMM_PROT_ZERO | TM_HMM_PROT_READ))
			FAIL("hmm SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x", va, v);
	}
	cnt_checks++;
}

static void hmm_op(bool raw, bool foreign)
{
	struct tm_hmm_cmd c = { 0 }, eff;
	unsigned long cmd = hmm_cmd_list[chance(85) ? rn(3) : rn(8)];
	struct pred p = { 0 };
	uint8_t *arg = argpage + rn(64) * 8;
	size_t outlen = 0;
	bool argbad = false, argro_used = false;
	uint64_t size;
	int ret, fdi = (int)rn(2);

	c.addr = chance(80) ? arena_addr() : gen_addr();
	c.npages = chance(80) ? 1 + rn(chance(70) ? 4 : 24) :
		   (chance(50) ? gen_size(c.addr) / PAGE_SZ : gen_u64_edge(10));
	c.ptr = cmd == TM_HMM_IOC_SNAPSHOT ?
		(chance(85) ? (uintptr_t)snapbuf + rn(64) : gen_ptr(c.npages)) :
		gen_ptr(c.npages * PAGE_SZ);
	c.cpages = rnd();
	c.faults = rnd();
	eff = c;
	size = eff.npages * PAGE_SZ;

	if (raw && chance(70)) {
		/* Any other size or direction is another command: ENOTTY. */
		unsigned int sz = (unsigned int)rn(80), dir = (unsigned int)rn(4);

		if (sz == 40 && dir == 3)
			sz = 41;
		cmd = _IOC(dir, 'H', _IOC_NR(cmd), sz);
	} else if (raw) {
		cmd = _IOC(_IOC_READ | _IOC_WRITE, 'H', 8 + rn(248), 40);
	}
	switch (chance(90) ? 0 : rn(4)) {
	case 1:
		arg = NULL;
		argbad = true;
		break;
	case 2:
		arg = argpage + 2 * PAGE_SZ - 20;
		argbad = true;
		break;
	case 3:
		mprotect(argro, PAGE_SZ, PROT_READ | PROT_WRITE);
		memcpy(argro, &c, sizeof(c));
		mprotect(argro, PAGE_SZ, PROT_READ);
		arg = argro;
		argro_used = true;
		break;
	default:
		break;
	}
	if (arg && !argro_used)
		memcpy(arg, &c, argbad ? 20 : sizeof(c));

	if (cmd == TM_HMM_IOC_MIGRATE_TO_DEV || cmd == TM_HMM_IOC_MIGRATE_TO_SYS ||
	    cmd == TM_HMM_IOC_EXCLUSIVE || cmd == TM_HMM_IOC_CHECK_EXCLUSIVE ||
	    cmd == TM_HMM_IOC_RELEASE) {
		allow(&p, -EOPNOTSUPP);
	} else if (cmd != TM_HMM_IOC_READ && cmd != TM_HMM_IOC_WRITE &&
		   cmd != TM_HMM_IOC_SNAPSHOT) {
		allow(&p, -ENOTTY);
	} else if (argbad) {
		allow(&p, -EFAULT);
	} else if (!eff.npages || eff.npages > (~0ull >> 12)) {
		allow(&p, -EINVAL);
	} else if (check_range(eff.addr, eff.npages * PAGE_SZ)) {
		allow(&p, -EINVAL);
	} else if (foreign) {
		allow(&p, -EACCES);
	} else if (cmd == TM_HMM_IOC_SNAPSHOT) {
		int r = mem_range(eff.ptr, eff.npages, true);

		if (r == R_UNKNOWN) {
			cnt_skipped++;
			return;
		}
		allow(&p, r ? -EFAULT : 0);
		if (in_range(eff.ptr, snapbuf, SNAPBUF_PAGES * PAGE_SZ)) {
			outlen = (uintptr_t)snapbuf + SNAPBUF_PAGES * PAGE_SZ - eff.ptr;
			memset((void *)(uintptr_t)eff.ptr, 0xCC, outlen);
		}
	} else {
		int ok = access_ok_model(eff.ptr, size);

		if (!ok) {
			allow(&p, -EFAULT);
		} else {
			walk_access(NULL, cmd == TM_HMM_IOC_WRITE, eff.addr,
				    size, eff.ptr, &p);
			if (ok == 2)
				allow(&p, -EFAULT);
		}
		if (p.skip) {
			cnt_skipped++;
			return;
		}
		if (in_arena(eff.ptr) && p.pages) {
			cnt_skipped++;
			return;
		}
	}
	if (cmd == TM_HMM_IOC_WRITE && p.n == 1 && p.pages &&
	    !mem_range(eff.ptr, p.pages * PAGE_SZ, false))
		memcpy(scratch, (void *)(uintptr_t)eff.ptr, p.pages * PAGE_SZ);

	ret = tm_ioctl(hmm_fd[fdi], cmd, arg);
	count_ret(ret);
	/* Success, then the copy back into a read-only argument fails. */
	if (argro_used && allowed(&p, 0) && ret == -EFAULT)
		ret = 0;
	if (!allowed(&p, ret)) {
		FAIL("hmm ioctl 0x%lx arg %p (bad %d, ro %d) addr 0x%llx npages 0x%llx ptr 0x%llx%s: %s, expected %s%s%s (pages %llu, buffer fault %d)",
		     cmd, (void *)arg, argbad, argro_used,
		     (unsigned long long)eff.addr,
		     (unsigned long long)eff.npages, (unsigned long long)eff.ptr,
		     foreign ? " (another process)" : "", tm_errname(ret),
		     tm_errname(p.allow[0]), p.n > 1 ? "|" : "",
		     p.n > 1 ? tm_errname(p.allow[1]) : "",
		     (unsigned long long)p.pages, p.buf_fault);
	}
	cnt_checks++;
	if (foreign || (cmd != TM_HMM_IOC_READ && cmd != TM_HMM_IOC_WRITE &&
			cmd != TM_HMM_IOC_SNAPSHOT))
		return;
	if (!ret && arg && !argro_used && !argbad) {
		struct tm_hmm_cmd *o = (void *)arg;

		if (o->cpages != eff.npages)
			FAIL("hmm ioctl 0x%lx: cpages %llu of %llu", cmd,
			     (unsigned long long)o->cpages,
			     (unsigned long long)eff.npages);
	}
	if (ret && arg && !argro_used && !argbad) {
		struct tm_hmm_cmd *o = (void *)arg;

		if (o->cpages != c.cpages || o->faults != c.faults)
			FAIL("hmm ioctl 0x%lx failed (%s) but wrote its out fields",
			     cmd, tm_errname(ret));
	}
	if (cmd == TM_HMM_IOC_SNAPSHOT && in_arena(eff.ptr)) {
		/* The output went into the arena: take it into the model. */
		uint64_t k;

		if (!ret)
			hmm_check_snap(eff.addr, (uint8_t *)(uintptr_t)eff.ptr,
				       eff.npages);
		for (k = eff.ptr; k < eff.ptr + eff.npages && in_arena(k); k++)
			if (kind[(k - (uintptr_t)arena) / PAGE_SZ] == K_RW)
				*shadow_of(k) = *(uint8_t *)(uintptr_t)k;
		return;
	}
	if (cmd == TM_HMM_IOC_SNAPSHOT) {
		if (!ret && outlen)
			hmm_check_snap(eff.addr, (uint8_t *)(uintptr_t)eff.ptr,
				       eff.npages < outlen ? eff.npages : outlen);
		return;
	}
	if (p.n != 1 || !allowed(&p, ret))
		return;
	if (cmd == TM_HMM_IOC_READ) {
		uint64_t i;

		for (i = 0; i < p.pages; i++)
			if (memcmp((void *)(uintptr_t)(eff.ptr + i * PAGE_SZ),
				   device_content(eff.addr + i * PAGE_SZ), PAGE_SZ))
				FAIL("hmm READ page %" PRIu64 ": data not in memory", i);
		cnt_checks++;
	} else {
		uint64_t i;

		for (i = 0; i < p.pages; i++)
			memcpy(shadow_of(eff.addr + i * PAGE_SZ), scratch + i * PAGE_SZ, PAGE_SZ);
		if (ret && p.buf_fault && in_arena(eff.addr + p.pages * PAGE_SZ)) {
			/* resync a partly written page */
			uint64_t d = eff.addr + p.pages * PAGE_SZ;

			memcpy(shadow_of(d), arena_page(d), PAGE_SZ);
		}
		check_arena("after hmm WRITE");
	}
}

static void hmm_cmds_fn(void)
{
	uint64_t calls = share(10), last = 0;

	while (cnt_calls < calls) {
		if (chance(3)) {
			cpu_op();
			continue;
		}
		hmm_op(false, false);
		if (cnt_calls - last >= 64) {
			last = cnt_calls;
			check_arena("periodic");
		}
	}
	check_arena("at the end");
}

static void hmm_raw_fn(void)
{
	uint64_t calls = share(4);

	while (cnt_calls < calls)
		hmm_op(true, false);
	check_arena("at the end");
}

static void hmm_foreign_fn(void)
{
	uint64_t calls = share(3);
	pid_t pid;

	/* Mirror some of the arena in this process first. */
	{
		struct tm_hmm_cmd c = { .addr = (uintptr_t)arena,
					.ptr = (uintptr_t)bufrw, .npages = 64 };
		int ret = tm_ioctl(hmm_fd[0], TM_HMM_IOC_READ, &c);

		count_ret(ret);
		if (ret)
			FAIL("hmm READ in the owner failed: %s", tm_errname(ret));
	}
	pid = tm_fork();
	if (!pid) {
		/* The child counts its own calls; the parent keeps the READ. */
		cnt_calls = 0;
		cnt_checks = 0;
		memset(cnt_err, 0, sizeof(cnt_err));
		while (cnt_calls < calls)
			hmm_op(chance(20), true);
		check_arena("in the child");
		print_counts("hmm_foreign (the other process)");
		_exit(0);
	}
	tm_must_wait_ok(pid);
	check_arena("in the parent");
}

TEST_OPTS(hmm_cmds, 0, 0)
{
	hmm_run("hmm_cmds", hmm_cmds_fn);
}

TEST_OPTS(hmm_raw, 0, 0)
{
	hmm_run("hmm_raw", hmm_raw_fn);
}

TEST_OPTS(hmm_foreign, 0, 0)
{
	hmm_run("hmm_foreign", hmm_foreign_fn);
}

/* ------------------------------------------------------------------------ */

/* Before the tests: the timeout scales with the calls; the shared totals. */
static int fuzz_setup(struct tm_run *run)
{
	/* about 2 ms a call under TCG, generously */
	if (!run->timeout_given)
		run->timeout = (unsigned int)(60 + opt_calls / 200);
	opt_trace = getenv("TM_FUZZ_TRACE") != NULL;
	printf("# tm_fuzz: seed %llu, %llu calls\n",
	       (unsigned long long)opt_seed, (unsigned long long)opt_calls);
	total = mmap(NULL, sizeof(*total), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (total == MAP_FAILED)
		total = NULL;
	return -1;
}

static int fuzz_teardown(int status)
{
	if (total)
		printf("# tm_fuzz total: %llu ioctl calls (%llu asked), %llu checks, %llu CPU-side ops in %llu tests (seed %llu)\n",
		       (unsigned long long)total->calls,
		       (unsigned long long)opt_calls,
		       (unsigned long long)total->checks,
		       (unsigned long long)total->cpu_ops,
		       (unsigned long long)total->tests,
		       (unsigned long long)opt_seed);
	return status;
}

static const struct tm_option fuzz_options[] = {
	{ "seed", TM_OPT_U64, &opt_seed, "N", "base seed (default 1)" },
	{ "calls", TM_OPT_U64, &opt_calls, "N",
	  "ioctl calls over the tests (default 100000)" },
	{ "iterations", TM_OPT_U64, &opt_calls, "N", "the same as --calls" },
	{ NULL },
};

TM_PROGRAM(.options = fuzz_options, .setup = fuzz_setup,
	   .teardown = fuzz_teardown);
TM_MAIN()
