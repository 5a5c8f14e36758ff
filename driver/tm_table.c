// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the software device page table. See tm_table.h ("The device
 * page table") for the layout and the locking rules.
 */

#include <linux/hmm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "tm_table.h"

/*
 * A huge entry lives in the xarray as a value entry holding the same bits a
 * leaf entry would (PFN << PAGE_SHIFT | flags). Value 0 is a placeholder that
 * keeps a slot allocated while no huge entry is valid there, so that later
 * stores into the slot never need memory.
 */
#define TM_HUGE_EMPTY		xa_mk_value(0)

static inline unsigned long tm_idx(unsigned long addr)
{
	return addr >> TM_LEAF_SHIFT;
}

static inline unsigned int tm_slot(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) & (TM_LEAF_ENTRIES - 1);
}

static inline u64 tm_mk_ent(unsigned long pfn, u64 flags)
{
	return ((u64)pfn << PAGE_SHIFT) | flags;
}

static inline unsigned long tm_ent_pfn(u64 ent)
{
	return ent >> PAGE_SHIFT;
}

static u64 tm_hmm_to_ent(unsigned long hmm_pfn)
{
	if (!(hmm_pfn & HMM_PFN_VALID) || (hmm_pfn & HMM_PFN_ERROR))
		return 0;
	return tm_mk_ent(page_to_pfn(hmm_pfn_to_page(hmm_pfn)),
			 TM_ENT_VALID |
			 ((hmm_pfn & HMM_PFN_WRITE) ? TM_ENT_WRITE : 0));
}

/*
 * The spare list holds leaves that tm_table_prepare() allocated for slots it
 * could not fill without the table lock (a slot holding a huge entry).
 * tm_table_install() takes them from here. The list is threaded through the
 * first entry of each spare leaf.
 */
struct tm_spare {
	struct tm_spare *next;
};

static struct tm_spare *tm_spares(struct tm_table *t)
{
	return (struct tm_spare *)t->spare;
}

static void tm_spare_push(struct tm_table *t, struct tm_leaf *leaf)
{
	struct tm_spare *s = (struct tm_spare *)leaf;

	s->next = tm_spares(t);
	t->spare = s;
	t->nr_spare++;
}

static struct tm_leaf *tm_spare_pop(struct tm_table *t)
{
	struct tm_spare *s = tm_spares(t);

	if (!s)
		return NULL;
	t->spare = s->next;
	t->nr_spare--;
	memset(s, 0, sizeof(struct tm_leaf));
	return (struct tm_leaf *)s;
}

static void tm_spare_free(struct tm_table *t)
{
	struct tm_spare *s;

	while ((s = tm_spares(t))) {
		t->spare = s->next;
		t->nr_spare--;
		t->nr_leaves--;
		kfree(s);
	}
}

/* Free the retired leaves, after the engine's last look at them. */
static void tm_table_reap(struct tm_table *t)
{
	lockdep_assert_held(t->structural);
	lockdep_assert_held(&t->lock);
	if (!t->nr_retired)
		return;
	if (t->quiesce)
		t->quiesce(t);
	while (t->nr_retired) {
		kfree(t->retired[--t->nr_retired]);
		t->nr_leaves--;
	}
}

/*
 * A leaf taken out of the xarray (trim, or a huge entry installed over it)
 * may still be read by the engine, which walks the table without the table
 * lock ("The engine's view of the table"). It is kept, untouched, on the
 * retired array and freed by tm_table_reap() once the engine has let go of
 * it; a full array is reaped at once.
 */
static void tm_leaf_retire(struct tm_table *t, struct tm_leaf *leaf)
{
	if (t->nr_retired == ARRAY_SIZE(t->retired))
		tm_table_reap(t);
	t->retired[t->nr_retired++] = leaf;
}

/**
 * tm_table_put_spares - free the leaves prepared but not used
 * @t: the table; structural lock held, table lock not held
 *
 * Spares are only used by tm_table_install(), which runs under the
 * structural lock too. Also frees the leaves install replaced with huge
 * entries, once the engine let go of them (taking the table lock).
 */
void tm_table_put_spares(struct tm_table *t)
{
	lockdep_assert_held(t->structural);
	tm_spare_free(t);
	if (t->nr_retired) {
		mutex_lock(&t->lock);
		tm_table_reap(t);
		mutex_unlock(&t->lock);
	}
}

