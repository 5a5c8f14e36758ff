// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: the DRM calls of each kind (but READ and WRITE, access.c), each
 * issued through issue.c and checked against the model.
 *
 * BIND and UNBIND keep the model of the bindings (a BIND whose handle was
 * not copied out is undone by the lowest free handle); SNAPSHOT may never
 * show an entry for memory the CPU cannot access, or a write entry where
 * the CPU maps read-only; STATS counters and EVENTS records must be well
 * formed and agree with the model; MIGRATE must never change what memory
 * holds, and neither must DEVMEM, wherever the data lives; ATOMIC changes
 * exactly its word, as the shadow predicts.
 */
#include <stdio.h>

#include "tm_fuzz.h"

enum issue_mode pick_mode(unsigned int raw_pct, unsigned int ptr_pct)
{
	unsigned int r = (unsigned int)rn(100);

	if (r < raw_pct)
		return IM_RAW;
	if (r < raw_pct + ptr_pct)
		return IM_ARGPTR;
	return IM_NORMAL;
}

struct mfile *pick_file(struct mfile **other)
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
bool bind_call(struct mfile *m, const struct drm_test_mirror_bind *a,
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

void op_bind(enum issue_mode mode)
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
void unbind_call(struct mfile *m, const struct drm_test_mirror_unbind *a,
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

void op_unbind(enum issue_mode mode)
{
	struct drm_test_mirror_unbind a = { 0 };
	struct mfile *m, *other;

	m = pick_file(&other);
	a.handle = gen_handle(m, other);
	if (chance(8))
		a.flags = (uint32_t)gen_u64_edge(0) | 1;
	unbind_call(m, &a, mode);
}

void op_snapshot(enum issue_mode mode)
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
		if (v & ~(TEST_MIRROR_SNAP_STATE_MASK | TEST_MIRROR_SNAP_HUGE |
			  TEST_MIRROR_SNAP_DEVICE | TEST_MIRROR_SNAP_EXCLUSIVE) ||
		    (v & TEST_MIRROR_SNAP_STATE_MASK) == 3)
			FAIL("SNAPSHOT: bound page 0x%" PRIx64 " reported 0x%02x", va, v);
		/* Exclusive: a device-writable page in system memory (ATOMIC). */
		if ((v & TEST_MIRROR_SNAP_EXCLUSIVE) &&
		    (!excl_cap || v != (TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_EXCLUSIVE)))
			FAIL("SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x: exclusive%s",
			     va, v, excl_cap ? " but not a write entry in system memory" :
			     " without the cap");
		if ((v & TEST_MIRROR_SNAP_DEVICE) &&
		    (!devmem_cap || v == TEST_MIRROR_SNAP_DEVICE))
			FAIL("SNAPSHOT: page 0x%" PRIx64 " reported 0x%02x: device memory%s",
			     va, v, devmem_cap ? " without an entry" : " without the cap");
		if ((v & TEST_MIRROR_SNAP_DEVICE) && in_arena(va) &&
		    on_sys[(va - (uintptr_t)arena) / PAGE_SZ])
			FAIL("SNAPSHOT: page 0x%" PRIx64 " in device memory, but the CPU brought it home and nothing moved it since",
			     va);
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

void check_stats_out(struct mfile *m, const struct drm_test_mirror_stats *s)
{
	int i;

	if (s->bindings != (uint64_t)m->nb)
		FAIL("STATS: bindings %llu, the model has %d",
		     (unsigned long long)s->bindings, m->nb);
	if (s->caps & ~(uint32_t)(TEST_MIRROR_CAP_VMA_DOWNGRADE |
				  TEST_MIRROR_CAP_EVENT_AWARE |
				  TEST_MIRROR_CAP_UFFD_FAULTS |
				  TEST_MIRROR_CAP_DEVICE_PRIVATE |
				  TEST_MIRROR_CAP_DEVICE_EXCLUSIVE |
				  TEST_MIRROR_CAP_DEVICE_HUGE |
				  TEST_MIRROR_CAP_TWO_PASS))
		FAIL("STATS: unknown caps 0x%x", s->caps);
	if ((s->caps & TEST_MIRROR_CAP_DEVICE_HUGE) &&
	    !(s->caps & TEST_MIRROR_CAP_DEVICE_PRIVATE))
		FAIL("STATS: caps 0x%x: DEVICE_HUGE without DEVICE_PRIVATE",
		     s->caps);
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
	for (i = 0; i < (int)ARRAY_SIZE(s->reserved); i++)
		if (s->reserved[i])
			FAIL("STATS: reserved[%d] = 0x%llx", i,
			     (unsigned long long)s->reserved[i]);
	if (s->nonblock_busy > s->nonblock_calls)
		FAIL("STATS: nonblock_busy > nonblock_calls");
	check_job_stats(m, s);
	cnt_checks++;
}

void op_stats(enum issue_mode mode)
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
		a.reserved[rn(ARRAY_SIZE(a.reserved))] = gen_u64_edge(0) | 1;
	a.caps = (uint32_t)rnd();
	a.bindings = rnd();
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_STATS, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_stats *)is.eff;
	if (e->flags & ~TEST_MIRROR_STATS_RESET) {
		allow(&p, -EINVAL);
	} else {
		int i, bad = 0;

		for (i = 0; i < (int)ARRAY_SIZE(e->reserved); i++)
			bad |= !!e->reserved[i];
		allow(&p, bad ? -EINVAL : 0);
	}
	ret = issue_call(&is, m->fd, &p, "STATS");
	if (!ret && is.out_visible)
		check_stats_out(m, (void *)is.uarg);
	/* the counters were read, then reset (-EFAULT: only the copy back failed) */
	if (handler_ran(&is) && allowed(&p, 0) && (!ret || ret == -EFAULT) &&
	    (e->flags & TEST_MIRROR_STATS_RESET))
		jobs_reset_model(m);
}

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

