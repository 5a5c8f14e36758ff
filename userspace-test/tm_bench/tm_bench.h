/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_bench.h: what the files of tm_bench share (main.c has the overview):
 * sizes, the options and state the sections read, the samples and output
 * lines of report.c, the memory and device helpers of common.c, and the
 * sections themselves.
 */
#ifndef _TM_BENCH_H_
#define _TM_BENCH_H_

#include <stdbool.h>
#include <stdint.h>

#include "tm_lib.h"

#define KiB		(1024UL)
#define MiB		(1024UL * KiB)
#define GiB		(1024UL * MiB)
#define TiB		(1024UL * GiB)
#define WIN_SZ		(16 * MiB)	/* user buffer of device READs */
#define MAXREP		16

/* main.c: options, and what bench_setup() or the test bench sets */
extern bool smoke;
extern unsigned int opt_reps;		/* 0 = per-size default */
extern unsigned long max_bytes;		/* largest buffer we dare */
extern char *win;			/* WIN_SZ bytes, resident */
extern uint32_t caps;			/* STATS caps of the module */
extern const char *opt_peer_devs;	/* P6: the devices measured */
extern const char *opt_peer_modes;	/* P6: base pages, THP or both */

/* report.c: samples, times, errors, the lines of the results */
struct smp {
	double v[MAXREP];
	unsigned int n;
};

void smp_add(struct smp *s, double v);
/* The median of the samples (0 if none). */
double med(const struct smp *s);
/* The q-quantile (0..1) of n samples, which it sorts (0 if none). */
double quant(uint64_t *v, unsigned int n, double q);

#define MS(ns)	((double)(ns) / 1e6)

/* --smoke runs in the KTAP suite: machine lines become diagnostics there */
extern const char *mpfx;
/* set by bench_err(): the section fails at its end */
extern int section_failed;

/* An error of the section: printed at once, and the section fails. */
void bench_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void series(const char *name, double x, const char *xunit, double y,
	    const char *yunit);
/* met: 1 yes, 0 no, -1 n/a */
void metric(const char *name, double v, const char *unit,
	    const char *target, int met, const char *note);
/* Repetitions of a measure of a buffer of size bytes. */
unsigned int reps_for(unsigned long size);
/* "4MiB", "1GiB", "1TiB" into buf; returns buf. */
const char *szname(unsigned long size, char *buf);

/* common.c: memory and the device */
unsigned long meminfo_kb(const char *key);
char *map_buf(unsigned long size, bool thp);
void cpu_write_touch(char *p, unsigned long size);
char *map_populated(unsigned long size, bool thp);
int open_fd(bool aware, unsigned int chunk);
struct drm_test_mirror_stats stats(int fd);
uint32_t dev_bind(int fd, const void *p, unsigned long size, uint32_t flags);
void dev_unbind(int fd, uint32_t h);
uint64_t dev_read(int fd, const char *p, unsigned long size);
uint64_t dev_gather(int fd, const char *p, unsigned long size,
		    unsigned long stride);
int param_set_u(const char *name, unsigned long v);

/* common.c: jobs of the pre-validated model (a syncobj for the fence) */
int job_submit(int fd, uint32_t op, const void *src, const void *dst,
	       unsigned long size, uint64_t value, uint32_t ms, uint32_t out);
int job_wait(int fd, uint32_t h);

/* common.c: jobs of the fault model, their user fences in a bound page */
struct ufences {
	int fd;
	struct drm_test_mirror_ufence *uf;	/* UF_SLOTS of them */
	uint32_t h;				/* their binding */
	uint64_t seq;				/* the last value submitted */
};

#define UF_SLOTS	(PAGE_SZ / sizeof(struct drm_test_mirror_ufence))

int uf_setup(struct ufences *u, int fd);
void uf_done(struct ufences *u);
int64_t fault_submit(struct ufences *u, unsigned int slot, uint32_t op,
		     const void *src, const void *dst, unsigned long size,
		     uint64_t value, uint32_t ms);
int fault_wait(struct ufences *u, unsigned int slot, uint64_t seq,
	       int64_t timeout_ns);
bool fault_ended(struct ufences *u, unsigned int slot, uint64_t seq);

/* The sections, a file each (P1's two in p1_populate.c) */
void p1_populate(void);
void p1_chunk(void);
void p2_invalidate(void);
void p3_memory(void);
void p4_events(void);
void p5_sparse(void);
void p6_peer(void);
void p7_devmem(void);
void p8_jobs(void);
void p9_faults(void);

/*
 * p4_events.c: the write-protect events P4 and P9 raise on [p, p + size):
 * fork (a child that exits at once), clear_refs (soft-dirty, the whole
 * process), mprotect(PROT_READ) and back. 0 or -errno.
 */
enum { EV_FORK, EV_CLEAR_REFS, EV_MPROTECT, NEV };
extern const char *const ev_name[NEV];
int do_event(int ev, char *p, unsigned long size);

/* p6_peer.c: the three devices P6 and P7 compare */
enum { D_HMM, D_COMPAT, D_DRM, ND };
extern const char *const dev_name[ND];
int peer_setup(bool *have, bool *kept);
void peer_done(void);
int dev_up(unsigned int d);
void dev_down(unsigned int d);
char *peer_buf(unsigned long size, bool thp);

#endif /* _TM_BENCH_H_ */
