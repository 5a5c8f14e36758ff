// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: KUnit tests of the pure parts of the driver.
 *
 * The device table (tm_table.c), cut arrays (tm_cuts.c) and the event
 * policy (tm_policy.c) are data structures and decisions that need no
 * process, no notifier and no device: these suites check them one
 * behaviour per case, with made-up page frames that are never touched.
 * They are built, as test_mirror_kunit.ko, only for a kernel with
 * CONFIG_KUNIT (the debug lane's), which compiles the files under test into
 * this module itself: test_mirror.ko is the same with or without them.
 */

#include <kunit/test.h>
#include <linux/hmm.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>

#include "tm_cuts.c"
#include "tm_policy.c"
#include "tm_table.c"

/* ---------------------------------------------------------------------- */
/* The device table                                                       */

#define KT_BASE		(16UL << 30)	/* a 2 MiB aligned address */
#define KT_PFN		0x40000UL	/* a 2 MiB aligned page frame */
#define KT_PAGES	TM_LEAF_ENTRIES

/* One table and the structural lock its owner would hold. */
struct kt_table {
	struct mutex structural;	/* what tm_mirror.lock is to a mirror */
	struct tm_table t;
	unsigned long pfns[2 * KT_PAGES];
};

static struct kt_table *kt_table_new(struct kunit *test, unsigned long slots)
{
	struct kt_table *kt = kunit_kzalloc(test, sizeof(*kt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, kt);
	mutex_init(&kt->structural);
	tm_table_init(&kt->t, &kt->structural, slots);
	return kt;
}

static void kt_table_free(struct kt_table *kt)
{
	tm_table_fini(&kt->t);
	mutex_destroy(&kt->structural);
}

/* hmm_range_fault() output for one page: @pfn, @write, mapped at @order. */
static unsigned long kt_hmm(unsigned long pfn, bool write, unsigned int order)
{
	return pfn | HMM_PFN_VALID | (write ? HMM_PFN_WRITE : 0) |
	       ((unsigned long)order << HMM_PFN_ORDER_SHIFT);
}

/* Fault [start, start + n pages) of @kt->pfns in, as tm_fault() does. */
static int kt_fault(struct kt_table *kt, unsigned long start, unsigned long n,
		    unsigned long *installed)
{
	unsigned long huge;
	int ret;

	mutex_lock(&kt->structural);
	ret = tm_table_prepare(&kt->t, start, start + n * PAGE_SIZE, kt->pfns,
			       &huge);
	if (!ret) {
		mutex_lock(&kt->t.lock);
		*installed = tm_table_install(&kt->t, start, start + n * PAGE_SIZE,
					      kt->pfns, huge);
		mutex_unlock(&kt->t.lock);
	}
	tm_table_put_spares(&kt->t);
	mutex_unlock(&kt->structural);
	return ret;
}

/* One huge entry at KT_BASE over KT_PFN on, writable or not. */
static void kt_install_huge(struct kunit *test, struct kt_table *kt,
			    bool write)
{
	unsigned long installed, i;

	for (i = 0; i < KT_PAGES; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i, write, TM_HUGE_ORDER);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, KT_PAGES, &installed), 0);
	KUNIT_ASSERT_EQ(test, kt->t.nr_huge, 1);
}

static void kt_lookup(struct kt_table *kt, unsigned long addr,
		      struct tm_entry *e)
{
	mutex_lock(&kt->t.lock);
	tm_table_lookup(&kt->t, addr, e);
	mutex_unlock(&kt->t.lock);
}

static void kt_trim(struct kt_table *kt, unsigned long start, unsigned long end)
{
	mutex_lock(&kt->structural);
	mutex_lock(&kt->t.lock);
	tm_table_trim(&kt->t, start, end);
	mutex_unlock(&kt->t.lock);
	mutex_unlock(&kt->structural);
}

static void table_install_lookup(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed = 0, i;
	struct tm_entry e;

	for (i = 0; i < 4; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + 7 + i, i != 2, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE + PAGE_SIZE, 4, &installed), 0);
	KUNIT_EXPECT_EQ(test, installed, 4);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 4);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 0);
	kt_lookup(kt, KT_BASE + 3 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN + 9);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID);
	KUNIT_EXPECT_FALSE(test, e.huge);
	kt_lookup(kt, KT_BASE + 2 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID | TM_ENT_WRITE);
	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, 0);
	kt_table_free(kt);
}