void op_events(enum issue_mode mode)
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

/*
 * What a move of [addr, addr + size) that m asked for may answer, after
 * its own argument checks (MIGRATE, DEVMEM): ENOENT unbound, EINVAL beyond
 * the binding, EFAULT tracking dropped or no VMA, EINVAL a batch that
 * crosses a VMA or a VMA that is not anonymous. The VMA layout inside one
 * region depends on which mprotects and remaps merged back, so only a
 * range inside one region of one kind may succeed, and EINVAL is always
 * possible for it. With @maps (DEVMEM: the device maps what it holds),
 * PROT_NONE pages may also give EFAULT. Return: -1 if the range is
 * someone else's memory (nothing predicted), 1 if a success can only have
 * moved all of it (one region of one kind, mappable), else 0.
 */
static int predict_move(struct mfile *m, uint64_t addr, uint64_t size,
			bool maps, struct pred *p)
{
	struct mbind *b = find_b(m, addr);
	uint64_t end = addr + size;
	bool one = true;
	size_t i0, i;

	if (check_range(addr, size)) {
		allow(p, -EINVAL);
	} else if (!b) {
		allow(p, -ENOENT);
	} else if (end > b->e) {
		allow(p, -EINVAL);
	} else if (dropped(b, addr)) {
		allow(p, -EFAULT);
	} else if (addr < LOW_END) {
		allow(p, -EFAULT);			/* no VMA */
	} else if (!in_arena(addr)) {
		if (!in_range(addr, win, NW * PAGE_SZ) &&
		    !in_range(addr, zone, NZONE * PAGE_SZ))
			return -1;			/* someone else's memory */
		/* a guard or the zone: PROT_NONE anonymous VMAs */
		allow(p, 0);
		allow(p, -EINVAL);
		allow(p, -EFAULT);
	} else {
		i0 = (addr - (uintptr_t)arena) / PAGE_SZ;
		for (i = i0; (uintptr_t)arena + i * PAGE_SZ < end; i++) {
			if (i >= NA || region_of(i) != region_of(i0) ||
			    kind[i] != kind[i0] || dropped(b, (uintptr_t)arena + i * PAGE_SZ)) {
				one = false;
				break;
			}
		}
		if (maps && kind[i0] == K_NONE)
			one = false;
		if (kind[i0] == K_HOLE) {
			allow(p, -EFAULT);
		} else if (region_of(i0) == 'F') {
			allow(p, -EINVAL);
		} else if (one) {
			allow(p, 0), allow(p, -EINVAL);
			return 1;
		} else {
			allow(p, 0), allow(p, -EINVAL), allow(p, -EFAULT);
		}
	}
	return 0;
}

