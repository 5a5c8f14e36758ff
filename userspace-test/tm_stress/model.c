// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the content encoding and the model of what each page may hold.
 *
 * Every 8-byte word says what wrote it and where (main.c has the format),
 * so that a page read can be decoded, and a word that belongs to another
 * address, or that no allowed content has there, be told at once. The
 * model keeps, per page, the set of contents it may hold now and a history
 * of when each entered the set; the starts of failed device writes a page
 * may keep; and whether a write met a CPU fill there (blind policy).
 * settle() takes what the CPU sees into the model when nothing can change
 * a range: one whole content per page, which must be an allowed one.
 */
#include <inttypes.h>

#include "tm_stress.h"

/* ------------------------------------------------------------------------ */
/* Content encoding                                                          */
/* ------------------------------------------------------------------------ */

uint64_t word_of(uint32_t id, uint64_t addr, unsigned int w)
{
	if (!id)
		return 0;
	return (uint64_t)id << 32 | ((addr >> 12) & 0xfffff) << 9 | w;
}

void fill_page(uint8_t *dst, uint64_t addr, uint32_t id)
{
	uint64_t *p = (uint64_t *)dst;
	unsigned int w;

	for (w = 0; w < PAGE_SZ / 8; w++)
		p[w] = word_of(id, addr, w);
}

/*
 * Decode a page read at addr: the ids it holds (up to max). Returns false
 * if a word belongs to another address or is not a valid word at all.
 */
bool decode_page(const uint8_t *buf, uint64_t addr, uint32_t *ids,
		 unsigned int *nids, unsigned int max, unsigned int *badw)
{
	const uint64_t *p = (const uint64_t *)buf;
	unsigned int w, k;

	*nids = 0;
	for (w = 0; w < PAGE_SZ / 8; w++) {
		uint32_t id = (uint32_t)(p[w] >> 32);

		if (p[w] != word_of(id, addr, w)) {
			*badw = w;
			return false;
		}
		for (k = 0; k < *nids && ids[k] != id; k++)
			;
		if (k == *nids && *nids < max)
			ids[(*nids)++] = id;
	}
	return true;
}

/*
 * Is word w of the page at addr a byte-wise mix of the allowed contents? A
 * device read through one file and a device write through the other do not
 * share a lock: the read may see some bytes of the page's old content and
 * some of the write's (the emulator copies byte by byte), but never a byte
 * that no allowed content has there. The same holds for a CPU fill under
 * the blind policy (see struct hist_ent).
 */
