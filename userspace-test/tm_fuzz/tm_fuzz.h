/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_fuzz.h: what the files of tm_fuzz share. main.c has the overview of
 * the fuzzer and its oracle; one concern per file:
 *
 *  main.c     options, random numbers, counters, the program's hooks
 *  world.c    the memory of one test and the CPU's side of the oracle;
 *             the CPU-side changes
 *  model.c    the model of the two device files; the predictions
 *  gen.c      argument generators: the edge classes
 *  issue.c    issuing a DRM ioctl: normally, raw, with a bad pointer
 *  ops.c      the DRM calls of each kind, but READ and WRITE
 *  access.c   device READ and WRITE; keeping the copy path busy
 *  drm.c      the DRM call classes (fixture drm), drm_raw_nr
 *  foreign.c  another address space: drm_foreign
 *  race.c     unbind racing device accesses: drm_race_unbind
 *  submit.c   jobs (SUBMIT) of both models: predictions, the shadow
 *             after a job; WAIT_UFENCE
 *  hmm.c      the test_hmm-compatible front-end: hmm_cmds, hmm_raw,
 *             hmm_foreign
 *
 * Each variable is defined in the file named with its group below.
 */
#ifndef _TM_FUZZ_H_
#define _TM_FUZZ_H_

#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "tm_lib.h"

/* ------------------------------------------------------------------------ */
/* Options, random numbers, counters (main.c)                                */
/* ------------------------------------------------------------------------ */

extern bool opt_trace;		/* env TM_FUZZ_TRACE: print every call */
extern uint64_t rs;		/* the state of rnd() */

uint64_t rnd(void);
uint64_t rn(uint64_t n);
bool chance(unsigned int pct);
void seed_for(const char *name);

/* Calls per errno, for the summary line of each test. */
#define NERR 140
extern uint64_t cnt_err[NERR + 1];
extern uint64_t cnt_calls, cnt_skipped, cnt_cpu_ops, cnt_checks;
/* Device READ / WRITE calls, those that succeeded, pages copied and checked. */
extern uint64_t cnt_acc, cnt_acc_ok, cnt_acc_pages;
/* DEVMEM calls, those that succeeded, pages moved, whole moves checked. */
extern uint64_t cnt_dm, cnt_dm_ok, cnt_dm_pages, cnt_dm_whole;
/* ATOMIC calls, those that succeeded, pages seen exclusive in SNAPSHOT after. */
extern uint64_t cnt_at, cnt_at_ok, cnt_at_excl;

void count_ret(int ret);
void print_counts(const char *name);
/* A test's share of --calls (weight: percent). */
uint64_t share(unsigned int weight);

/* ------------------------------------------------------------------------ */
/* The world (world.c)                                                       */
/* ------------------------------------------------------------------------ */

#define GUARD	16
#define NA	160
#define NW	(GUARD + NA + GUARD)
#define NZONE	1024
#define LOW_END	0x10000ull

enum kind { K_RW, K_RO, K_NONE, K_HOLE };

extern uint8_t *win;		/* window: guard, arena, guard */
extern uint8_t *arena;
extern uint8_t kind[NA];
extern uint8_t *shadow;		/* what the arena holds, NA pages */
extern uint8_t *zone;
extern uint64_t task_max;	/* TASK_SIZE_MAX of this machine */

#define BUF_RW_PAGES	64
#define BUF_RO_PAGES	16
extern uint8_t *bufrw, *bufro, *bufmix;	/* each followed by a guard page */
extern uint8_t *argpage;	/* 2 RW pages for ioctl arguments, then a guard */
extern uint8_t *argro;		/* a read-only page for ioctl arguments */
extern uint8_t *snapbuf;	/* 8 pages for SNAPSHOT / EVENTS output, guard */
#define SNAPBUF_PAGES	48
extern uint8_t *scratch;	/* source data / expected data */

