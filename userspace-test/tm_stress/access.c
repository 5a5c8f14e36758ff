// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the device readers and writers.
 *
 * Readers READ random ranges through either file; each page read must be
 * a content allowed when the read started or since (never stale, never
 * another address's data, never a fork child's), whole unless something
 * was changing it, and a read that overlapped no change of its slot must
 * succeed. Writers WRITE a new id through either file, one at a time per
 * slot: a write that overlapped no change succeeds and the CPU sees its
 * data at once; a failed one shows up nowhere past the pages it reports
 * done but for the start of the page it failed at. The job reader does what
 * a reader does with COPY jobs on the engine (SUBMIT): the data of a job
 * that signalled without an error is checked as a read's, that of one that
 * failed (-EFAULT: a page lost to an invalidation) as far as the job got,
 * and a failure is believed only if the slot changed. -EBUSY is believed only
 * if an invalidation reached the file meanwhile (busy_check()). Both page
 * their own buffers out now and then, so that the copy stops part way
 * through a page and is retried.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_stress.h"

/* Page out (to zram) the pages of a device access buffer, now and then. */
static void maybe_page_out(uint8_t *buf, size_t len, uint64_t *r)
{
	uintptr_t a = (uintptr_t)buf & ~(uintptr_t)(PAGE_SZ - 1);

	if (xrand(r) % 8)
		return;
	madvise((void *)a, (uintptr_t)buf + len - a, MADV_PAGEOUT);
	inc(C_BUF_PAGEOUT);
}

/* Copy the allowed sets of [first, first + n) and note the versions. */
struct snap {
	uint64_t version, mut_seq;
	bool mut_active;
	size_t wr_first, wr_n;		/* the device write in flight then */
	int wr_fdi;			/* and its file */
	uint32_t wr_tag;		/* and its content */
	size_t fill_first, fill_n;	/* the fill under way then (blind) */
	bool mixed[HUGE_SLOT_PAGES];
	uint32_t acc[HUGE_SLOT_PAGES][MAXACC];
	unsigned int nacc[HUGE_SLOT_PAGES];
	uint32_t part[HUGE_SLOT_PAGES][MAXPART];
	unsigned int npart[HUGE_SLOT_PAGES];
};

static void take_snap(struct slot *s, size_t first, size_t n, struct snap *sn)
{
	size_t p;

	pthread_mutex_lock(&s->lock);
	sn->version = s->version;
	sn->mut_seq = s->mut_seq;
	sn->mut_active = s->mut_active;
	sn->wr_first = s->wr_first;
	sn->wr_n = s->wr_active ? s->wr_n : 0;
	sn->wr_fdi = s->wr_fdi;
	sn->wr_tag = s->wr_tag;
	sn->fill_first = s->fill_first;
	sn->fill_n = s->mut_active ? s->fill_n : 0;
	for (p = 0; p < n; p++) {
		sn->mixed[p] = s->pm[first + p].mixed;
		sn->nacc[p] = s->pm[first + p].nacc;
		memcpy(sn->acc[p], s->pm[first + p].acc,
		       sn->nacc[p] * sizeof(uint32_t));
		sn->npart[p] = s->pm[first + p].npart;
		memcpy(sn->part[p], s->pm[first + p].part,
		       sn->npart[p] * sizeof(uint32_t));
	}
	pthread_mutex_unlock(&s->lock);
}

/*
 * The contents page p may show to a read that started with the snapshot
 * sn: those allowed then, and those allowed since. Returns how many, or -1
 * if the history no longer reaches back that far. *mix tells whether the
 * read, through file fdi, may see the page in part (a mix of allowed
 * contents): a device write of the page through the other file, or (blind
 * policy) a CPU fill, was under way at some point of the read, or the page
 * is a mix already (see struct hist_ent). A write through the same file
 * holds that file's locks throughout, so the read sees it whole or not at
 * all. Slot lock held.
 */