static void table_downgrade_invalidate_trim(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed, i, n;
	struct tm_entry e;

	for (i = 0; i < 8; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i, true, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, 8, &installed), 0);
	mutex_lock(&kt->t.lock);
	n = tm_table_downgrade(&kt->t, KT_BASE + 2 * PAGE_SIZE,
			       KT_BASE + 5 * PAGE_SIZE);
	mutex_unlock(&kt->t.lock);
	KUNIT_EXPECT_EQ(test, n, 3);
	kt_lookup(kt, KT_BASE + 4 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID);
	kt_lookup(kt, KT_BASE + 5 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID | TM_ENT_WRITE);

	mutex_lock(&kt->t.lock);
	n = tm_table_invalidate(&kt->t, KT_BASE, KT_BASE + 6 * PAGE_SIZE);
	mutex_unlock(&kt->t.lock);
	KUNIT_EXPECT_EQ(test, n, 6);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 2);
	/* a leaf with entries stays; an empty one goes */
	kt_trim(kt, KT_BASE, KT_BASE + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 1);
	mutex_lock(&kt->t.lock);
	tm_table_invalidate(&kt->t, KT_BASE, KT_BASE + TM_LEAF_SIZE);
	mutex_unlock(&kt->t.lock);
	kt_trim(kt, KT_BASE, KT_BASE + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 0);
	kt_table_free(kt);
}

static void table_huge_entry(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed, i, n;
	struct tm_entry e;

	for (i = 0; i < KT_PAGES; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i, true, TM_HUGE_ORDER);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, KT_PAGES, &installed), 0);
	KUNIT_EXPECT_EQ(test, installed, KT_PAGES);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 1);
	kt_lookup(kt, KT_BASE + 77 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN + 77);
	KUNIT_EXPECT_TRUE(test, e.huge);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID | TM_ENT_WRITE);

	/* a downgrade of one page downgrades the whole huge entry */
	mutex_lock(&kt->t.lock);
	n = tm_table_downgrade(&kt->t, KT_BASE, KT_BASE + PAGE_SIZE);
	mutex_unlock(&kt->t.lock);
	KUNIT_EXPECT_EQ(test, n, 1);
	kt_lookup(kt, KT_BASE + 300 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID);

	/* an invalidation of one page removes it whole; the slot stays */
	mutex_lock(&kt->t.lock);
	n = tm_table_invalidate(&kt->t, KT_BASE + 511 * PAGE_SIZE,
				KT_BASE + TM_LEAF_SIZE);
	mutex_unlock(&kt->t.lock);
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 1);
	kt_trim(kt, KT_BASE, KT_BASE + TM_LEAF_SIZE);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 0);
	kt_table_free(kt);
}

static void table_huge_needs_contiguous_pfns(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed, i;

	for (i = 0; i < KT_PAGES; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i, true, TM_HUGE_ORDER);
	kt->pfns[100] = kt_hmm(KT_PFN + 1000, true, TM_HUGE_ORDER);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, KT_PAGES, &installed), 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, KT_PAGES);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 1);
	kt_table_free(kt);
}

static void table_huge_then_small(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed;
	struct tm_entry e;

	kt_install_huge(test, kt, false);
	/* the THP was split: a 4 KiB refault replaces the huge entry */
	kt->pfns[0] = kt_hmm(KT_PFN + 5000, true, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE + PAGE_SIZE, 1, &installed), 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 1);
	kt_lookup(kt, KT_BASE + PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN + 5000);
	KUNIT_EXPECT_FALSE(test, e.huge);
	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, 0);
	kt_table_free(kt);
}

