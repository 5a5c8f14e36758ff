// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the mutators, which change the CPU page tables of their slots.
 *
 * munmap + mmap (new zero pages, filled with a new id), mmap over the
 * range, mremap away and back, mprotect RO / NONE and back, MADV_DONTNEED,
 * MADV_FREE, unbind + bind. Each slot belongs to one mutator, which rebinds
 * after the changes that drop tracking. A mutation tells the model when it
 * starts (the contents that may appear from then on) and when it is over
 * (what the range holds now, or what a device write that overlapped it
 * wrote).
 */
#include <unistd.h>

#include "tm_stress.h"

/*
 * A mutation of [first, first + n) starts; ids may appear there from now.
 * fill: the CPU is going to fill new pages there.
 */
static void mut_begin(struct slot *s, size_t first, size_t n,
		      const uint32_t *ids, unsigned int nids, bool fill)
{
	bool tear = fill && !aware;
	size_t p;
	unsigned int k;

	pthread_mutex_lock(&s->lock);
	if (!s->wr_active)
		settle(s, 0, s->np);
	s->version++;
	s->mut_seq++;
	s->mut_active = true;
	s->fill_first = first;
	s->fill_n = tear ? n : 0;
	s->novl = 0;
	if (s->wr_active) {
		s->wr_overlap = true;
		s->ovl[s->novl++] = (struct ovl){ s->wr_tag, s->wr_first, s->wr_n };
	}
	for (p = first; p < first + n; p++)
		for (k = 0; k < nids; k++)
			acc_add_h(s, p, ids[k], tear ? TEAR_FILL : -1);
	pthread_mutex_unlock(&s->lock);
}

/*
 * The mutation is over. Unless keep, [first, first + n) now holds the
 * result ids, or what a device write that overlapped the mutation wrote.
 */
static void mut_commit(struct slot *s, size_t first, size_t n,
		       const uint32_t *ids, unsigned int nids, bool keep,
		       int lazy)
{
	unsigned int k, o;
	size_t p;

	pthread_mutex_lock(&s->lock);
	s->version++;
	for (p = first; p < first + n; p++) {
		if (!keep) {
			acc_clear(s, p);
			s->pm[p].mixed = false;
			s->pm[p].npart = 0;
			s->pm[p].part_kept = false;
		}
		for (k = 0; k < nids; k++)
			acc_add(s, p, ids[k]);
		for (o = 0; o < s->novl; o++)
			if (p >= s->ovl[o].first && p < s->ovl[o].first + s->ovl[o].n) {
				acc_add(s, p, s->ovl[o].tag);
				if (p >= s->fill_first && p < s->fill_first + s->fill_n)
					s->pm[p].mixed = true;
			}
	}
	s->mut_active = false;
	s->fill_n = 0;
	s->mut_seq++;
	s->novl = 0;
	for (p = first; p < first + n && lazy >= 0; p++) {
		s->pm[p].lazy = lazy;
		/* clean again: reclaim may drop what the device wrote */
		if (lazy)
			s->pm[p].part_kept = false;
	}
	if (!s->wr_active)
		settle(s, first, n);
	pthread_mutex_unlock(&s->lock);
}

static void rebind(struct slot *s, uint64_t r)
{
	int f, ret;

	for (f = 0; f < 2; f++) {
		uint32_t flags = TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE;
		uint64_t busy0;
		uint32_t h = 0;

		ret = tm_unbind(dev[f], s->handle[f]);
		if (ret)
			violation("UNBIND of slot %td: %s", s - slots, tm_errname(ret));
		if ((r >> (8 + f)) & 1)
			flags |= TEST_MIRROR_BIND_PREFAULT;
		busy0 = races(f);
		ret = tm_bind(dev[f], s->addr, s->np * PAGE_SZ, flags, &h);
		if (ret == -EBUSY && (flags & TEST_MIRROR_BIND_PREFAULT)) {
			/* the prefault gave up racing invalidations: bind plain */
			busy_check(f, busy0, "PREFAULT BIND (file %d) of slot %td",
				   f, s - slots);
			ret = tm_bind(dev[f], s->addr, s->np * PAGE_SZ,
				      flags & ~TEST_MIRROR_BIND_PREFAULT, &h);
		}
		if (ret)
			violation("BIND of slot %td (flags 0x%x): %s", s - slots,
				  flags, tm_errname(ret));
		s->handle[f] = h;
	}
}