static int allowed_set(struct slot *s, size_t p, const struct snap *sn,
		       size_t idx, int fdi, uint32_t *out, unsigned int max,
		       bool *mix)
{
	struct page_m *m = &s->pm[p];
	uint64_t oldest = ~0ull;
	unsigned int n = 0, i, k;

	*mix = (p >= sn->wr_first && p < sn->wr_first + sn->wr_n &&
		sn->wr_fdi != fdi) ||
	       (p >= sn->fill_first && p < sn->fill_first + sn->fill_n) ||
	       sn->mixed[idx] || m->mixed;
	for (i = 0; i < sn->nacc[idx] && n < max; i++)
		out[n++] = sn->acc[idx][i];
	for (i = 0; i < m->hcount; i++) {
		k = (m->hhead + HIST - 1 - i) % HIST;
		if (m->hist[k].ver < oldest)
			oldest = m->hist[k].ver;
		if (m->hist[k].ver > sn->version && m->hist[k].tear >= 0 &&
		    m->hist[k].tear != fdi)
			*mix = true;
		if (m->hist[k].ver > sn->version && n < max &&
		    !acc_has(out, n, m->hist[k].id))
			out[n++] = m->hist[k].id;
	}
	if (m->hcount == HIST && oldest > sn->version + 1)
		return -1;
	return (int)n;
}

static void describe_page(struct slot *s, size_t p, char *buf, size_t len)
{
	struct page_m *pm = &s->pm[p];
	uint64_t a = (uintptr_t)s->addr + p * PAGE_SZ;
	uint32_t cids[8];
	unsigned int cn = 0, c, bw;
	size_t o = 0;

	if (!s->mut_active && decode_page(s->addr + p * PAGE_SZ, a, cids, &cn, 8, &bw)) {
		o += snprintf(buf + o, len - o, "the CPU has");
		for (c = 0; c < cn && o < len - 16; c++)
			o += snprintf(buf + o, len - o, " %u", cids[c]);
	} else {
		o += snprintf(buf + o, len - o, "the CPU page %s",
			      s->mut_active ? "is being changed" : "is no single content");
	}
	o += snprintf(buf + o, len - o, "; writer %s (tag %u); history (id@version):",
		      s->wr_active ? "active" : "idle", s->wr_tag);
	for (c = 0; c < pm->hcount && c < 8 && o < len - 32; c++) {
		struct hist_ent *h = &pm->hist[(pm->hhead + HIST - 1 - c) % HIST];

		o += snprintf(buf + o, len - o, " %u@%llu", h->id,
			      (unsigned long long)h->ver);
	}
}