/**
 * tm_table_init - set up an empty table
 * @t: the table
 * @structural: the owner's structural lock
 * @max_slots: most 2 MiB slots the table may use (see tm_table.h)
 */
void tm_table_init(struct tm_table *t, struct mutex *structural,
		   unsigned long max_slots)
{
	mutex_init(&t->lock);
	t->structural = structural;
	xa_init_flags(&t->xa, XA_FLAGS_ACCOUNT);
	t->nr_leaves = 0;
	t->nr_slots = 0;
	t->nr_entries = 0;
	t->nr_huge = 0;
	t->nr_excl = 0;
	t->max_slots = max_slots;
	t->spare = NULL;
	t->nr_spare = 0;
	t->nr_retired = 0;
	t->quiesce = NULL;
	t->removed = NULL;
}

/**
 * tm_table_fini - free every leaf and the top level
 * @t: the table; nothing may use it any more
 */
void tm_table_fini(struct tm_table *t)
{
	unsigned long idx;
	void *slot;

	xa_for_each(&t->xa, idx, slot) {
		if (!xa_is_value(slot))
			kfree(slot);
	}
	xa_destroy(&t->xa);
	tm_spare_free(t);
	while (t->nr_retired)
		kfree(t->retired[--t->nr_retired]);
	t->nr_leaves = 0;
	t->nr_slots = 0;
	t->nr_entries = 0;
	t->nr_huge = 0;
	t->nr_excl = 0;
	mutex_destroy(&t->lock);
}

/*
 * Can the 2 MiB chunk at @chunk be one huge device entry? Only when the
 * whole chunk was faulted, the CPU maps it with a PMD (or larger) mapping,
 * and the 512 pages are one aligned, physically contiguous run with the same
 * access. hmm_range_fault() reports the pages of one mapping with the same
 * flags and consecutive frames, and keeps its flags above the frame number,
 * so each entry of such a run is the first plus its index: one comparison
 * per page, no conversion. Decided once per chunk, by tm_table_prepare().
 */
static bool tm_chunk_is_huge(unsigned long chunk, unsigned long start,
			     unsigned long end, const unsigned long *hmm_pfns)
{
	const unsigned long *p;
	unsigned int i;
	u64 first;

	if (chunk < start || chunk + TM_LEAF_SIZE > end)
		return false;
	p = hmm_pfns + ((chunk - start) >> PAGE_SHIFT);
	if (hmm_pfn_to_map_order(p[0]) < TM_HUGE_ORDER)
		return false;
	first = tm_hmm_to_ent(p[0]);
	if (!first || !IS_ALIGNED(tm_ent_pfn(first), TM_LEAF_ENTRIES))
		return false;
	for (i = 1; i < TM_LEAF_ENTRIES; i++)
		if (p[i] != p[0] + i)
			return false;
	return true;
}

/* Slots that installing [start, end) would add to the table. */
static unsigned long tm_slots_needed(struct tm_table *t, unsigned long start,
				     unsigned long end)
{
	unsigned long chunk, n = 0;

	for (chunk = ALIGN_DOWN(start, TM_LEAF_SIZE); chunk < end;
	     chunk += TM_LEAF_SIZE)
		n += !xa_load(&t->xa, tm_idx(chunk));
	return n;
}

/**
 * tm_table_prepare - allocate what installing a faulted range will need
 * @t: the table
 * @start: first address of the range
 * @end: end of the range (exclusive)
 * @hmm_pfns: hmm_range_fault() output for the range
 * @huge: out: bit k is set when the k-th 2 MiB chunk from the one holding
 *	@start is to be one huge entry; for tm_table_install() of the same
 *	range and output, so that no chunk is examined twice
 *
 * Called without the table lock, by the holder of the structural lock, after
 * hmm_range_fault() and before the install under the table lock: the
 * allocations here may enter reclaim, which may invalidate this very mirror.
 * Every 2 MiB chunk of the range gets a slot: a leaf, or an empty
 * placeholder where the chunk will be one huge entry. Slots and leaves
 * prepared for an install that does not happen stay empty; tm_table_trim()
 * frees them.
 *
 * Return: 0, -ENOMEM, -ENOSPC when the range needs more slots than the
 * table's limit leaves (checked before anything is stored), or -EINVAL for
 * a range of more than TM_TABLE_MAX_CHUNKS chunks.
 */
