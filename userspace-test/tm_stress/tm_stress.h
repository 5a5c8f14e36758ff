/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_stress.h: what the files of tm_stress share. main.c has the overview
 * of the race stress and its invariants; one concern per file:
 *
 *  main.c     options, counters, violations, the program's hooks
 *  model.c    the content encoding; the model of what each page may hold
 *  mutate.c   the mutators: CPU page-table changes of the slots
 *  soft.c     the soft operations: reclaim, soft-dirty, fork
 *  access.c   the device readers and writers, checked against the model
 *  devmem.c   moves to the device's memory and back (where it has one)
 *  atomic.c   device atomics on a page of counters the CPU adds to too
 *  race.c     the race: the slots, the threads, the watchdog, the end
 *  writes.c   the deterministic tests after the race: a device write cut
 *             short; the device still works
 *
 * Each variable is defined in the file named with its group below.
 */
#ifndef _TM_STRESS_H_
#define _TM_STRESS_H_

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "tm_lib.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define NSLOTS_SMALL	8
#define SMALL_PAGES	16
#define HUGE_SLOT_PAGES	512
#define MAXACC		64
#define HIST		48
#define CHILD_ID	0xfffffff0u
#define MAXOVL		128

extern unsigned int opt_seconds;	/* how long the race runs (main.c) */
extern uint64_t opt_seed;

/* The two device files, and the policy: event-aware or blind (race.c). */
extern int dev[2];
extern bool aware;

/* ------------------------------------------------------------------------ */
/* Counters and violations (main.c)                                          */
/* ------------------------------------------------------------------------ */

enum ctr {
	C_REMAP, C_MAPOVER, C_MREMAP, C_MPROT_RO, C_MPROT_NONE, C_DONTNEED,
	C_FREE, C_REBIND, C_PAGEOUT, C_CLEARREFS, C_FORK,
	C_READ, C_READ_ERR, C_WRITE, C_WRITE_ERR, C_PAGES_CHECKED,
	C_CLEAN_READS, C_CLEAN_WRITES, C_FORK_PAGES, C_UNCHECKED, C_TORN,
	C_EBUSY, C_BUF_PAGEOUT, C_PART_FAILS, C_PART_SEEN,
	C_DEVMEM_TO, C_DEVMEM_SYS, C_DEVMEM_PAGES, C_DEVMEM_ERR,
	C_ATOMIC, C_ATOMIC_GRANTS, C_ATOMIC_SWAPS, C_ATOMIC_CPU,
	C_JOB, C_JOB_ERR, C_MAX
};

/* Shared with fork children (they count the pages they check). */
extern _Atomic uint64_t *ctr;
extern _Atomic int stop;
extern _Atomic int failed;
extern char fail_msg[1024];
extern _Atomic uint64_t progress;