static void check_read(struct slot *s, size_t first, size_t n,
		       const struct snap *sn, const uint8_t *buf,
		       uint64_t pages, int fdi)
{
	uint32_t allowed[MAXACC + HIST];
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < pages && i < n && !failed; i++) {
		const uint64_t *wv = (const uint64_t *)(buf + i * PAGE_SZ);
		size_t p = first + i;
		uint64_t a = (uintptr_t)s->addr + p * PAGE_SZ;
		bool mix;
		int na = allowed_set(s, p, sn, i, fdi, allowed, MAXACC + HIST,
				     &mix);
		uint32_t id0 = (uint32_t)(wv[0] >> 32);
		unsigned int w, torn = 0, np = 0, k;
		uint32_t parts[MAXPART];

		if (na < 0) {
			inc(C_UNCHECKED);
			continue;
		}
		/*
		 * Failed writes whose start the page kept, then or since, and
		 * the write in flight (through either file: it may have failed
		 * at this page, in the kernel, before this read, and not be
		 * in the model yet).
		 */
		for (k = 0; k < sn->npart[i]; k++)
			parts[np++] = sn->part[i][k];
		if (sn->wr_n && p >= sn->wr_first && p < sn->wr_first + sn->wr_n &&
		    !acc_has(parts, np, sn->wr_tag) && np < MAXPART)
			parts[np++] = sn->wr_tag;
		if (s->wr_active && p >= s->wr_first && p < s->wr_first + s->wr_n &&
		    !acc_has(parts, np, s->wr_tag) && np < MAXPART)
			parts[np++] = s->wr_tag;
		for (k = 0; k < s->pm[p].npart && np < MAXPART; k++)
			if (!acc_has(parts, np, s->pm[p].part[k]))
				parts[np++] = s->pm[p].part[k];
		if (np && part_page(wv, a, parts, np, allowed, (unsigned int)na)) {
			inc(C_PART_SEEN);
			inc(C_PAGES_CHECKED);
			continue;
		}
		if (!mix) {
			/* Nothing could change the page: one content, whole. */
			char what[512];

			for (w = 0; w < PAGE_SZ / 8 && wv[w] == word_of(id0, a, w); w++)
				;
			if (w < PAGE_SZ / 8) {
				describe_page(s, p, what, sizeof(what));
				violation("READ (file %d) of slot %td page %zu (0x%" PRIx64 ") is not one whole content though nothing was changing it: word 0 has id %u, word %u = 0x%016" PRIx64 " (model version %llu at the start, %llu now; %s)",
					  fdi, s - slots, p, a, id0, w, wv[w],
					  (unsigned long long)sn->version,
					  (unsigned long long)s->version, what);
				break;
			}
		}
		for (w = 0; w < PAGE_SZ / 8; w++) {
			uint32_t id = (uint32_t)(wv[w] >> 32);
			char what[512], al[96];
			unsigned int k;
			size_t o = 0;

			if (wv[w] == word_of(id, a, w) && acc_has(allowed, (unsigned int)na, id))
				continue;
			if (mix &&
			    byte_mix(wv[w], a, w, allowed, (unsigned int)na)) {
				torn++;
				continue;
			}
			for (k = 0; k < (unsigned int)na && k < 6; k++)
				o += snprintf(al + o, sizeof(al) - o, "%s%u", k ? "," : "", allowed[k]);
			describe_page(s, p, what, sizeof(what));
			violation("READ (file %d) of slot %td page %zu (0x%" PRIx64 ") word %u = 0x%016" PRIx64
				  " (id %u%s%s) is no content allowed there (allowed: %s%s; model version %llu at the start, %llu now; %s)",
				  fdi, s - slots, p, a, w, wv[w], id,
				  id == CHILD_ID ? ", a fork child's private write" : "",
				  wv[w] != word_of(id, a, w) ? ", not even a word of this address" : "",
				  al, na > 6 ? ",..." : "",
				  (unsigned long long)sn->version,
				  (unsigned long long)s->version, what);
			break;
		}
		if (torn)
			inc(C_TORN);
		inc(C_PAGES_CHECKED);
	}
	if (!s->mut_active && !s->wr_active && !failed)
		settle(s, first, n);
	pthread_mutex_unlock(&s->lock);
}

static struct snap *snap_alloc(void)
{
	struct snap *sn = malloc(sizeof(*sn));

	if (!sn)
		abort();
	return sn;
}

void *reader(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;
	uint8_t *buf = malloc(HUGE_SLOT_PAGES * PAGE_SZ);
	struct snap *sn = snap_alloc();

	while (!stop) {
		struct slot *s = &slots[xrand(&r) % nslots];
		size_t first = xrand(&r) % s->np;
		size_t n = 1 + xrand(&r) % (s->np - first);
		int fdi = (int)(xrand(&r) & 1), ret;
		struct tm_result res = { 0 };
		uint64_t busy0;
		bool clean;

		if (n > 32 && (xrand(&r) & 3))
			n = 1 + xrand(&r) % 32;
		maybe_page_out(buf, n * PAGE_SZ, &r);
		take_snap(s, first, n, sn);
		busy0 = races(fdi);
		ret = tm_read(dev[fdi], s->addr + first * PAGE_SZ, n * PAGE_SZ, buf, &res);
		inc(C_READ);
		pthread_mutex_lock(&s->lock);
		clean = !sn->mut_active && sn->mut_seq == s->mut_seq;
		pthread_mutex_unlock(&s->lock);
		if (ret) {
			inc(C_READ_ERR);
			/*
			 * -EBUSY: the device gave up after a second of
			 * racing invalidations (hmm_range_fault's timeout),
			 * which a starved TCG guest can hit; counted, and
			 * accepted only if invalidations did reach the file
			 * meanwhile, whatever the model says of the slot
			 * (they may come from a soft op or another slot).
			 */
			if (ret == -EBUSY)
				busy_check(fdi, busy0, "READ (file %d) of slot %td [%zu, +%zu)",
					   fdi, s - slots, first, n);
			if (clean && ret != -EBUSY)
				violation("READ (file %d) of slot %td [%zu, +%zu) failed with %s (pages %llu) while nothing changed its memory",
					  fdi, s - slots, first, n, tm_errname(ret),
					  (unsigned long long)res.pages);
			else if (ret != -EFAULT && ret != -ENOENT && ret != -EBUSY)
				violation("READ (file %d) of slot %td: %s", fdi,
					  s - slots, tm_errname(ret));
		} else if (res.pages != n) {
			violation("READ succeeded with %llu of %zu pages",
				  (unsigned long long)res.pages, n);
		}
		if (clean)
			inc(C_CLEAN_READS);
		check_read(s, first, n, sn, buf, res.pages, fdi);
		atomic_fetch_add(&progress, 1);
	}
	free(buf);
	free(sn);
	return NULL;
}

