// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: device READ and WRITE, and keeping the device's copy path busy.
 *
 * READ data must equal the shadow; WRITE must land exactly on the pages it
 * reports, nowhere else (the whole arena is compared with the shadow after
 * it); bytes of a destination buffer past what the device copied, and
 * every guard and canary, must be untouched; a page copied in part holds,
 * byte by byte, the old data or the new.
 */
#include "tm_fuzz.h"

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
unsigned int keep_bound_pct, guided_pct;

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

void keep_bound(void)
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

void op_access(enum issue_mode mode, bool write)
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