static void table_limit_counts_slots(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 1);
	unsigned long installed = 0, i;

	for (i = 0; i < 2 * KT_PAGES; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i, true, TM_HUGE_ORDER);
	/* two huge entries need two slots: refused before anything is stored */
	KUNIT_EXPECT_EQ(test, kt_fault(kt, KT_BASE, 2 * KT_PAGES, &installed),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, installed, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 0);
	KUNIT_EXPECT_TRUE(test, xa_empty(&kt->t.xa));
	/* one fits, huge or not */
	KUNIT_EXPECT_EQ(test, kt_fault(kt, KT_BASE, KT_PAGES, &installed), 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 1);
	kt->pfns[0] = kt_hmm(KT_PFN, true, 0);
	KUNIT_EXPECT_EQ(test, kt_fault(kt, KT_BASE + TM_LEAF_SIZE, 1, &installed),
			-ENOSPC);
	kt_table_free(kt);
}

static void table_failed_prepare_is_trimmed(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 8);
	unsigned long i, huge;
	int ret;

	for (i = 0; i < 2 * KT_PAGES; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i, true, i < KT_PAGES ? TM_HUGE_ORDER : 0);
	/* prepared (a placeholder and a leaf), never installed */
	mutex_lock(&kt->structural);
	ret = tm_table_prepare(&kt->t, KT_BASE, KT_BASE + 2 * TM_LEAF_SIZE,
			       kt->pfns, &huge);
	mutex_unlock(&kt->structural);
	KUNIT_EXPECT_EQ(test, huge, 1);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 2);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 1);
	kt_trim(kt, KT_BASE, KT_BASE + 2 * TM_LEAF_SIZE);
	KUNIT_EXPECT_EQ(test, kt->t.nr_slots, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_leaves, 0);
	KUNIT_EXPECT_TRUE(test, xa_empty(&kt->t.xa));
	kt_table_free(kt);
}

static void table_repoint(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed;
	struct tm_entry e;

	kt->pfns[0] = kt_hmm(KT_PFN, false, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, 1, &installed), 0);
	mutex_lock(&kt->t.lock);
	tm_table_repoint(&kt->t, KT_BASE, KT_PFN + 1, KT_PFN + 2, 1);
	mutex_unlock(&kt->t.lock);
	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN);	/* pointed elsewhere: kept */
	mutex_lock(&kt->t.lock);
	tm_table_repoint(&kt->t, KT_BASE, KT_PFN, KT_PFN + 2, 1);
	mutex_unlock(&kt->t.lock);
	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN + 2);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID);
	kt_table_free(kt);
}

/*
 * A block that moved as one folio keeps its huge entry, re-pointed; a page
 * that moved alone out of a huge entry removes it.
 */
static void table_repoint_huge(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	struct tm_entry e;

	kt_install_huge(test, kt, true);
	mutex_lock(&kt->t.lock);
	tm_table_repoint(&kt->t, KT_BASE, KT_PFN, KT_PFN + 4 * KT_PAGES,
			 KT_PAGES);
	mutex_unlock(&kt->t.lock);
	kt_lookup(kt, KT_BASE + 3 * PAGE_SIZE, &e);
	KUNIT_EXPECT_TRUE(test, e.huge);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN + 4 * KT_PAGES + 3);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID | TM_ENT_WRITE);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 1);
	mutex_lock(&kt->t.lock);
	tm_table_repoint(&kt->t, KT_BASE + PAGE_SIZE, KT_PFN + 4 * KT_PAGES + 1,
			 KT_PFN, 1);
	mutex_unlock(&kt->t.lock);
	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_huge, 0);
	kt_table_free(kt);
}

/*
 * An exclusive entry (a device atomic): set only where a leaf is, counted,
 * a lookup sees EXCL; a downgrade or an invalidation ends it, and so does
 * a fault that installs over it; count_exclusive() sees only the range.
 */