void *writer(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;
	uint8_t *buf = malloc(HUGE_SLOT_PAGES * PAGE_SZ);

	while (!stop) {
		struct slot *s = &slots[xrand(&r) % nslots];
		size_t first = xrand(&r) % s->np;
		size_t n = 1 + xrand(&r) % (s->np - first), p;
		int fdi = (int)(xrand(&r) & 1), ret;
		struct tm_result res = { 0 };
		uint64_t busy0;
		uint32_t tag;
		bool overlap;

		if (n > 32 && (xrand(&r) & 3))
			n = 1 + xrand(&r) % 32;
		if (pthread_mutex_trylock(&s->wr_lock))
			continue;
		tag = new_id();
		for (p = 0; p < n; p++)
			fill_page(buf + p * PAGE_SZ, (uintptr_t)s->addr + (first + p) * PAGE_SZ, tag);
		maybe_page_out(buf, n * PAGE_SZ, &r);

		pthread_mutex_lock(&s->lock);
		if (s->mut_active && s->novl == MAXOVL) {
			/* the model could not follow: skip this write */
			pthread_mutex_unlock(&s->lock);
			pthread_mutex_unlock(&s->wr_lock);
			continue;
		}
		s->version++;
		s->wr_active = true;
		s->wr_tag = tag;
		s->wr_first = first;
		s->wr_n = n;
		s->wr_fdi = fdi;
		s->wr_overlap = s->mut_active;
		if (s->mut_active)
			s->ovl[s->novl++] = (struct ovl){ tag, first, n };
		for (p = first; p < first + n; p++)
			acc_add_h(s, p, tag, fdi);
		pthread_mutex_unlock(&s->lock);

		busy0 = races(fdi);
		ret = tm_write(dev[fdi], s->addr + first * PAGE_SZ, n * PAGE_SZ, buf, &res);
		inc(C_WRITE);

		pthread_mutex_lock(&s->lock);
		s->version++;
		s->wr_active = false;
		overlap = s->wr_overlap;
		if (ret) {
			inc(C_WRITE_ERR);
			/* -EBUSY: only if invalidations raced it, as for reads */
			if (ret == -EBUSY)
				busy_check(fdi, busy0, "WRITE (file %d) of slot %td [%zu, +%zu)",
					   fdi, s - slots, first, n);
		}
		if (!overlap) {
			if (ret && ret != -EBUSY)
				violation("WRITE (file %d) of slot %td [%zu, +%zu) failed with %s (pages %llu) while nothing changed its memory",
					  fdi, s - slots, first, n, tm_errname(ret),
					  (unsigned long long)res.pages);
			/* It must be where the CPU looks, now. */
			for (p = first; p < first + res.pages && p < first + n; p++) {
				if (memcmp(s->addr + p * PAGE_SZ, buf + (p - first) * PAGE_SZ, PAGE_SZ))
					violation("WRITE (file %d) of slot %td page %zu succeeded but the CPU does not see its data (first word 0x%016" PRIx64 ", expected 0x%016" PRIx64 ")",
						  fdi, s - slots, p,
						  *(uint64_t *)(s->addr + p * PAGE_SZ),
						  *(uint64_t *)(buf + (p - first) * PAGE_SZ));
				acc_clear(s, p);
				acc_add(s, p, tag);
				s->pm[p].lazy = false;	/* dirtied */
				s->pm[p].mixed = false;
				s->pm[p].npart = 0;
				s->pm[p].part_kept = false;
			}
			inc(C_CLEAN_WRITES);
		} else if (ret && ret != -EFAULT && ret != -ENOENT &&
			   ret != -EPERM && ret != -EBUSY) {
			violation("WRITE (file %d) of slot %td: %s", fdi,
				  s - slots, tm_errname(ret));
		}
		/*
		 * The pages it reports done were overwritten whole (even where
		 * a mutation overlapped): a part seen there before may be gone.
		 */
		for (p = first; p < first + res.pages && p < first + n; p++)
			s->pm[p].part_kept = false;
		/*
		 * Where it failed, it shows up nowhere, but for the start of
		 * the page it failed at (dirtied, so a MADV_FREE'd page keeps
		 * it too).
		 */
		for (p = first + res.pages; p < first + n; p++)
			acc_del(s, p, tag);
		if (ret && res.pages < n) {
			part_add(s, first + res.pages, tag);
			/* nothing else changes the page now: look at it */
			if (!s->mut_active)
				settle(s, first + res.pages, 1);
		}
		for (unsigned int o = 0; o < s->novl; o++)
			if (s->ovl[o].tag == tag && s->ovl[o].n > res.pages)
				s->ovl[o].n = res.pages;
		if (overlap && !s->mut_active)
			settle(s, first, n);
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_unlock(&s->wr_lock);
		atomic_fetch_add(&progress, 1);
	}
	free(buf);
	return NULL;
}