#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
/*
 * MIGRATE: the arguments (EINVAL), then as predict_move(). Whatever
 * happens, memory must hold exactly what it held.
 */
void op_migrate(enum issue_mode mode)
{
	struct drm_test_mirror_migrate a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
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
	if (e->flags || e->pad || e->reserved) {
		allow(&p, -EINVAL);
	} else if (predict_move(m, e->addr, e->size, false, &p) < 0) {
		cnt_skipped++;
		return;
	}
	ret = issue_call(&is, m->fd, &p, "MIGRATE");
	(void)ret;
	/* Migration must never change what memory holds. */
	check_arena("after MIGRATE");
}
#endif

/*
 * DEVMEM: the arguments (EINVAL), then the cap (EOPNOTSUPP), then as
 * predict_move() with PROT_NONE pages' EFAULT. What memory holds never
 * changes; the CPU's periodic
 * check reads it back wherever it is. A move of a whole range of
 * accessible arena pages to the device (pages == the range) shows in
 * SNAPSHOT as device memory for each of them.
 */
void op_devmem(enum issue_mode mode)
{
	struct drm_test_mirror_devmem a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	bool whole = false;
	int ret;

	m = pick_file(&other);
	a.addr = chance(80) ? arena_addr() : gen_addr();
	a.size = chance(80) ? (1 + rn(16)) * PAGE_SZ : gen_size(a.addr);
	if (m->nb && chance(50)) {
		/* guided: a range inside one binding */
		struct mbind *g = &m->b[rn(m->nb)];
		uint64_t np = (g->e - g->s) / PAGE_SZ, first;

		np = np > NW ? NW : np;
		first = rn(np);
		a.addr = g->s + first * PAGE_SZ;
		a.size = (1 + rn(np - first)) * PAGE_SZ;
	}
	a.op = chance(55) ? TEST_MIRROR_DEVMEM_TO_DEVICE : TEST_MIRROR_DEVMEM_TO_SYSTEM;
	if (chance(5))
		a.op = 2 + (uint32_t)gen_u64_edge(0);
	if (chance(5))
		a.flags = 1u << rn(32);
	if (chance(5))
		a.reserved = gen_u64_edge(0) | 1;
	a.pages = rnd();
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_DEVMEM, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_devmem *)is.eff;
	if (e->flags || e->reserved || e->op > TEST_MIRROR_DEVMEM_TO_SYSTEM) {
		allow(&p, -EINVAL);
	} else if (!devmem_cap) {
		allow(&p, -EOPNOTSUPP);
	} else {
		int r = predict_move(m, e->addr, e->size, true, &p);

		if (r < 0) {
			cnt_skipped++;
			return;
		}
		whole = r == 1 && e->op == TEST_MIRROR_DEVMEM_TO_DEVICE;
	}
	if (e->op == TEST_MIRROR_DEVMEM_TO_DEVICE && devmem_cap)
		model_to_device(e->addr, e->size);
	ret = issue_call(&is, m->fd, &p, "DEVMEM");
	cnt_dm++;
	cnt_dm_ok += !ret;
	if (handler_ran(&is) && is.out_visible) {
		uint64_t moved = ((struct drm_test_mirror_devmem *)is.uarg)->pages;

		cnt_dm_pages += moved;

		if (moved > e->size / PAGE_SZ || (!devmem_cap && moved) ||
		    (!allowed(&p, 0) && !allowed(&p, -EFAULT) && moved))
			FAIL("DEVMEM op %u [0x%llx, +0x%llx): %s, %llu pages moved",
			     e->op, (unsigned long long)e->addr,
			     (unsigned long long)e->size, tm_errname(ret),
			     (unsigned long long)moved);
		cnt_checks++;
		if (!ret && whole && moved == e->size / PAGE_SZ) {
			uint8_t *out = snapbuf;
			uint64_t i;
			int r = tm_snapshot(m->fd, (void *)(uintptr_t)e->addr,
					    e->size, out);

			count_ret(r);
			if (r)
				FAIL("SNAPSHOT after DEVMEM: %s", tm_errname(r));
			for (i = 0; i < moved; i++)
				if (!(out[i] & TEST_MIRROR_SNAP_DEVICE) ||
				    !(out[i] & TEST_MIRROR_SNAP_STATE_MASK))
					FAIL("DEVMEM moved %llu pages of [0x%llx, +0x%llx) to the device, SNAPSHOT page %llu: 0x%02x",
					     (unsigned long long)moved,
					     (unsigned long long)e->addr,
					     (unsigned long long)e->size,
					     (unsigned long long)i, out[i]);
			cnt_checks++;
			cnt_dm_whole++;
		}
	}
	/* Sometimes bring everything home at once and compare. */
	if (chance(20))
		check_arena("after DEVMEM");
}