bool in_range(uint64_t a, const void *base, size_t len);
char region_of(size_t i);
void *must_mmap(void *addr, size_t len, int prot, int flags, int fd);
void world_setup(void);

#define R_UNKNOWN 1000

int cpu_reason(uint64_t a, bool write);
int mem_access(uint64_t a, bool need_write);
int mem_range(uint64_t a, uint64_t len, bool need_write);
int access_ok_model(uint64_t ptr, uint64_t size);
uint8_t *arena_page(uint64_t a);
uint8_t *shadow_of(uint64_t a);
const uint8_t *device_content(uint64_t a);
bool in_arena(uint64_t a);
void check_arena(const char *when);
void cpu_op(void);

/* ------------------------------------------------------------------------ */
/* The model of the device files, predictions (model.c)                      */
/* ------------------------------------------------------------------------ */

#define MAXB	96

struct mbind {
	uint32_t h;
	uint32_t flags;		/* TEST_MIRROR_BIND_READ / WRITE */
	uint64_t s, e;
	uint8_t drop[NW];	/* window pages whose tracking was dropped */
};

struct mfile {
	int fd;
	int nb;
	struct mbind b[MAXB];
	uint32_t freed[64];	/* recently freed handles */
	unsigned int nfreed;
	uint32_t max_issued;
	uint64_t last_seq;
	/* syncobjs made at setup (the same handles in both files) */
	uint32_t sobj_out;	/* no fence at first: the out-syncobj of jobs */
	uint32_t sobj_done;	/* signalled: an in-fence that is done */
	uint32_t sobj_empty;	/* never a fence: an in-fence of -ENOENT */
	/* the job counters STATS must show (since open or the last reset) */
	uint64_t jobs;		/* queued, each waited for */
	uint64_t jobs_failed;	/* of those, ended with an error (fault model) */
	uint64_t job_pages;	/* pages counted, at least */
	bool job_pages_exact;	/* no STREAM since: job_pages is exact */
	bool fault_jobs;	/* a fault-model job ran since: its counters move */
	bool out_fenced;	/* sobj_out holds a job's fence */
};

extern struct mfile mf[2];
extern uint64_t max_bindings;
extern bool aware;		/* event-aware policy: munmap drops tracking */
extern bool devmem_cap;		/* TEST_MIRROR_CAP_DEVICE_PRIVATE */
extern bool excl_cap;		/* TEST_MIRROR_CAP_DEVICE_EXCLUSIVE */
/*
 * Arena pages known to be in system memory: the CPU read them (which
 * brings a device page home) or replaced them, and no move to the device
 * touched them since. Cleared by every move to the device.
 */
extern uint8_t on_sys[NA];

void model_to_device(uint64_t addr, uint64_t size);

struct mbind *find_b(struct mfile *m, uint64_t a);
bool overlaps(struct mfile *m, uint64_t s, uint64_t e);
bool is_live(struct mfile *m, uint32_t h);
uint32_t lowest_free(struct mfile *m);
bool dropped(struct mbind *b, uint64_t a);
void model_add(struct mfile *m, uint32_t h, uint64_t s, uint64_t e,
	       uint32_t flags);
void model_del(struct mfile *m, uint32_t h);
void model_drop(size_t wi, size_t n);

struct pred {
	int allow[8];
	int n;
	bool skip;		/* the model cannot predict this draw */
	uint64_t pages;		/* READ/WRITE: pages copied */
	bool buf_fault;		/* the failure is the user buffer's */
};

void allow(struct pred *p, int e);
bool allowed(const struct pred *p, int e);
int check_range(uint64_t a, uint64_t s);
void walk_access(struct mfile *m, bool write, uint64_t addr,
		 uint64_t size, uint64_t ptr, struct pred *p);

/* ------------------------------------------------------------------------ */
/* Argument generators (gen.c)                                               */
/* ------------------------------------------------------------------------ */