int tm_table_prepare(struct tm_table *t, unsigned long start,
		     unsigned long end, const unsigned long *hmm_pfns,
		     unsigned long *huge)
{
	unsigned long chunk, k, spares_needed = 0;
	struct tm_leaf *leaf;
	void *slot;
	int ret;

	lockdep_assert_held(t->structural);
	lockdep_assert_not_held(&t->lock);
	*huge = 0;
	if (WARN_ON_ONCE(tm_idx(end - 1) - tm_idx(start) >= TM_TABLE_MAX_CHUNKS))
		return -EINVAL;
	if (t->nr_slots + tm_slots_needed(t, start, end) > t->max_slots)
		return -ENOSPC;
	for (chunk = ALIGN_DOWN(start, TM_LEAF_SIZE), k = 0; chunk < end;
	     chunk += TM_LEAF_SIZE, k++) {
		slot = xa_load(&t->xa, tm_idx(chunk));
		if (tm_chunk_is_huge(chunk, start, end, hmm_pfns)) {
			*huge |= BIT(k);
			if (slot)
				continue;
			/*
			 * An empty placeholder: invalidations skip it, and the
			 * install stores the huge entry there without memory.
			 */
			ret = xa_err(xa_store(&t->xa, tm_idx(chunk),
					      TM_HUGE_EMPTY, GFP_KERNEL_ACCOUNT));
			if (ret)
				return ret;
			t->nr_slots++;
			continue;
		}
		if (slot && !xa_is_value(slot))
			continue;	/* a leaf is there already */
		if (slot && ++spares_needed <= t->nr_spare)
			continue;	/* a spare from an earlier round will do */
		leaf = kzalloc_obj(*leaf, GFP_KERNEL_ACCOUNT);
		if (!leaf)
			return -ENOMEM;
		t->nr_leaves++;
		if (slot) {
			/* A huge entry is there: swap under the table lock. */
			tm_spare_push(t, leaf);
			continue;
		}
		/*
		 * The slot is empty, which invalidations never touch, and an
		 * empty leaf is harmless to them: publish it without the
		 * table lock.
		 */
		ret = xa_err(xa_store(&t->xa, tm_idx(chunk), leaf,
				      GFP_KERNEL_ACCOUNT));
		if (ret) {
			t->nr_leaves--;
			kfree(leaf);
			return ret;
		}
		t->nr_slots++;
	}
	return 0;
}

/**
 * tm_table_lookup - read the entry that maps one address
 * @t: the table, table lock held
 * @addr: the address
 * @e: out: the entry; e->flags is 0 when there is none
 */
void tm_table_lookup(struct tm_table *t, unsigned long addr, struct tm_entry *e)
{
	void *slot = xa_load(&t->xa, tm_idx(addr));
	u64 ent = 0;

	lockdep_assert_held(&t->lock);
	e->huge = false;
	if (slot && xa_is_value(slot)) {
		ent = xa_to_value(slot);
		if (ent) {
			ent += (u64)tm_slot(addr) << PAGE_SHIFT;
			e->huge = true;
		}
	} else if (slot) {
		ent = ((struct tm_leaf *)slot)->ent[tm_slot(addr)];
	}
	e->flags = ent & TM_ENT_FLAGS;
	e->pfn = tm_ent_pfn(ent);
}

/**
 * tm_table_lookup_run - the entry that maps an address, and the run it starts
 * @t: the table, table lock held
 * @addr: the address
 * @end: end (exclusive) of the run wanted, above @addr
 * @need: TM_ENT_* bits the entries of the run must have
 * @pfn: out: page frame of the page at @addr
 *
 * The run is the pages from @addr on, before @end and in the 2 MiB slot of
 * @addr, whose entries have @need and map consecutive page frames with the
 * same access: the rest of a huge entry, or leaf entries that happen to be
 * consecutive. One lookup serves it all, and the pages can be copied in one
 * go.
 *
 * Return: the pages of the run; 0 if the entry at @addr lacks a bit of
 * @need (or there is none).
 */