/*
 * The errno an ATOMIC on word a of file m gets once its arguments and the
 * cap passed, in the driver's order: EINVAL misaligned or beyond the user
 * space; ENOENT unbound; EPERM a read-only binding; EFAULT tracking dropped;
 * then excl_vma_reason(). R_UNKNOWN: someone else's memory.
 */
static int atomic_reason(struct mfile *m, uint64_t a)
{
	struct mbind *b;

	if ((a & 7) || a >= task_max)
		return -EINVAL;
	b = find_b(m, a);
	if (!b)
		return -ENOENT;
	if (!(b->flags & TEST_MIRROR_BIND_WRITE))
		return -EPERM;
	if (dropped(b, a))
		return -EFAULT;
	return excl_vma_reason(a);
}

/*
 * Can the device take the page of a exclusive, as far as its VMA goes?
 * EFAULT none, EINVAL not anonymous (the memfd), EPERM not writable
 * (read-only, PROT_NONE, a guard, the zone); R_UNKNOWN someone else's.
 */
int excl_vma_reason(uint64_t a)
{
	if (a < LOW_END)
		return -EFAULT;
	if (in_arena(a)) {
		size_t i = (a - (uintptr_t)arena) / PAGE_SZ;

		if (kind[i] == K_HOLE)
			return -EFAULT;
		if (region_of(i) == 'F')
			return -EINVAL;
		return kind[i] == K_RW ? 0 : -EPERM;
	}
	/* a guard or the zone: PROT_NONE anonymous memory */
	if (in_range(a, win, NW * PAGE_SZ) || in_range(a, zone, NZONE * PAGE_SZ))
		return -EPERM;
	return R_UNKNOWN;
}

/*
 * ATOMIC: EINVAL for op, flags, pad, reserved (or compare for FETCH_ADD)
 * before the cap, EOPNOTSUPP without the cap, then atomic_reason(). When
 * the handler did the operation (its result copied out or not), the word
 * held what the shadow says (old), and the shadow takes the result:
 * old + operand, or operand if old was compare. The device then holds the
 * page exclusive: SNAPSHOT says so, until the CPU's next look at the arena
 * takes it back.
 */