/* The range a COPY job of each file may be using, for the devmem mover. */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *job_slot[2];
static size_t job_first[2], job_n[2];

bool job_may_use(int fdi, struct slot *s, size_t first, size_t n)
{
	bool use;

	pthread_mutex_lock(&job_lock);
	use = job_slot[fdi] == s && first < job_first[fdi] + job_n[fdi] &&
	      job_first[fdi] < first + n;
	pthread_mutex_unlock(&job_lock);
	return use;
}

static void job_set(int fdi, struct slot *s, size_t first, size_t n)
{
	pthread_mutex_lock(&job_lock);
	job_slot[fdi] = s;
	job_first[fdi] = first;
	job_n[fdi] = n;
	pthread_mutex_unlock(&job_lock);
}

/* Pages at the start of buf that hold something (the job got that far). */
static size_t pages_written(const uint8_t *buf, size_t n)
{
	size_t p;

	for (p = 0; p < n; p++)
		if (!((const uint64_t *)(buf + p * PAGE_SZ))[0])
			break;
	return p;
}

/* The job reader's buffers (one per file), syncobjs and user fences. */
static uint8_t *job_buf[2];
static uint32_t job_so[2];
static struct drm_test_mirror_ufence *job_uf[2];

/*
 * Before any thread runs: a mapping made while the mutators run could land
 * in a hole a mutator is about to map over.
 */
void job_setup(void)
{
	int f;

	for (f = 0; f < 2; f++) {
		job_buf[f] = tm_must_map(HUGE_SLOT_PAGES, PROT_READ | PROT_WRITE);
		tm_must_bind(dev[f], job_buf[f], HUGE_SLOT_PAGES * PAGE_SZ, RWP);
		job_so[f] = tm_must_syncobj(dev[f]);
		job_uf[f] = tm_must_map(1, PROT_READ | PROT_WRITE);
		tm_must_bind(dev[f], job_uf[f], PAGE_SZ, RWP);
	}
}

/*
 * A fault-model COPY: 0 or SUBMIT's error; *status: 1 done, else the
 * user fence's error.
 */