void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void inc(enum ctr c);
uint64_t races(int fdi);
void busy_check(int fdi, uint64_t before, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

extern _Atomic uint32_t next_id;

uint32_t new_id(void);
uint64_t xrand(uint64_t *r);
void print_counters(void);

/* ------------------------------------------------------------------------ */
/* The content encoding, the model (model.c)                                 */
/* ------------------------------------------------------------------------ */

uint64_t word_of(uint32_t id, uint64_t addr, unsigned int w);
void fill_page(uint8_t *dst, uint64_t addr, uint32_t id);
bool decode_page(const uint8_t *buf, uint64_t addr, uint32_t *ids,
		 unsigned int *nids, unsigned int max, unsigned int *badw);
bool byte_mix(uint64_t v, uint64_t addr, unsigned int w,
	      const uint32_t *ids, unsigned int nids);

/*
 * What may show a page in part: a device write in flight (a read through
 * the other file does not share its locks), and, with the event-blind
 * policy only, a CPU fill of a new mapping (that policy keeps the tracking
 * of an unmapped range, so the device reaches the new pages at once; the
 * event-aware policy drops it until the range is bound again, after the
 * fill). Every agent writes whole pages, so nothing else can.
 */
#define TEAR_FILL	2
/*
 * Failed writes whose start a page may keep at once (see part_page()):
 * those that failed at it since the page was last seen whole (settle()).
 */
#define MAXPART		64

struct hist_ent {
	uint32_t id;
	signed char tear;	/* it entered by what may tear a page: a device
				 * write through file 0 or 1, TEAR_FILL, or
				 * nothing (-1) */
	uint64_t ver;
};

struct page_m {
	uint32_t acc[MAXACC];
	unsigned int nacc;
	bool lazy;		/* MADV_FREE'd: may turn to zero any time */
	bool mixed;		/* blind policy: a device write met a CPU fill
				 * here; bytes of allowed contents may mix */
	uint32_t part[MAXPART];	/* failed device writes whose start the page
				 * may keep (struct drm_test_mirror_access) */
	unsigned int npart;
	bool part_kept;		/* seen keeping one: the driver dirtied it, so
				 * until the page is replaced, written whole or
				 * MADV_FREE'd, the page keeps it */
	struct hist_ent hist[HIST];
	unsigned int hhead, hcount;
};

struct ovl {
	uint32_t tag;
	size_t first, n;
};

struct slot {
	pthread_mutex_t lock;
	pthread_mutex_t wr_lock;	/* one device writer at a time */
	uint8_t *addr;
	size_t np;
	bool huge;
	uint8_t *tmp;			/* where mremap moves it for a while */
	uint64_t version;		/* every change of the model */
	uint64_t mut_seq;		/* mutation starts and ends */
	bool mut_active;
	size_t fill_first, fill_n;	/* blind policy: the fill under way */
	bool wr_active, wr_overlap;
	int wr_fdi;			/* the file the device write goes through */
	uint32_t wr_tag;
	size_t wr_first, wr_n;
	struct ovl ovl[MAXOVL];
	unsigned int novl;
	uint32_t handle[2];
	struct page_m *pm;
};

extern struct slot slots[NSLOTS_SMALL + 1];
extern unsigned int nslots;

bool acc_has(const uint32_t *acc, unsigned int n, uint32_t id);
void acc_add_h(struct slot *s, size_t p, uint32_t id, int tear);
void acc_add(struct slot *s, size_t p, uint32_t id);
void acc_del(struct slot *s, size_t p, uint32_t id);
void acc_clear(struct slot *s, size_t p);
void part_add(struct slot *s, size_t p, uint32_t tag);
bool part_page(const uint64_t *wv, uint64_t a, const uint32_t *parts,
	       unsigned int nparts, const uint32_t *acc,
	       unsigned int nacc);
void settle(struct slot *s, size_t first, size_t n);

/* ------------------------------------------------------------------------ */
/* The threads that change the memory (mutate.c, soft.c)                     */
/* ------------------------------------------------------------------------ */

struct mut_arg {
	unsigned int first_slot, nslot;
	uint64_t seed;
};

void fill(struct slot *s, size_t first, size_t n, uint32_t id);
void *mutator(void *arg);
void *soft_ops(void *arg);

/* ------------------------------------------------------------------------ */
/* The device's threads (access.c)                                           */
/* ------------------------------------------------------------------------ */

void *reader(void *arg);
void *writer(void *arg);
void job_setup(void);
void *job_reader(void *arg);
/* May a COPY job of file fdi, submitted before now, still use the pages? */
bool job_may_use(int fdi, struct slot *s, size_t first, size_t n);

/* ------------------------------------------------------------------------ */
/* The device's memory (devmem.c)                                            */
/* ------------------------------------------------------------------------ */

extern bool devmem_cap;		/* TEST_MIRROR_CAP_DEVICE_PRIVATE */

void *devmem_mover(void *arg);

/* ------------------------------------------------------------------------ */
/* Device atomics (atomic.c)                                                 */
/* ------------------------------------------------------------------------ */

extern bool excl_cap;		/* TEST_MIRROR_CAP_DEVICE_EXCLUSIVE */

void atomic_setup(void);
void *atomic_device(void *arg);
void *atomic_cpu(void *arg);
void atomic_final_check(void);

#endif /* _TM_STRESS_H_ */