void op_atomic(enum issue_mode mode)
{
	struct drm_test_mirror_atomic a = { 0 }, *e;
	struct mfile *m, *other;
	struct issue is;
	struct pred p = { 0 };
	uint64_t want_old = 0, res;
	int ret, r;

	m = pick_file(&other);
	a.addr = (chance(70) ? arena_addr() : gen_addr()) & ~7ull;
	if (m->nb && chance(60)) {
		/* guided: a word inside one of the file's bindings */
		struct mbind *g = &m->b[rn(m->nb)];
		uint64_t np = (g->e - g->s) / PAGE_SZ;

		np = np > NW ? NW : np;
		a.addr = g->s + rn(np) * PAGE_SZ + rn(PAGE_SZ / 8) * 8;
	}
	if (chance(5))
		a.addr += 1 + rn(7);
	a.op = chance(50) ? TEST_MIRROR_ATOMIC_FETCH_ADD : TEST_MIRROR_ATOMIC_CMPXCHG;
	if (chance(4))
		a.op = 2 + (uint32_t)gen_u64_edge(0);
	a.operand = chance(50) ? rn(1000) : rnd();
	if (a.op == TEST_MIRROR_ATOMIC_CMPXCHG && in_arena(a.addr) && chance(50) &&
	    kind[(a.addr - (uintptr_t)arena) / PAGE_SZ] == K_RW)
		memcpy(&a.compare, shadow_of(a.addr & ~7ull), 8);	/* will swap */
	else if (a.op == TEST_MIRROR_ATOMIC_CMPXCHG || chance(4))
		a.compare = rnd();
	if (chance(4))
		a.flags = 1u << rn(32);
	if (chance(4))
		a.pad = 1u << rn(32);
	if (chance(4))
		a.reserved[rn(2)] = gen_u64_edge(0) | 1;
	a.old = rnd();
	a.granted = (uint32_t)rnd();
	issue_prepare(&is, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a, sizeof(a), mode);
	e = (struct drm_test_mirror_atomic *)is.eff;
	if (e->op > TEST_MIRROR_ATOMIC_CMPXCHG ||
	    (e->op == TEST_MIRROR_ATOMIC_FETCH_ADD && e->compare) ||
	    e->flags || e->pad || e->reserved[0] || e->reserved[1]) {
		allow(&p, -EINVAL);
	} else if (!excl_cap) {
		allow(&p, -EOPNOTSUPP);
	} else {
		r = atomic_reason(m, e->addr);
		if (r == R_UNKNOWN) {
			cnt_skipped++;
			return;
		}
		allow(&p, r);
	}
	if (allowed(&p, 0))
		memcpy(&want_old, shadow_of(e->addr), 8);
	ret = issue_call(&is, m->fd, &p, "ATOMIC");
	cnt_at++;
	if (!handler_ran(&is) || !allowed(&p, 0) || (ret && ret != -EFAULT))
		return;
	/* The operation was done (-EFAULT: only its result was not copied out). */
	cnt_at_ok++;
	if (e->op == TEST_MIRROR_ATOMIC_FETCH_ADD)
		res = want_old + e->operand;
	else
		res = want_old == e->compare ? e->operand : want_old;
	memcpy(shadow_of(e->addr), &res, 8);
	on_sys[(e->addr - (uintptr_t)arena) / PAGE_SZ] = 1;
	if (is.out_visible) {
		const struct drm_test_mirror_atomic *o = (const void *)is.uarg;

		if (o->old != want_old || o->granted > 1)
			FAIL("ATOMIC op %u at 0x%llx operand 0x%llx compare 0x%llx: old 0x%llx granted %u, the word held 0x%llx",
			     e->op, (unsigned long long)e->addr,
			     (unsigned long long)e->operand,
			     (unsigned long long)e->compare,
			     (unsigned long long)o->old, o->granted,
			     (unsigned long long)want_old);
		cnt_checks++;
	}
	/* The device holds the page now, and only the CPU takes it back. */
	{
		uint8_t v = 0;

		r = tm_snapshot(m->fd, (void *)(uintptr_t)(e->addr & ~(uint64_t)(PAGE_SZ - 1)),
				PAGE_SZ, &v);
		count_ret(r);
		if (r || v != (TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_EXCLUSIVE))
			FAIL("SNAPSHOT after ATOMIC at 0x%llx: %s, 0x%02x",
			     (unsigned long long)e->addr, tm_errname(r), v);
		cnt_checks++;
		cnt_at_excl++;
	}
	if (chance(30))
		check_arena("after ATOMIC");
}