static int fault_copy(int fdi, struct drm_test_mirror_submit *job,
		      int *status)
{
	struct drm_test_mirror_ufence *uf = job_uf[fdi];
	int ret;

	job->flags = TEST_MIRROR_SUBMIT_FAULTABLE;
	job->out_syncobj = 0;
	job->ufence_addr = (uintptr_t)uf;
	job->ufence_value = uf->seqno + 1;
	ret = tm_submit(dev[fdi], job);
	if (!ret)
		ret = tm_wait_ufence(dev[fdi], &uf->seqno, job->ufence_value,
				     60000000000LL);
	if (!ret)
		*status = uf->error ? uf->error : 1;
	return ret;
}

void *job_reader(void *arg)
{
	uint64_t r = (uintptr_t)arg | 1;
	uint8_t **buf = job_buf;
	struct snap *sn = snap_alloc();
	uint32_t *so = job_so;

	while (!stop) {
		struct slot *s = &slots[xrand(&r) % nslots];
		size_t first = xrand(&r) % s->np;
		size_t n = 1 + xrand(&r) % (s->np - first);
		int fdi = (int)(xrand(&r) & 1), ret, status = 0;
		uint64_t busy0;
		struct drm_test_mirror_submit job = {
			.op = TEST_MIRROR_JOB_COPY,
			.src = (uintptr_t)s->addr + first * PAGE_SZ,
			.dst = (uintptr_t)buf[fdi],
			.size = n * PAGE_SZ,
			.out_syncobj = so[fdi],
		};
		bool clean, faultable = xrand(&r) & 2;

		/* zero: a page still zero afterwards was not copied */
		memset(buf[fdi], 0, n * PAGE_SZ);
		take_snap(s, first, n, sn);
		busy0 = races(fdi);
		job_set(fdi, s, first, n);
		if (faultable) {
			ret = fault_copy(fdi, &job, &status);
		} else {
			ret = tm_submit(dev[fdi], &job);
			if (!ret)
				ret = tm_fence_status(dev[fdi], so[fdi], -1,
						      60000, &status);
		}
		job_set(fdi, NULL, 0, 0);
		inc(C_JOB);
		/*
		 * A pre-validated job cannot refault: it fails when any
		 * invalidation removed an entry it needed (reclaim of a page,
		 * COW broken in the child's favour...), not only a mutation of
		 * the slot. A fault-model job refaults, and fails only where a
		 * page cannot be faulted: a mutation of the slot.
		 */
		clean = faultable || races(fdi) == busy0;
		pthread_mutex_lock(&s->lock);
		clean &= !sn->mut_active && sn->mut_seq == s->mut_seq;
		pthread_mutex_unlock(&s->lock);
		if (!ret && status == 1) {
			/* a device read that did not take the files' locks */
			check_read(s, first, n, sn, buf[fdi], n, -1);
		} else if (!ret && status == -EFAULT) {
			inc(C_JOB_ERR);
			if (clean)
				violation("%s COPY job (file %d) of slot %td [%zu, +%zu) failed with -EFAULT though no invalidation reached the file",
					  faultable ? "fault-model" : "pre-validated",
					  fdi, s - slots, first, n);
			check_read(s, first, n, sn, buf[fdi],
				   pages_written(buf[fdi], n), -1);
		} else if (ret == -EFAULT || ret == -ENOENT || ret == -EAGAIN) {
			/* SUBMIT could not validate a range being changed */
			inc(C_JOB_ERR);
			if (clean && ret != -EAGAIN)
				violation("SUBMIT (file %d) of slot %td [%zu, +%zu) failed with %s though no invalidation reached the file",
					  fdi, s - slots, first, n, tm_errname(ret));
		} else {
			violation("%s COPY job (file %d) of slot %td [%zu, +%zu): SUBMIT %s, fence status %d",
				  faultable ? "fault-model" : "pre-validated",
				  fdi, s - slots, first, n, tm_errname(ret), status);
		}
		atomic_fetch_add(&progress, 1);
	}
	free(sn);
	return NULL;
}
