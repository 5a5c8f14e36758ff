/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the software device page table (tm_table.c).
 */
#ifndef _TM_TABLE_H_
#define _TM_TABLE_H_

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/pgtable.h>

/**
 * DOC: The device page table
 *
 * Two levels, like a CPU page table cut at the PMD:
 *
 * - an xarray indexed by (address >> PMD_SHIFT); a slot holds either a
 *   pointer to a leaf (struct tm_leaf, 512 entries of 8 bytes: exactly one
 *   4 KiB page, covering 2 MiB of address space) or a value entry that is
 *   itself one PMD-sized ("huge") device entry;
 * - leaf entries of 8 bytes each: the PFN shifted by PAGE_SHIFT and flag
 *   bits (VALID, WRITE, EXCL) below it. EXCL marks a page the device holds
 *   exclusive (a device atomic, tm_atomic.c); only leaf entries have it,
 *   always with VALID and WRITE, and it goes with the entry: an
 *   invalidation removes both, a downgrade clears WRITE and EXCL.
 *
 * So a mirrored 4 KiB page costs 8 bytes plus the xarray's share (one
 * 576-byte node per 64 leaves, i.e. 128 MiB of address space), and a
 * mirrored 2 MiB huge page costs one xarray slot. An entry is installed huge
 * when hmm_range_fault() reports a mapping order of at least 9 for an
 * aligned, physically contiguous run of 512 pages with one access, all seen
 * by one call (so ``fault_chunk_pages`` below 512 gives no huge entries).
 * The worst case is one page mirrored per 2 MiB: a whole leaf for one page;
 * a leaf is freed as soon as its range is unbound or unmapped.
 *
 * Capacity: the table is made of 2 MiB slots, each a leaf or one huge entry
 * (or, between a prepare and its install, an empty placeholder). Every slot
 * in use counts 512 pages of address space, whatever it holds: the limit
 * (max_slots) bounds the table's memory, and tm_table_prepare() refuses a
 * range that would need more slots before it stores anything.
 *
 * Locking: the table has its lock, the mirror's table lock (see "Locking").
 * tm_table_prepare() allocates and must be called without it; every other
 * function is called with it held and never allocates memory. Only tasks
 * that hold the owner's structural lock (given to tm_table_init()) call
 * prepare, install, trim and put_spares, so a slot that prepare created
 * cannot disappear before the install that follows it, and the spare list
 * needs no other lock. The functions check both with lockdep.
 *
 * A walk of a range (invalidation, downgrade, trim, dump) visits only the
 * slots present, so its cost follows the entries present, not the size of
 * the range. A huge entry partly covered by an invalidation is removed
 * whole; partly covered by a downgrade, it is downgraded whole: the device
 * loses more access than needed, never keeps more.
 */
#define TM_ENT_VALID		BIT_ULL(0)
#define TM_ENT_WRITE		BIT_ULL(1)
#define TM_ENT_EXCL		BIT_ULL(2)
#define TM_ENT_FLAGS		(TM_ENT_VALID | TM_ENT_WRITE | TM_ENT_EXCL)

#define TM_LEAF_SHIFT		PMD_SHIFT
#define TM_LEAF_SIZE		(1UL << TM_LEAF_SHIFT)
#define TM_LEAF_ENTRIES		(TM_LEAF_SIZE >> PAGE_SHIFT)
#define TM_HUGE_ORDER		(PMD_SHIFT - PAGE_SHIFT)
/* Leaves out of the table that the engine may still read, at most. */
#define TM_TABLE_RETIRE		16
/* Most 2 MiB chunks one prepare and install may span: a bit each. */
#define TM_TABLE_MAX_CHUNKS	BITS_PER_LONG

/**
 * struct tm_leaf - 2 MiB worth of 4 KiB device entries
 * @ent: the entries, 0 when absent.
 */
struct tm_leaf {
	u64 ent[TM_LEAF_ENTRIES];
};

