// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: the model of the device files, and the predictions.
 *
 * Two device files (two mirrors of this process), each with a model of its
 * bindings: handle, range, access, and the pages whose tracking munmap
 * dropped (event-aware policy). From it and the world, a prediction is the
 * exact errno of a call (a set of them only where the contract leaves a
 * choice) and, for READ / WRITE, how many pages the device copies: the
 * walk of walk_access() follows the core's, where the first page that
 * fails decides.
 */
#include "tm_fuzz.h"

struct mfile mf[2];
uint64_t max_bindings = 1024;
bool aware;
bool devmem_cap;
bool excl_cap;
uint8_t on_sys[NA];

struct mbind *find_b(struct mfile *m, uint64_t a)
{
	int i;

	for (i = 0; i < m->nb; i++)
		if (a >= m->b[i].s && a < m->b[i].e)
			return &m->b[i];
	return NULL;
}

bool overlaps(struct mfile *m, uint64_t s, uint64_t e)
{
	int i;

	for (i = 0; i < m->nb; i++)
		if (s < m->b[i].e && m->b[i].s < e)
			return true;
	return false;
}

bool is_live(struct mfile *m, uint32_t h)
{
	int i;

	for (i = 0; i < m->nb; i++)
		if (m->b[i].h == h)
			return true;
	return false;
}

uint32_t lowest_free(struct mfile *m)
{
	uint32_t h = 1;

	while (is_live(m, h))
		h++;
	return h;
}

bool dropped(struct mbind *b, uint64_t a)
{
	if (!in_range(a, win, NW * PAGE_SZ))
		return false;
	return b->drop[(a - (uintptr_t)win) / PAGE_SZ];
}

void model_add(struct mfile *m, uint32_t h, uint64_t s, uint64_t e,
	       uint32_t flags)
{
	struct mbind *b = &m->b[m->nb++];

	memset(b, 0, sizeof(*b));
	b->h = h;
	b->s = s;
	b->e = e;
	b->flags = flags & (TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
	if (h > m->max_issued)
		m->max_issued = h;
}

void model_del(struct mfile *m, uint32_t h)
{
	int i;

	for (i = 0; i < m->nb; i++) {
		if (m->b[i].h != h)
			continue;
		m->b[i] = m->b[--m->nb];
		m->freed[m->nfreed++ % 64] = h;
		return;
	}
}

/* A move to the device of [addr, addr + size): where those pages are is unknown. */
void model_to_device(uint64_t addr, uint64_t size)
{
	uint64_t a;

	if (size > (uint64_t)NW * PAGE_SZ || addr + size < addr)
		return;
	for (a = addr & ~(uint64_t)(PAGE_SZ - 1); a < addr + size; a += PAGE_SZ)
		if (in_arena(a))
			on_sys[(a - (uintptr_t)arena) / PAGE_SZ] = 0;
}

/* The CPU unmapped window pages [i, i + n): bindings there lose tracking. */
void model_drop(size_t wi, size_t n)
{
	int f, k;
	size_t j;

	if (!aware)
		return;
	for (f = 0; f < 2; f++)
		for (k = 0; k < mf[f].nb; k++)
			for (j = wi; j < wi + n; j++) {
				uint64_t a = (uintptr_t)win + j * PAGE_SZ;

				if (a >= mf[f].b[k].s && a < mf[f].b[k].e)
					mf[f].b[k].drop[j] = 1;
			}
}

/* ------------------------------------------------------------------------ */
/* Predictions                                                               */
/* ------------------------------------------------------------------------ */

void allow(struct pred *p, int e)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->allow[i] == e)
			return;
	if (p->n < 8)
		p->allow[p->n++] = e;
}

bool allowed(const struct pred *p, int e)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->allow[i] == e)
			return true;
	return false;
}

int check_range(uint64_t a, uint64_t s)
{
	if (!s || (a & (PAGE_SZ - 1)) || (s & (PAGE_SZ - 1)))
		return -EINVAL;
	if (a + s < a || a + s > task_max)
		return -EINVAL;
	return 0;
}

/*
 * Walk [addr, addr + size) the way the core does: the first page that fails
 * decides. With m == NULL every page is bound (the hmm front-end).
 */
void walk_access(struct mfile *m, bool write, uint64_t addr,
		 uint64_t size, uint64_t ptr, struct pred *p)
{
	uint64_t np = size / PAGE_SZ, i;

	for (i = 0; i < np; i++) {
		uint64_t a = addr + i * PAGE_SZ;
		struct mbind *b = NULL;
		int r;

		if (m) {
			b = find_b(m, a);
			if (!b) {
				allow(p, -ENOENT);
				p->pages = i;
				return;
			}
			if (write && !(b->flags & TEST_MIRROR_BIND_WRITE)) {
				allow(p, -EPERM);
				p->pages = i;
				return;
			}
			if (dropped(b, a)) {
				allow(p, -EFAULT);
				p->pages = i;
				return;
			}
		}
		r = cpu_reason(a, write);
		if (r == R_UNKNOWN) {
			p->skip = true;
			return;
		}
		if (r) {
			allow(p, r);
			p->pages = i;
			return;
		}
		r = mem_range(ptr + i * PAGE_SZ, PAGE_SZ, !write);
		if (r == R_UNKNOWN) {
			p->skip = true;
			return;
		}
		if (r) {
			allow(p, -EFAULT);
			p->pages = i;
			p->buf_fault = true;
			return;
		}
	}
	p->pages = np;
	allow(p, 0);
}