static void table_exclusive(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed, n;
	struct tm_entry e;
	bool ok;

	kt->pfns[0] = kt_hmm(KT_PFN, true, 0);
	kt->pfns[1] = kt_hmm(KT_PFN + 1, true, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, 2, &installed), 0);
	mutex_lock(&kt->structural);
	mutex_lock(&kt->t.lock);
	/* no leaf for the next 2 MiB: refused, nothing changes */
	ok = tm_table_set_exclusive(&kt->t, KT_BASE + TM_LEAF_SIZE, KT_PFN + 5);
	KUNIT_EXPECT_FALSE(test, ok);
	/* over a valid entry, and over an empty one of the same leaf */
	ok = tm_table_set_exclusive(&kt->t, KT_BASE, KT_PFN + 3);
	KUNIT_EXPECT_TRUE(test, ok);
	ok = tm_table_set_exclusive(&kt->t, KT_BASE + 4 * PAGE_SIZE, KT_PFN + 4);
	KUNIT_EXPECT_TRUE(test, ok);
	ok = tm_table_set_exclusive(&kt->t, KT_BASE + 4 * PAGE_SIZE, KT_PFN + 4);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 3);
	KUNIT_EXPECT_EQ(test, kt->t.nr_excl, 2);
	n = tm_table_count_exclusive(&kt->t, KT_BASE, KT_BASE + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, n, 1);
	n = tm_table_count_exclusive(&kt->t, KT_BASE, KT_BASE + TM_LEAF_SIZE);
	KUNIT_EXPECT_EQ(test, n, 2);
	mutex_unlock(&kt->t.lock);
	mutex_unlock(&kt->structural);

	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.pfn, KT_PFN + 3);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID | TM_ENT_WRITE | TM_ENT_EXCL);

	/* a downgrade ends it: read-only, not exclusive */
	mutex_lock(&kt->t.lock);
	n = tm_table_downgrade(&kt->t, KT_BASE, KT_BASE + PAGE_SIZE);
	mutex_unlock(&kt->t.lock);
	KUNIT_EXPECT_EQ(test, n, 1);
	kt_lookup(kt, KT_BASE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID);
	KUNIT_EXPECT_EQ(test, kt->t.nr_excl, 1);

	/* a fault that installs over an exclusive entry ends it */
	kt->pfns[0] = kt_hmm(KT_PFN + 9, true, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE + 4 * PAGE_SIZE, 1,
				       &installed), 0);
	kt_lookup(kt, KT_BASE + 4 * PAGE_SIZE, &e);
	KUNIT_EXPECT_EQ(test, e.flags, TM_ENT_VALID | TM_ENT_WRITE);
	KUNIT_EXPECT_EQ(test, kt->t.nr_excl, 0);

	/* an invalidation of an exclusive entry removes it whole */
	mutex_lock(&kt->structural);
	mutex_lock(&kt->t.lock);
	tm_table_set_exclusive(&kt->t, KT_BASE + PAGE_SIZE, KT_PFN + 1);
	KUNIT_EXPECT_EQ(test, kt->t.nr_excl, 1);
	n = tm_table_invalidate(&kt->t, KT_BASE, KT_BASE + 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, kt->t.nr_excl, 0);
	KUNIT_EXPECT_EQ(test, kt->t.nr_entries, 1);
	mutex_unlock(&kt->t.lock);
	mutex_unlock(&kt->structural);
	kt_table_free(kt);
}

/* tm_table_lookup_run() under the table lock; the pfn, or ~0 if none. */
static unsigned long kt_run(struct kt_table *kt, unsigned long addr,
			    unsigned long end, u64 need, unsigned long *pfn)
{
	unsigned long n;

	*pfn = ~0UL;
	mutex_lock(&kt->t.lock);
	n = tm_table_lookup_run(&kt->t, addr, end, need, pfn);
	mutex_unlock(&kt->t.lock);
	return n;
}