bool byte_mix(uint64_t v, uint64_t addr, unsigned int w,
	      const uint32_t *ids, unsigned int nids)
{
	unsigned int b, k;

	for (b = 0; b < 8; b++) {
		uint8_t got = (uint8_t)(v >> (8 * b));
		bool ok = false;

		for (k = 0; k < nids && !ok; k++)
			ok = (uint8_t)(word_of(ids[k], addr, w) >> (8 * b)) == got;
		if (!ok)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* The model                                                                 */
/* ------------------------------------------------------------------------ */

struct slot slots[NSLOTS_SMALL + 1];
unsigned int nslots;

bool acc_has(const uint32_t *acc, unsigned int n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (acc[i] == id)
			return true;
	return false;
}

void acc_add_h(struct slot *s, size_t p, uint32_t id, int tear)
{
	struct page_m *m = &s->pm[p];

	if (acc_has(m->acc, m->nacc, id))
		return;
	if (m->nacc == MAXACC) {
		violation("model: page %zu of slot %td has too many possible contents",
			  p, s - slots);
		return;
	}
	m->acc[m->nacc++] = id;
	m->hist[m->hhead] = (struct hist_ent){ id, (signed char)tear, s->version };
	m->hhead = (m->hhead + 1) % HIST;
	if (m->hcount < HIST)
		m->hcount++;
}

void acc_add(struct slot *s, size_t p, uint32_t id)
{
	acc_add_h(s, p, id, -1);
}

void acc_del(struct slot *s, size_t p, uint32_t id)
{
	struct page_m *m = &s->pm[p];
	unsigned int i;

	for (i = 0; i < m->nacc; i++)
		if (m->acc[i] == id) {
			m->acc[i] = m->acc[--m->nacc];
			return;
		}
}

void acc_clear(struct slot *s, size_t p)
{
	s->pm[p].nacc = 0;
}

void part_add(struct slot *s, size_t p, uint32_t tag)
{
	struct page_m *m = &s->pm[p];

	if (acc_has(m->part, m->npart, tag))
		return;
	if (m->npart == MAXPART) {
		violation("model: page %zu of slot %td may keep parts of too many failed writes",
			  p, s - slots);
		return;
	}
	m->part[m->npart++] = tag;
	inc(C_PART_FAILS);
}

/*
 * Does word w hold bytes [0, b) of content hi and the rest of content lo,
 * for some 0 < b < 8 (a copy cut short inside the word)?
 */
static bool cut_word(uint64_t v, uint64_t a, unsigned int w, uint32_t hi,
		     uint32_t lo)
{
	uint64_t mask;
	unsigned int b;

	for (b = 1; b < 8; b++) {
		mask = ~0ull >> (64 - 8 * b);	/* the first b bytes */
		if (v == ((word_of(hi, a, w) & mask) | (word_of(lo, a, w) & ~mask)))
			return true;
	}
	return false;
}

/*
 * Is the page at wv (address a) what failed writes may leave: runs of the
 * starts of failed writes (parts, each at most once), then one content of
 * acc to the end; where one run ends, the word may be cut inside. At least
 * one part must show, and the last run must not be a part: a whole page of
 * a failed write's content would mean its copy of that page completed.
 */
bool part_page(const uint64_t *wv, uint64_t a, const uint32_t *parts,
	       unsigned int nparts, const uint32_t *acc,
	       unsigned int nacc)
{
	unsigned int w = 0, k, i;
	uint64_t used = 0;
	uint32_t cur = 0, id, nx;
	bool in_part = false;

	while (w < PAGE_SZ / 8) {
		id = (uint32_t)(wv[w] >> 32);
		if (in_part && wv[w] == word_of(cur, a, w)) {
			w++;
			continue;
		}
		if (wv[w] != word_of(id, a, w)) {
			/* a cut inside word w: from cur to what follows */
			if (!in_part)
				return false;
			nx = w + 1 < PAGE_SZ / 8 ? (uint32_t)(wv[w + 1] >> 32) : 0;
			if (w + 1 < PAGE_SZ / 8) {
				if (!cut_word(wv[w], a, w, cur, nx))
					return false;
			} else {
				for (i = 0; i < nacc && !cut_word(wv[w], a, w, cur, acc[i]); i++)
					;
				return i < nacc;
			}
			w++;
			id = nx;
			if (wv[w] != word_of(id, a, w))
				return false;
		}
		for (k = 0; k < nparts && parts[k] != id; k++)
			;
		if (k < nparts && !(used & (1ull << k)) && id != cur) {
			used |= 1ull << k;
			cur = id;
			in_part = true;
			w++;
			continue;
		}
		/* the last run: one allowed content to the end */
		if (!used || !acc_has(acc, nacc, id))
			return false;
		for (; w < PAGE_SZ / 8; w++)
			if (wv[w] != word_of(id, a, w))
				return false;
		return true;
	}
	return false;
}

/*
 * Nothing can change [first, first + n) now (slot lock held, no mutation,
 * no device write in flight): what the CPU sees there is the content, one
 * whole content per page. This keeps the sets small after writes that raced
 * with mutations.
 */
void settle(struct slot *s, size_t first, size_t n)
{
	unsigned int k, w;
	size_t p;

	for (p = first; p < first + n; p++) {
		const uint64_t *wv = (const uint64_t *)(s->addr + p * PAGE_SZ);
		uint64_t a = (uintptr_t)s->addr + p * PAGE_SZ;
		struct page_m *m = &s->pm[p];
		uint32_t id = (uint32_t)(wv[0] >> 32);

		for (w = 0; w < PAGE_SZ / 8 && wv[w] == word_of(id, a, w); w++)
			;
		if (w < PAGE_SZ / 8 && m->mixed) {
			/* a write met a fill here (blind policy) */
			for (w = 0; w < PAGE_SZ / 8; w++) {
				id = (uint32_t)(wv[w] >> 32);
				if (!(wv[w] == word_of(id, a, w) &&
				      acc_has(m->acc, m->nacc, id)) &&
				    !byte_mix(wv[w], a, w, m->acc, m->nacc))
					break;
			}
			if (w == PAGE_SZ / 8)
				continue;	/* keep the whole set */
			violation("slot %td page %zu word %u holds 0x%016" PRIx64 ", no mix of the contents the model allows there (%u allowed, e.g. %u)",
				  s - slots, p, w, wv[w], m->nacc,
				  m->nacc ? m->acc[0] : 0);
			return;
		}
		if (w < PAGE_SZ / 8 && m->npart &&
		    part_page(wv, a, m->part, m->npart, m->acc, m->nacc)) {
			m->part_kept = true;	/* keeps a failed write's start */
			continue;
		}
		if (w == PAGE_SZ / 8 && m->part_kept) {
			violation("slot %td page %zu kept the start of a failed device write, now it holds id %u whole: the part was lost (never dirtied?)",
				  s - slots, p, id);
			return;
		}
		if (w < PAGE_SZ / 8) {
			violation("slot %td page %zu is not one whole content while nothing changes it: word 0 has id %u, word %u = 0x%016" PRIx64 " (%u allowed, e.g. %u)",
				  s - slots, p, id, w, wv[w], m->nacc,
				  m->nacc ? m->acc[0] : 0);
			return;
		}
		if (!acc_has(m->acc, m->nacc, id)) {
			violation("slot %td page %zu holds id %u, no content the model allows there (%u allowed, e.g. %u)",
				  s - slots, p, id, m->nacc, m->nacc ? m->acc[0] : 0);
			return;
		}
		/* drop what is not there (no history entry: nothing new) */
		m->mixed = false;
		m->npart = 0;
		m->part_kept = false;
		for (k = 0; k < m->nacc;) {
			if (m->acc[k] == id || (m->lazy && !m->acc[k]))
				k++;
			else
				m->acc[k] = m->acc[--m->nacc];
		}
		if (m->lazy)
			acc_add(s, p, 0);
	}
}