unsigned long tm_table_lookup_run(struct tm_table *t, unsigned long addr,
				  unsigned long end, u64 need, unsigned long *pfn)
{
	void *slot = xa_load(&t->xa, tm_idx(addr));
	unsigned int i = tm_slot(addr);
	unsigned long n, k;
	const u64 *ent;
	u64 first;

	lockdep_assert_held(&t->lock);
	need |= TM_ENT_VALID;
	n = min_t(unsigned long, TM_LEAF_ENTRIES - i, (end - addr) >> PAGE_SHIFT);
	if (!slot || !n)
		return 0;
	if (xa_is_value(slot)) {
		first = xa_to_value(slot);
		if ((first & need) != need)
			return 0;
		*pfn = tm_ent_pfn(first) + i;
		return n;
	}
	ent = &((struct tm_leaf *)slot)->ent[i];
	first = ent[0];
	if ((first & need) != need)
		return 0;
	*pfn = tm_ent_pfn(first);
	for (k = 1; k < n && ent[k] == first + ((u64)k << PAGE_SHIFT); k++)
		;
	return k;
}

/**
 * tm_table_peek - the engine's lookup of one page, without the table lock
 * @t: the table
 * @addr: the address
 * @pfn: out: page frame of the page at @addr, when there is an entry
 *
 * See "The engine's view of the table": call it inside an engine access
 * (the caller keeps the leaf it reads from being freed until the access
 * ends), never under the table lock.
 *
 * Return: the entry's TM_ENT_* bits, 0 when there is none.
 */
u64 tm_table_peek(struct tm_table *t, unsigned long addr, unsigned long *pfn)
{
	void *slot = xa_load(&t->xa, tm_idx(addr));
	u64 ent;

	if (!slot)
		return 0;
	if (xa_is_value(slot)) {
		ent = xa_to_value(slot);
		if (ent)
			ent += (u64)tm_slot(addr) << PAGE_SHIFT;
	} else {
		ent = READ_ONCE(((struct tm_leaf *)slot)->ent[tm_slot(addr)]);
	}
	*pfn = tm_ent_pfn(ent);
	return ent & TM_ENT_FLAGS;
}

/* Drop a valid huge entry from the counters; the caller rewrites the slot. */
static void tm_huge_gone(struct tm_table *t)
{
	t->nr_entries--;
	t->nr_huge--;
}

static unsigned long tm_leaf_count(const struct tm_leaf *leaf, u64 bit)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < TM_LEAF_ENTRIES; i++)
		n += !!(leaf->ent[i] & bit);
	return n;
}

/**
 * tm_table_install - record a faulted range in the table
 * @t: the table, table lock held
 * @start: first address
 * @end: end (exclusive)
 * @hmm_pfns: hmm_range_fault() output for the range, still valid (the
 *	caller checked mmu_interval_read_retry() under the same lock)
 * @huge: the chunks to install as huge entries, as tm_table_prepare() of
 *	the same range and output reported them
 *
 * Never allocates: tm_table_prepare() did, with the same arguments.
 *
 * Return: pages installed (a huge entry counts its 512 pages).
 */