static void table_lookup_run(struct kunit *test)
{
	struct kt_table *kt = kt_table_new(test, 4);
	unsigned long installed, i, pfn;

	/* frames 0-3 consecutive, 4 elsewhere, 5-7 after it; 6 read-only */
	for (i = 0; i < 8; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + i + (i >= 4 ? 100 : 0), i != 6, 0);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE, 8, &installed), 0);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + PAGE_SIZE, KT_BASE + TM_LEAF_SIZE,
				     TM_ENT_WRITE, &pfn), 3);
	KUNIT_EXPECT_EQ(test, pfn, KT_PFN + 1);
	/* bounded by the end asked */
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE, KT_BASE + 2 * PAGE_SIZE,
				     TM_ENT_WRITE, &pfn), 2);
	/* a change of access ends a run; a missing bit gives none */
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + 4 * PAGE_SIZE,
				     KT_BASE + TM_LEAF_SIZE, 0, &pfn), 2);
	KUNIT_EXPECT_EQ(test, pfn, KT_PFN + 104);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + 6 * PAGE_SIZE,
				     KT_BASE + TM_LEAF_SIZE, TM_ENT_WRITE, &pfn), 0);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + 6 * PAGE_SIZE,
				     KT_BASE + TM_LEAF_SIZE, 0, &pfn), 1);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + 8 * PAGE_SIZE,
				     KT_BASE + TM_LEAF_SIZE, 0, &pfn), 0);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + TM_LEAF_SIZE,
				     KT_BASE + 2 * TM_LEAF_SIZE, 0, &pfn), 0);

	/* a huge entry: the rest of it from the address, up to the end */
	for (i = 0; i < KT_PAGES; i++)
		kt->pfns[i] = kt_hmm(KT_PFN + KT_PAGES + i, false, TM_HUGE_ORDER);
	KUNIT_ASSERT_EQ(test, kt_fault(kt, KT_BASE + TM_LEAF_SIZE, KT_PAGES,
				       &installed), 0);
	KUNIT_ASSERT_EQ(test, kt->t.nr_huge, 1);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + TM_LEAF_SIZE + 10 * PAGE_SIZE,
				     KT_BASE + 3 * TM_LEAF_SIZE, 0, &pfn),
			KT_PAGES - 10);
	KUNIT_EXPECT_EQ(test, pfn, KT_PFN + KT_PAGES + 10);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + TM_LEAF_SIZE,
				     KT_BASE + TM_LEAF_SIZE + 5 * PAGE_SIZE, 0, &pfn), 5);
	KUNIT_EXPECT_EQ(test, kt_run(kt, KT_BASE + TM_LEAF_SIZE,
				     KT_BASE + 2 * TM_LEAF_SIZE, TM_ENT_WRITE, &pfn), 0);
	kt_table_free(kt);
}

static struct kunit_case tm_table_cases[] = {
	KUNIT_CASE(table_install_lookup),
	KUNIT_CASE(table_downgrade_invalidate_trim),
	KUNIT_CASE(table_huge_entry),
	KUNIT_CASE(table_huge_needs_contiguous_pfns),
	KUNIT_CASE(table_huge_then_small),
	KUNIT_CASE(table_limit_counts_slots),
	KUNIT_CASE(table_failed_prepare_is_trimmed),
	KUNIT_CASE(table_repoint),
	KUNIT_CASE(table_repoint_huge),
	KUNIT_CASE(table_exclusive),
	KUNIT_CASE(table_lookup_run),
	{}
};

static struct kunit_suite tm_table_suite = {
	.name = "test_mirror_table",
	.test_cases = tm_table_cases,
};

/* ---------------------------------------------------------------------- */
/* Cut arrays                                                             */

#define KC(n)	((n) * PAGE_SIZE)

static void cuts_add_and_query(struct kunit *test)
{
	struct tm_cuts c = {};
	struct tm_cut gap;

	KUNIT_EXPECT_EQ(test, tm_cuts_add(&c, KC(4), KC(6), &gap), KC(2));
	KUNIT_EXPECT_EQ(test, gap.end - gap.start, 0);
	KUNIT_EXPECT_TRUE(test, tm_cuts_has(&c, KC(5)));
	KUNIT_EXPECT_FALSE(test, tm_cuts_has(&c, KC(6)));
	KUNIT_EXPECT_FALSE(test, tm_cuts_has(&c, KC(3)));
	KUNIT_EXPECT_EQ(test, tm_cuts_live_end(&c, KC(0), KC(10)), KC(4));
	KUNIT_EXPECT_EQ(test, tm_cuts_live_end(&c, KC(6), KC(10)), KC(10));
	KUNIT_EXPECT_EQ(test, tm_cuts_uncut(&c, KC(0), KC(10)), KC(8));
}

static void cuts_coalesce(struct kunit *test)
{
	struct tm_cuts c = {};
	struct tm_cut gap;

	tm_cuts_add(&c, KC(10), KC(12), &gap);
	tm_cuts_add(&c, KC(2), KC(4), &gap);
	/* adjacent on the left, overlapping on the right */
	KUNIT_EXPECT_EQ(test, tm_cuts_add(&c, KC(4), KC(11), &gap), KC(6));
	KUNIT_ASSERT_EQ(test, c.nr, 1);
	KUNIT_EXPECT_EQ(test, c.cut[0].start, KC(2));
	KUNIT_EXPECT_EQ(test, c.cut[0].end, KC(12));
}