/**
 * struct tm_table - one device page table
 * @lock: the table lock.
 * @structural: the owner's structural lock (see "Locking").
 * @xa: top level, see "The device page table".
 * @nr_leaves: leaves allocated.
 * @nr_slots: top-level slots in use (a leaf, a huge entry or a placeholder).
 * @nr_entries: valid entries (a huge entry counts once).
 * @nr_huge: valid huge entries.
 * @nr_excl: valid entries with TM_ENT_EXCL.
 * @max_slots: limit on @nr_slots; tm_table_prepare() fails beyond it.
 * @spare: leaves allocated by tm_table_prepare() for tm_table_install().
 * @nr_spare: leaves on @spare (counted in @nr_leaves too).
 * @retired: leaves taken out of the table, freed once the engine cannot
 *	see them any more (counted in @nr_leaves too).
 * @nr_retired: used entries of @retired.
 * @quiesce: called before a retired leaf is freed, with both locks held:
 *	returns once no engine access that could have found the leaf is in
 *	flight (NULL: the table has no engine).
 * @removed: called, table lock held, after entries of [start, end) were
 *	removed (or, @write_only, lost their write access): returns once no
 *	engine access that read one of them before is in flight (NULL: the
 *	table has no engine).
 */
struct tm_table {
	struct mutex lock;		/* the table lock: see "Locking" */
	struct mutex *structural;	/* the owner's structural lock */
	struct xarray xa;
	unsigned long nr_leaves;
	unsigned long nr_slots;
	unsigned long nr_entries;
	unsigned long nr_huge;
	unsigned long nr_excl;
	unsigned long max_slots;
	void *spare;
	unsigned long nr_spare;
	struct tm_leaf *retired[TM_TABLE_RETIRE];
	unsigned int nr_retired;
	void (*quiesce)(struct tm_table *t);
	void (*removed)(struct tm_table *t, unsigned long start,
			unsigned long end, bool write_only);
};

/**
 * struct tm_entry - a looked-up device entry
 * @pfn: page frame of the 4 KiB page asked for.
 * @flags: TM_ENT_* bits; 0 when there is no entry.
 * @huge: the entry is a huge (PMD-sized) one.
 */
struct tm_entry {
	unsigned long pfn;
	u64 flags;
	bool huge;
};

void tm_table_init(struct tm_table *t, struct mutex *structural,
		   unsigned long max_slots);
void tm_table_fini(struct tm_table *t);
void tm_table_put_spares(struct tm_table *t);
int tm_table_prepare(struct tm_table *t, unsigned long start,
		     unsigned long end, const unsigned long *hmm_pfns,
		     unsigned long *huge);
void tm_table_lookup(struct tm_table *t, unsigned long addr,
		     struct tm_entry *e);
unsigned long tm_table_lookup_run(struct tm_table *t, unsigned long addr,
				  unsigned long end, u64 need, unsigned long *pfn);
u64 tm_table_peek(struct tm_table *t, unsigned long addr, unsigned long *pfn);
unsigned long tm_table_install(struct tm_table *t, unsigned long start,
			       unsigned long end, const unsigned long *hmm_pfns,
			       unsigned long huge);
unsigned long tm_table_invalidate(struct tm_table *t, unsigned long start,
				  unsigned long end);
void tm_table_repoint(struct tm_table *t, unsigned long addr,
		      unsigned long old_pfn, unsigned long new_pfn,
		      unsigned long nr);
unsigned long tm_table_downgrade(struct tm_table *t, unsigned long start,
				 unsigned long end);
bool tm_table_set_exclusive(struct tm_table *t, unsigned long addr,
			    unsigned long pfn);
unsigned long tm_table_count_exclusive(struct tm_table *t, unsigned long start,
				       unsigned long end);
struct seq_file;
void tm_table_dump(struct tm_table *t, struct seq_file *s,
		   unsigned long start, unsigned long end);
void tm_table_trim(struct tm_table *t, unsigned long start, unsigned long end);

#endif /* _TM_TABLE_H_ */