unsigned long tm_table_install(struct tm_table *t, unsigned long start,
			       unsigned long end, const unsigned long *hmm_pfns,
			       unsigned long huge)
{
	unsigned long chunk, k, addr, lo, hi, done = 0;
	struct tm_leaf *leaf;
	void *slot;
	u64 ent;

	lockdep_assert_held(t->structural);
	lockdep_assert_held(&t->lock);
	for (chunk = ALIGN_DOWN(start, TM_LEAF_SIZE), k = 0; chunk < end;
	     chunk += TM_LEAF_SIZE, k++) {
		slot = xa_load(&t->xa, tm_idx(chunk));
		if (huge & BIT(k)) {
			if (!slot)
				continue;	/* not prepared: refault later */
			ent = tm_hmm_to_ent(hmm_pfns[(chunk - start) >> PAGE_SHIFT]);
			if (!xa_is_value(slot)) {
				t->nr_entries -= tm_leaf_count(slot, TM_ENT_VALID);
				t->nr_excl -= tm_leaf_count(slot, TM_ENT_EXCL);
			} else if (xa_to_value(slot)) {
				tm_huge_gone(t);
			}
			/* The slot exists: storing into it needs no memory. */
			xa_store(&t->xa, tm_idx(chunk), xa_mk_value(ent), GFP_NOWAIT);
			if (!xa_is_value(slot))
				tm_leaf_retire(t, slot);
			t->nr_entries++;
			t->nr_huge++;
			done += TM_LEAF_ENTRIES;
			continue;
		}
		if (!slot)
			continue;	/* not prepared: refault later */
		if (xa_is_value(slot)) {
			leaf = tm_spare_pop(t);
			if (!leaf)
				continue;	/* not prepared: refault later */
			if (xa_to_value(slot))
				tm_huge_gone(t);
			xa_store(&t->xa, tm_idx(chunk), leaf, GFP_NOWAIT);
			slot = leaf;
		}
		leaf = slot;
		lo = max(chunk, start);
		hi = min(chunk + TM_LEAF_SIZE, end);
		for (addr = lo; addr < hi; addr += PAGE_SIZE) {
			ent = tm_hmm_to_ent(hmm_pfns[(addr - start) >> PAGE_SHIFT]);
			if (!ent)
				continue;
			if (!(leaf->ent[tm_slot(addr)] & TM_ENT_VALID))
				t->nr_entries++;
			if (leaf->ent[tm_slot(addr)] & TM_ENT_EXCL)
				t->nr_excl--;
			WRITE_ONCE(leaf->ent[tm_slot(addr)], ent);
			done++;
		}
	}
	return done;
}

/*
 * Walk the slots present in [start, end). For a leaf, @leaf_fn changes the
 * entries of [lo, hi); for a huge entry, @huge_fn gets its value and returns
 * the new one. A huge entry only partly inside the range is treated whole:
 * removing or downgrading more than asked is always safe.
 */
static unsigned long tm_table_walk(struct tm_table *t, unsigned long start,
				   unsigned long end, u64 clear)
{
	unsigned long idx, addr, lo, hi, n = 0;
	bool wide = false;
	struct tm_leaf *leaf;
	void *slot;
	u64 ent, *p;

	lockdep_assert_held(&t->lock);
	if (start >= end)
		return 0;
	xa_for_each_range(&t->xa, idx, slot, tm_idx(start), tm_idx(end - 1)) {
		if (xa_is_value(slot)) {
			ent = xa_to_value(slot);
			if (!(ent & clear))
				continue;
			wide = true;
			if (clear & TM_ENT_VALID) {
				tm_huge_gone(t);
				ent = 0;
			} else {
				ent &= ~clear;
			}
			xa_store(&t->xa, idx, xa_mk_value(ent), GFP_NOWAIT);
			n++;
			continue;
		}
		leaf = slot;
		lo = max(start, idx << TM_LEAF_SHIFT);
		hi = min(end - 1, (idx << TM_LEAF_SHIFT) + TM_LEAF_SIZE - 1);
		for (addr = lo; addr <= hi; addr += PAGE_SIZE) {
			p = &leaf->ent[tm_slot(addr)];
			if (!(*p & clear))
				continue;
			if (*p & TM_ENT_EXCL)
				t->nr_excl--;
			if (clear & TM_ENT_VALID) {
				WRITE_ONCE(*p, 0);
				t->nr_entries--;
			} else {
				WRITE_ONCE(*p, *p & ~clear);
			}
			n++;
		}
	}
	if (n && t->removed) {
		if (wide) {	/* a huge entry went whole */
			start = ALIGN_DOWN(start, TM_LEAF_SIZE);
			end = ALIGN(end, TM_LEAF_SIZE);
		}
		t->removed(t, start, end, !(clear & TM_ENT_VALID));
	}
	return n;
}

/**
 * tm_table_invalidate - remove the entries of a range
 * @t: the table, table lock held
 * @start: first address
 * @end: end (exclusive)
 *
 * A huge entry that overlaps the range is removed whole.
 *
 * Return: entries removed.
 */
unsigned long tm_table_invalidate(struct tm_table *t, unsigned long start,
				  unsigned long end)
{
	return tm_table_walk(t, start, end, TM_ENT_FLAGS);
}