static void cuts_duplicate_changes_nothing(struct kunit *test)
{
	struct tm_cuts c = {}, before;
	struct tm_cut gap;
	unsigned int i;

	for (i = 0; i < TM_MAX_CUTS; i++)
		tm_cuts_add(&c, KC(2 * i + 1), KC(2 * i + 2), &gap);
	before = c;
	KUNIT_EXPECT_EQ(test, tm_cuts_add(&c, KC(3), KC(4), &gap), 0);
	KUNIT_EXPECT_EQ(test, gap.end - gap.start, 0);
	KUNIT_EXPECT_EQ(test, memcmp(&c, &before, sizeof(c)), 0);
}

static void cuts_overflow_merges_closest(struct kunit *test)
{
	struct tm_cuts c = {};
	struct tm_cut gap;
	unsigned int i;

	/* gaps of 2 pages, but one of 1 page between cuts 5 and 6 */
	for (i = 0; i < TM_MAX_CUTS; i++) {
		unsigned long s = KC(3 * i + (i >= 6 ? 0 : 1));

		tm_cuts_add(&c, s, s + KC(1), &gap);
	}
	KUNIT_ASSERT_EQ(test, c.nr, TM_MAX_CUTS);
	KUNIT_EXPECT_EQ(test, tm_cuts_add(&c, KC(100), KC(101), &gap),
			KC(1) + KC(1));
	KUNIT_EXPECT_EQ(test, gap.start, KC(17));
	KUNIT_EXPECT_EQ(test, gap.end, KC(18));
	KUNIT_ASSERT_EQ(test, c.nr, TM_MAX_CUTS);
	KUNIT_EXPECT_TRUE(test, tm_cuts_has(&c, KC(17)));
	KUNIT_EXPECT_TRUE(test, tm_cuts_has(&c, KC(100)));
	KUNIT_EXPECT_FALSE(test, tm_cuts_has(&c, KC(2)));
}

static struct kunit_case tm_cuts_cases[] = {
	KUNIT_CASE(cuts_add_and_query),
	KUNIT_CASE(cuts_coalesce),
	KUNIT_CASE(cuts_duplicate_changes_nothing),
	KUNIT_CASE(cuts_overflow_merges_closest),
	{}
};

static struct kunit_suite tm_cuts_suite = {
	.name = "test_mirror_cuts",
	.test_cases = tm_cuts_cases,
};

/* ---------------------------------------------------------------------- */
/* The event policy                                                       */

static enum tm_action kp_decide(enum mmu_notifier_event event, bool aware,
				const void *range_owner, const void *owner)
{
	struct mmu_notifier_range range = {
		.start = KT_BASE,
		.end = KT_BASE + PAGE_SIZE,
		.event = event,
		.owner = (void *)range_owner,
	};

	return tm_policy_decide(&range, aware, owner);
}

static void policy_aware(struct kunit *test)
{
	int me;

	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_UNMAP, true, NULL, &me),
			TM_ACTION_DROP);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_CLEAR, true, NULL, &me),
			TM_ACTION_INVALIDATE);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_PROTECTION_PAGE, true, NULL, &me),
			TM_ACTION_DOWNGRADE);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_SOFT_DIRTY, true, NULL, &me),
			TM_ACTION_DOWNGRADE);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_RELEASE, true, NULL, &me),
			TM_ACTION_RELEASE);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_MIGRATE, true, &me, &me),
			TM_ACTION_SKIP);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_MIGRATE, true, NULL, &me),
			TM_ACTION_INVALIDATE);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_EXCLUSIVE, true, &me, &me),
			TM_ACTION_SKIP);
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_EXCLUSIVE, true, test, &me),
			TM_ACTION_INVALIDATE);
	/* an event this module does not know */
	KUNIT_EXPECT_EQ(test, kp_decide(TM_NR_EVENTS - 1, true, NULL, &me),
			TM_ACTION_INVALIDATE);
}