uint64_t arena_addr(void);
uint64_t gen_addr(void);
uint64_t gen_size(uint64_t addr);
uint32_t gen_bind_flags(void);
uint64_t gen_ptr(uint64_t size);
uint64_t gen_u64_edge(unsigned int pct_zero);
uint32_t gen_handle(struct mfile *m, struct mfile *other);

/* ------------------------------------------------------------------------ */
/* Issuing a DRM ioctl (issue.c)                                             */
/* ------------------------------------------------------------------------ */

enum issue_mode { IM_NORMAL, IM_RAW, IM_ARGPTR };

struct issue {
	unsigned long req;
	uint8_t *uarg;		/* what is passed */
	size_t usize;		/* _IOC_SIZE of req */
	size_t in, out;		/* bytes copied in / out by drm_ioctl */
	int copyin_err;		/* -EFAULT: drm_ioctl fails before the handler */
	int copyout_err;	/* -EFAULT: the handler ran, the copy back fails */
	bool out_visible;	/* the handler's output reaches us at uarg */
	uint8_t eff[512];	/* what the handler sees */
	size_t drv_size;
};

/* The DRM ioctls: drm_cmds[k] is DRM_TEST_MIRROR_* number k. */
extern const unsigned long drm_cmds[];
extern const size_t n_drm_cmds;
/* One past the last DRM ioctl number of the driver (relative to 0x40). */
#define TM_FUZZ_DRM_NR_END	(DRM_TEST_MIRROR_WAIT_UFENCE + 1)

void issue_prepare(struct issue *is, unsigned long cmd,
		   const void *arg, size_t size, enum issue_mode mode);
int issue_call(struct issue *is, int fd, const struct pred *p,
	       const char *what);
bool handler_ran(const struct issue *is);

/* ------------------------------------------------------------------------ */
/* The DRM calls (ops.c, access.c)                                           */
/* ------------------------------------------------------------------------ */

enum issue_mode pick_mode(unsigned int raw_pct, unsigned int ptr_pct);
struct mfile *pick_file(struct mfile **other);
bool bind_call(struct mfile *m, const struct drm_test_mirror_bind *a,
	       enum issue_mode mode);
void unbind_call(struct mfile *m, const struct drm_test_mirror_unbind *a,
		 enum issue_mode mode);
void op_bind(enum issue_mode mode);
void op_unbind(enum issue_mode mode);
void op_snapshot(enum issue_mode mode);
void check_stats_out(struct mfile *m, const struct drm_test_mirror_stats *s);
void op_stats(enum issue_mode mode);

#define EVSZ	sizeof(struct drm_test_mirror_event)

void op_events(enum issue_mode mode);
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
void op_migrate(enum issue_mode mode);
#endif
void op_devmem(enum issue_mode mode);
void op_atomic(enum issue_mode mode);
int excl_vma_reason(uint64_t a);

/* SUBMIT (submit.c) */
extern uint64_t cnt_job, cnt_job_ok, cnt_job_pages, cnt_fjob, cnt_fjob_err;
void jobs_setup(void);
void jobs_reset_model(struct mfile *m);
void check_job_stats(struct mfile *m, const struct drm_test_mirror_stats *s);
int foreign_submit_expect(const struct drm_test_mirror_submit *a);
void gen_foreign_submit(struct drm_test_mirror_submit *a);
void op_submit(enum issue_mode mode);
void op_wait_ufence(enum issue_mode mode);

/* The shares of keep_bound() and of guided READ / WRITE draws (access.c). */
extern unsigned int keep_bound_pct, guided_pct;

void keep_bound(void);
void op_access(enum issue_mode mode, bool write);

/* ------------------------------------------------------------------------ */
/* Setup of a DRM test (drm.c)                                               */
/* ------------------------------------------------------------------------ */

void drm_setup(int fd);
void drm_teardown(const char *name);
void seed_bindings(void);

#endif /* _TM_FUZZ_H_ */