/**
 * tm_table_downgrade - make the entries of a range read-only
 * @t: the table, table lock held
 * @start: first address
 * @end: end (exclusive)
 *
 * A huge entry that overlaps the range is downgraded whole. An exclusive
 * entry stops being exclusive: the CPU has changed the page's PTE.
 *
 * Return: entries that lost write access.
 */
unsigned long tm_table_downgrade(struct tm_table *t, unsigned long start,
				 unsigned long end)
{
	return tm_table_walk(t, start, end, TM_ENT_WRITE | TM_ENT_EXCL);
}

/**
 * tm_table_set_exclusive - record that the device holds a page exclusive
 * @t: the table, table lock and structural lock held
 * @addr: the page's address
 * @pfn: the page, which the CPU page table maps at @addr through a
 *	device-exclusive entry taken by this mirror
 *
 * The entry becomes VALID | WRITE | EXCL for @pfn, whatever it was. Needs
 * the 4 KiB leaf of @addr to be there (tm_table_prepare() of the page, or
 * a fault that installed it); never allocates.
 *
 * Return: false if there is no leaf for @addr (nothing changed).
 */
bool tm_table_set_exclusive(struct tm_table *t, unsigned long addr,
			    unsigned long pfn)
{
	void *slot = xa_load(&t->xa, tm_idx(addr));
	u64 *p;

	lockdep_assert_held(t->structural);
	lockdep_assert_held(&t->lock);
	if (!slot || xa_is_value(slot))
		return false;
	p = &((struct tm_leaf *)slot)->ent[tm_slot(addr)];
	if (!(*p & TM_ENT_VALID))
		t->nr_entries++;
	if (!(*p & TM_ENT_EXCL))
		t->nr_excl++;
	WRITE_ONCE(*p, tm_mk_ent(pfn, TM_ENT_FLAGS));
	return true;
}

/**
 * tm_table_count_exclusive - exclusive entries of a range
 * @t: the table, table lock held
 * @start: first address
 * @end: end (exclusive)
 *
 * Visits only the slots present; huge entries are never exclusive.
 *
 * Return: the number of entries with TM_ENT_EXCL in [@start, @end).
 */
unsigned long tm_table_count_exclusive(struct tm_table *t, unsigned long start,
				       unsigned long end)
{
	unsigned long idx, addr, lo, hi, n = 0;
	void *slot;

	lockdep_assert_held(&t->lock);
	if (start >= end || !t->nr_excl)
		return 0;
	xa_for_each_range(&t->xa, idx, slot, tm_idx(start), tm_idx(end - 1)) {
		if (xa_is_value(slot))
			continue;
		lo = max(start, idx << TM_LEAF_SHIFT);
		hi = min(end - 1, (idx << TM_LEAF_SHIFT) + TM_LEAF_SIZE - 1);
		for (addr = lo; addr <= hi; addr += PAGE_SIZE)
			n += !!(((struct tm_leaf *)slot)->ent[tm_slot(addr)] &
				TM_ENT_EXCL);
	}
	return n;
}

/**
 * tm_table_repoint - move entries to new pages (device migration)
 * @t: the table, table lock held
 * @addr: the first address
 * @old_pfn: the page the entry of @addr must point at now
 * @new_pfn: the page it points at afterwards, with the same access
 * @nr: pages: 1, or a whole 2 MiB block (@addr aligned) that moved as one
 *	folio, the pages following @old_pfn and @new_pfn with it
 *
 * An entry pointing elsewhere is left alone. A huge entry follows a block
 * that moved whole; a huge entry covering a page that moved alone is removed
 * (the kernel split the folio before moving its pages).
 */