static void policy_blind(struct kunit *test)
{
	unsigned int ev;
	int me;

	for (ev = MMU_NOTIFY_UNMAP; ev <= MMU_NOTIFY_EXCLUSIVE; ev++)
		KUNIT_EXPECT_EQ(test, kp_decide(ev, false, &me, &me),
				TM_ACTION_INVALIDATE);
}

#if TM_HAVE_RANGE_VMA
/* 6.1: the range names the VMA */
static enum tm_action kp_decide_vma(struct mm_struct *mm,
				    struct vm_area_struct *vma,
				    enum mmu_notifier_event event,
				    unsigned long start, unsigned long end)
{
	struct mmu_notifier_range range = {
		.vma = vma,
		.mm = mm,
		.start = start,
		.end = end,
		.event = event,
	};

	return tm_policy_decide(&range, true, NULL);
}

static void policy_vma(struct kunit *test)
{
	struct vm_area_struct *vma = kunit_kzalloc(test, sizeof(*vma), GFP_KERNEL);
	struct mm_struct *mm = kunit_kzalloc(test, sizeof(*mm), GFP_KERNEL);
	unsigned long s = KT_BASE, e = KT_BASE + 2 * TM_LEAF_SIZE;

	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_ASSERT_NOT_NULL(test, mm);
	mt_init(&mm->mm_mt);
	vma->vm_start = s;
	vma->vm_end = e;
	vma->vm_mm = mm;

	/* PROTECTION_VMA keeps read-only entries where the VMA stays readable */
	vma->vm_flags = VM_READ;
	KUNIT_EXPECT_EQ(test, kp_decide_vma(mm, vma, MMU_NOTIFY_PROTECTION_VMA, s, e),
			TM_ACTION_DOWNGRADE);
	vma->vm_flags = 0;
	KUNIT_EXPECT_EQ(test, kp_decide_vma(mm, vma, MMU_NOTIFY_PROTECTION_VMA, s, e),
			TM_ACTION_INVALIDATE);

	/* a hugetlb UNMAP whose VMA left the tree is an unmap */
	vma->vm_flags = VM_READ | VM_HUGETLB;
	KUNIT_EXPECT_EQ(test, kp_decide_vma(mm, vma, MMU_NOTIFY_UNMAP, s, e),
			TM_ACTION_DROP);
	/* one whose VMA is still there is a zap */
	KUNIT_ASSERT_EQ(test, mtree_store_range(&mm->mm_mt, s, e - 1, vma,
						GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, kp_decide_vma(mm, vma, MMU_NOTIFY_UNMAP, s,
					    s + TM_LEAF_SIZE),
			TM_ACTION_INVALIDATE);
	/* ... but not for a range beyond the VMA (exit's whole-space UNMAP) */
	KUNIT_EXPECT_EQ(test, kp_decide_vma(mm, vma, MMU_NOTIFY_UNMAP, 0, ULONG_MAX),
			TM_ACTION_DROP);
	/* nor for a VMA that is not hugetlb */
	vma->vm_flags = VM_READ;
	KUNIT_EXPECT_EQ(test, kp_decide_vma(mm, vma, MMU_NOTIFY_UNMAP, s, e),
			TM_ACTION_DROP);
	mtree_destroy(&mm->mm_mt);
}
#else
/* 6.3 and later: no VMA in the range, PROTECTION_VMA always invalidates */
static void policy_vma(struct kunit *test)
{
	int me;

	KUNIT_EXPECT_FALSE(test, tm_policy_can_downgrade_vma());
	KUNIT_EXPECT_EQ(test, kp_decide(MMU_NOTIFY_PROTECTION_VMA, true, NULL, &me),
			TM_ACTION_INVALIDATE);
}
#endif

static struct kunit_case tm_policy_cases[] = {
	KUNIT_CASE(policy_aware),
	KUNIT_CASE(policy_blind),
	KUNIT_CASE(policy_vma),
	{}
};

static struct kunit_suite tm_policy_suite = {
	.name = "test_mirror_policy",
	.test_cases = tm_policy_cases,
};

kunit_test_suites(&tm_table_suite, &tm_cuts_suite, &tm_policy_suite);

MODULE_DESCRIPTION("KUnit tests of test_mirror's device table, cut arrays and event policy");
MODULE_LICENSE("GPL");