static void map_fixed(struct slot *s, size_t first, size_t n)
{
	void *a = s->addr + first * PAGE_SZ;

	if (mmap(a, n * PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != a) {
		violation("mmap MAP_FIXED: %s", tm_errname(errno));
		return;
	}
	madvise(a, n * PAGE_SZ, s->huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
}

void fill(struct slot *s, size_t first, size_t n, uint32_t id)
{
	size_t p;

	for (p = first; p < first + n; p++)
		fill_page(s->addr + p * PAGE_SZ, (uintptr_t)s->addr + p * PAGE_SZ, id);
}

/*
 * Writes that raced mutations leave several possible contents per page;
 * when mutations and writes keep overlapping, nothing settles them. Now and
 * then, let the writer in flight finish and keep the next one out for a
 * moment, so that the CPU's view settles the sets.
 */
static void unclutter(struct slot *s)
{
	bool crowded = false;
	size_t p;

	pthread_mutex_lock(&s->lock);
	for (p = 0; p < s->np && !crowded; p++)
		crowded = s->pm[p].nacc > MAXACC / 4;
	pthread_mutex_unlock(&s->lock);
	if (!crowded)
		return;
	pthread_mutex_lock(&s->wr_lock);
	pthread_mutex_lock(&s->lock);
	settle(s, 0, s->np);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->wr_lock);
}

static void mutate(struct slot *s, uint64_t *r)
{
	size_t first = xrand(r) % s->np, n;
	uint32_t ids[2];
	unsigned int op = (unsigned int)(xrand(r) % 9);

	n = 1 + xrand(r) % (s->np - first);
	if (n > 64 && (xrand(r) & 1))
		n = 1 + xrand(r) % 64;
	unclutter(s);
	switch (op) {
	case 0:	/* munmap + mmap: new pages, filled with a new id */
	case 1:	/* mmap over the range */
		ids[0] = 0;
		ids[1] = new_id();
		mut_begin(s, first, n, ids, 2, true);
		if (op == 0 && munmap(s->addr + first * PAGE_SZ, n * PAGE_SZ))
			violation("munmap: %s", tm_errname(errno));
		map_fixed(s, first, n);
		fill(s, first, n, ids[1]);
		rebind(s, xrand(r));
		mut_commit(s, first, n, &ids[1], 1, false, 0);
		inc(op == 0 ? C_REMAP : C_MAPOVER);
		break;
	case 2:	/* mremap away and back: same pages, tracking dropped */
		mut_begin(s, 0, s->np, NULL, 0, false);
		/* a range over several VMAs cannot move: EFAULT, nothing done */
		if (mremap(s->addr + first * PAGE_SZ, n * PAGE_SZ, n * PAGE_SZ,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   s->tmp + first * PAGE_SZ) == s->tmp + first * PAGE_SZ) {
			if (xrand(r) & 1)
				usleep(xrand(r) % 1000);
			if (mremap(s->tmp + first * PAGE_SZ, n * PAGE_SZ, n * PAGE_SZ,
				   MREMAP_MAYMOVE | MREMAP_FIXED,
				   s->addr + first * PAGE_SZ) != s->addr + first * PAGE_SZ)
				violation("mremap back: %s", tm_errname(errno));
			inc(C_MREMAP);
		} else if (errno != EFAULT) {
			violation("mremap: %s", tm_errname(errno));
		}
		rebind(s, xrand(r));
		mut_commit(s, 0, s->np, NULL, 0, true, -1);
		break;
	case 3:	/* mprotect read-only (or none) for a while */
	case 4: {
		int prot = op == 3 ? PROT_READ : PROT_NONE;

		mut_begin(s, first, n, NULL, 0, false);
		if (mprotect(s->addr + first * PAGE_SZ, n * PAGE_SZ, prot))
			violation("mprotect: %s", tm_errname(errno));
		usleep(xrand(r) % 2000);
		if (mprotect(s->addr + first * PAGE_SZ, n * PAGE_SZ, PROT_READ | PROT_WRITE))
			violation("mprotect back: %s", tm_errname(errno));
		mut_commit(s, first, n, NULL, 0, true, -1);
		inc(op == 3 ? C_MPROT_RO : C_MPROT_NONE);
		break;
	}
	case 5:	/* MADV_DONTNEED: zero pages */
	case 6:	/* MADV_FREE: old data, or zero once reclaim frees it */
		ids[0] = 0;
		mut_begin(s, first, n, ids, 1, false);
		if (madvise(s->addr + first * PAGE_SZ, n * PAGE_SZ,
			    op == 5 ? MADV_DONTNEED : MADV_FREE))
			violation("%s: %s", op == 5 ? "MADV_DONTNEED" : "MADV_FREE",
				  tm_errname(errno));
		mut_commit(s, first, n, ids, 1, op == 6, op == 6);
		inc(op == 5 ? C_DONTNEED : C_FREE);
		break;
	default: /* unbind + bind */
		mut_begin(s, 0, s->np, NULL, 0, false);
		rebind(s, xrand(r));
		mut_commit(s, 0, s->np, NULL, 0, true, -1);
		inc(C_REBIND);
		break;
	}
}

void *mutator(void *arg)
{
	struct mut_arg *a = arg;
	uint64_t r = a->seed | 1;

	while (!stop) {
		struct slot *s = &slots[a->first_slot + xrand(&r) % a->nslot];

		mutate(s, &r);
		atomic_fetch_add(&progress, 1);
		usleep(xrand(&r) % 3000);
	}
	return NULL;
}