void tm_table_repoint(struct tm_table *t, unsigned long addr,
		      unsigned long old_pfn, unsigned long new_pfn,
		      unsigned long nr)
{
	void *slot = xa_load(&t->xa, tm_idx(addr));
	unsigned long i;
	u64 *p;

	lockdep_assert_held(&t->lock);
	if (!slot)
		return;
	if (xa_is_value(slot)) {
		u64 ent = xa_to_value(slot);

		if (nr == TM_LEAF_ENTRIES && (ent & TM_ENT_VALID) &&
		    tm_ent_pfn(ent) == old_pfn)
			/* replaces a present value: needs no memory */
			xa_store(&t->xa, tm_idx(addr),
				 xa_mk_value(tm_mk_ent(new_pfn, ent & TM_ENT_FLAGS)),
				 GFP_NOWAIT);
		else
			tm_table_invalidate(t, addr, addr + nr * PAGE_SIZE);
		return;
	}
	for (i = 0; i < nr; i++) {
		p = &((struct tm_leaf *)slot)->ent[tm_slot(addr) + i];
		if (*p & TM_ENT_EXCL) {
			/* not the page the device holds any more */
			tm_table_invalidate(t, addr + i * PAGE_SIZE,
					    addr + (i + 1) * PAGE_SIZE);
			continue;
		}
		if ((*p & TM_ENT_VALID) && tm_ent_pfn(*p) == old_pfn + i)
			WRITE_ONCE(*p, tm_mk_ent(new_pfn + i, *p & TM_ENT_FLAGS));
	}
}

/**
 * tm_table_trim - free the empty leaves and placeholders of a range
 * @t: the table, table lock and structural lock held
 * @start: first address
 * @end: end (exclusive)
 *
 * Every slot that overlaps the range and holds no valid entry is freed, also
 * one the range covers only in part: emptiness is what matters, and with the
 * structural lock held no tm_table_prepare() can be counting on the slot.
 * Frees memory, never allocates.
 */
void tm_table_trim(struct tm_table *t, unsigned long start, unsigned long end)
{
	unsigned long idx;
	void *slot;

	lockdep_assert_held(t->structural);
	lockdep_assert_held(&t->lock);
	if (start >= end)
		return;
	xa_for_each_range(&t->xa, idx, slot, tm_idx(start), tm_idx(end - 1)) {
		if (xa_is_value(slot)) {
			if (xa_to_value(slot))
				continue;
		} else if (tm_leaf_count(slot, TM_ENT_VALID)) {
			continue;
		} else {
			xa_erase(&t->xa, idx);
			tm_leaf_retire(t, slot);
			t->nr_slots--;
			continue;
		}
		xa_erase(&t->xa, idx);
		t->nr_slots--;
	}
	tm_table_reap(t);
}

static const char *tm_state_name(const struct tm_entry *e)
{
	if (!(e->flags & TM_ENT_VALID))
		return NULL;
	if (e->huge)
		return (e->flags & TM_ENT_WRITE) ? "huge-write" : "huge-read";
	if (e->flags & TM_ENT_EXCL)
		return "write-exclusive";
	return (e->flags & TM_ENT_WRITE) ? "write" : "read";
}

/**
 * tm_table_dump - print the entries of a range as runs of one state
 * @t: the table, table lock held
 * @s: where to print
 * @start: first address
 * @end: end (exclusive)
 *
 * Visits only the slots present. Prints no physical address.
 */
void tm_table_dump(struct tm_table *t, struct seq_file *s,
		   unsigned long start, unsigned long end)
{
	unsigned long idx, addr, lo, hi, run_start = 0, run_end = 0;
	const char *state, *run_state = NULL;
	struct tm_entry e;
	void *slot;

	if (start >= end)
		return;
	xa_for_each_range(&t->xa, idx, slot, tm_idx(start), tm_idx(end - 1)) {
		lo = max(start, idx << TM_LEAF_SHIFT);
		hi = min(end - 1, (idx << TM_LEAF_SHIFT) + TM_LEAF_SIZE - 1);
		for (addr = lo; addr <= hi; addr += PAGE_SIZE) {
			tm_table_lookup(t, addr, &e);
			state = tm_state_name(&e);
			if (run_state && (state != run_state || addr != run_end)) {
				seq_printf(s, "    0x%lx-0x%lx %s (%lu pages)\n",
					   run_start, run_end, run_state,
					   (run_end - run_start) >> PAGE_SHIFT);
				run_state = NULL;
			}
			if (!state)
				continue;
			if (!run_state) {
				run_state = state;
				run_start = addr;
			}
			run_end = addr + PAGE_SIZE;
		}
	}
	if (run_state)
		seq_printf(s, "    0x%lx-0x%lx %s (%lu pages)\n", run_start,
			   run_end, run_state, (run_end - run_start) >> PAGE_SHIFT);
}
