// SPDX-License-Identifier: GPL-2.0
/*
 * tm_sys: procfs, sysfs and debugfs files, pagemap and smaps, fd passing,
 * memory cgroups, the tm_invalidate tracepoint, the kernel's version. See
 * tm_sys.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tm_lib.h"

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

int tm_write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int f;

	f = open(path, O_WRONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = write(f, val, len);
	if (n < 0) {
		n = -errno;
		close(f);
		return (int)n;
	}
	close(f);
	return (size_t)n == len ? 0 : -EIO;
}

int tm_read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int f;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(f);
		return (int)n;
	}
	close(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int tm_read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	int ret = tm_read_str(path, buf, sizeof(buf));

	if (ret)
		return ret;
	*v = strtoull(buf, NULL, 0);
	return 0;
}

int tm_read_text(const char *path, char *out, size_t len)
{
	size_t got = 0;
	ssize_t r = 0;
	int f;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	while (got + 1 < len) {
		r = read(f, out + got, len - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	r = r < 0 ? -errno : 0;
	close(f);
	out[got] = '\0';
	return (int)r;
}

void tm_must_write_at(const char *path, const char *val, const char *file,
		      int line)
{
	int ret = tm_write_str(path, val);

	if (ret)
		tm_fail(file, line, "write '%s' to %s: %s", val, path,
			tm_errname(ret));
}

void tm_must_read_str_at(const char *path, char *buf, size_t len,
			 const char *file, int line)
{
	int ret = tm_read_str(path, buf, len);

	if (ret)
		tm_fail(file, line, "read %s: %s", path, tm_errname(ret));
}

const char *tm_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "?";
	return u.release;
}

unsigned int tm_kernel_version(void)
{
	unsigned int major = 0, minor = 0;

	if (sscanf(tm_kernel_release(), "%u.%u", &major, &minor) != 2)
		return 0;
	return major * 100 + minor;
}

unsigned int tm_must_kernel_version_at(const char *file, int line)
{
	unsigned int v = tm_kernel_version();

	if (!v)
		tm_fail(file, line, "uname: cannot read the kernel release");
	return v;
}

/* ------------------------------------------------------------------------ */
/* Memory of this process                                                    */
/* ------------------------------------------------------------------------ */

int tm_pagemap_read(const void *addr, uint64_t *ent)
{
	int f = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (f < 0)
		return -errno;
	n = pread(f, ent, 8, (off_t)(ADDR(addr) / PAGE_SZ * 8));
	if (n < 0)
		n = -errno;
	close(f);
	return n == 8 ? 0 : n < 0 ? (int)n : -EIO;
}

uint64_t tm_pagemap_at(const void *addr, const char *file, int line)
{
	uint64_t e = 0;
	int ret = tm_pagemap_read(addr, &e);

	if (ret)
		tm_fail(file, line, "/proc/self/pagemap at %p: %s", addr,
			tm_errname(ret));
	return e;
}

bool tm_swapped(const void *addr)
{
	uint64_t e = 0;

	return !tm_pagemap_read(addr, &e) && (e & PM_SWAP);
}

long tm_smaps_kb_at(const void *addr, const char *field, const char *file,
		    int line)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char text[512];
	bool in = false;
	long kb = -1;

	if (!f)
		tm_fail(file, line, "open /proc/self/smaps: %s",
			tm_errname(errno));
	while (fgets(text, sizeof(text), f)) {
		unsigned long s, e;

		if (sscanf(text, "%lx-%lx ", &s, &e) == 2) {
			in = ADDR(addr) >= s && ADDR(addr) < e;
			continue;
		}
		if (in && !strncmp(text, field, strlen(field))) {
			kb = strtol(text + strlen(field), NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

void tm_pin_cpu0_at(const char *file, int line)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		tm_fail(file, line, "sched_setaffinity: %s", tm_errname(errno));
}

bool tm_have_swap(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[256];
	int n = 0;

	if (!f)
		return false;
	/* a header line, then one per device */
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;
}

bool tm_thp_usable(void)
{
	char buf[128];

	if (tm_read_str("/sys/kernel/mm/transparent_hugepage/enabled", buf,
			sizeof(buf)))
		return false;
	return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

/* ------------------------------------------------------------------------ */
/* File descriptors between processes                                        */
/* ------------------------------------------------------------------------ */

/* Room for one fd of ancillary data, aligned for a struct cmsghdr. */
union tm_cmsg_buf {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/*
 * A message of len bytes at data (data NULL: one byte at *byte, as a
 * stream socket carries no ancillary data without data) and room for one
 * fd.
 */
static void tm_fd_msg(struct msghdr *msg, struct iovec *iov,
		      union tm_cmsg_buf *u, void *data, size_t len,
		      char *byte)
{
	iov->iov_base = data ? data : byte;
	iov->iov_len = data ? len : 1;
	memset(u, 0, sizeof(*u));
	memset(msg, 0, sizeof(*msg));
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = u->buf;
	msg->msg_controllen = sizeof(u->buf);
}

void tm_send_fd_at(int sock, int fd, const void *data, size_t len,
		   const char *file, int line)
{
	char byte = 'F';
	union tm_cmsg_buf u;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;

	tm_fd_msg(&msg, &iov, &u, (void *)data, len, &byte);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != (ssize_t)iov.iov_len)
		tm_fail(file, line, "sendmsg: %s", tm_errname(errno));
}

int tm_recv_fd_at(int sock, void *data, size_t len, const char *file,
		  int line)
{
	union tm_cmsg_buf u;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	char byte;
	int fd;

	tm_fd_msg(&msg, &iov, &u, data, len, &byte);
	if (recvmsg(sock, &msg, 0) != (ssize_t)iov.iov_len)
		tm_fail(file, line, "recvmsg: %s", tm_errname(errno));
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		tm_fail(file, line, "no SCM_RIGHTS: no fd received");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ------------------------------------------------------------------------ */
/* The driver's debugfs                                                      */
/* ------------------------------------------------------------------------ */

void tm_dbg_need(void)
{
	DIR *d = opendir(TM_DEBUGFS);

	if (!d)
		SKIP("%s: %s", TM_DEBUGFS, tm_errname(errno));
	closedir(d);
}

void tm_dbg_state_path_at(char *path, size_t len, const void *p,
			  size_t npages, const char *file, int line)
{
	char prefix[32], tag[64], cand[320];
	char *text = p ? malloc(TM_STATE_MAX) : NULL;
	struct dirent *de;
	int found = 0;
	DIR *d;

	/* one directory per open file: <opener's pid>-<id> */
	snprintf(prefix, sizeof(prefix), "%d-", (int)getpid());
	snprintf(tag, sizeof(tag), ": 0x%" PRIx64 "-0x%" PRIx64 " ", ADDR(p),
		 ADDR(p) + SZ(npages));
	if (p && !text)
		tm_fail(file, line, "out of memory");
	d = opendir(TM_DEBUGFS);
	if (!d)
		tm_fail(file, line, "%s: %s", TM_DEBUGFS, tm_errname(errno));
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(cand, sizeof(cand), "%s/%.64s/state", TM_DEBUGFS,
			 de->d_name);
		if (p && (tm_read_text(cand, text, TM_STATE_MAX) ||
			  !strstr(text, tag)))
			continue;
		if (!found++ && (size_t)snprintf(path, len, "%s", cand) >= len)
			tm_fail(file, line, "path of %s too long", cand);
		if (p)
			break;
	}
	closedir(d);
	free(text);
	if (!found && p)
		tm_fail(file, line, "no %s/%s*/state lists the binding%s",
			TM_DEBUGFS, prefix, tag);
	if (found != 1 && !p)
		tm_fail(file, line, "%d debugfs directories %s*, expected 1",
			found, prefix);
}

void tm_dbg_read_state_at(const void *p, size_t npages, char *out,
			  const char *file, int line)
{
	char path[320];
	int ret;

	tm_dbg_state_path_at(path, sizeof(path), p, npages, file, line);
	ret = tm_read_text(path, out, TM_STATE_MAX);
	if (ret)
		tm_fail(file, line, "%s: %s", path, tm_errname(ret));
}

long tm_dbg_segments_at(const char *path, bool *cuts, const char *file,
			int line)
{
	FILE *f = fopen(path, "re");
	char text[256];
	long segs = -1;

	if (!f)
		tm_fail(file, line, "%s: %s", path, tm_errname(errno));
	if (cuts)
		*cuts = false;
	/* the whole file: a state of many segments is long */
	while (fgets(text, sizeof(text), f)) {
		long s;

		if (segs < 0 &&
		    sscanf(text, "bindings: %*u, segments: %ld", &s) == 1)
			segs = s;
		if (cuts && !strncmp(text, "    cut ", 8))
			*cuts = true;
	}
	fclose(f);
	return segs;
}

void tm_dbg_diag(const char *state)
{
	const char *l, *nl;

	for (l = state; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl) {
			tm_diag("state: %s", l);
			break;
		}
		tm_diag("state: %.*s", (int)(nl - l), l);
	}
}

void tm_dbg_wait_split_at(const void *p, size_t npages, char *out,
			  const char *file, int line)
{
	unsigned int scale = tm_timeout_scale(), ms;

	for (ms = 0; ms < 10000 * scale; ms += 20) {
		tm_dbg_read_state_at(p, npages, out, file, line);
		if (!strstr(out, "    cut "))
			return;
		usleep(20000);
	}
	tm_dbg_diag(out);
	tm_fail(file, line, "the segment still has cuts after %u s",
		10 * scale);
}

/* ------------------------------------------------------------------------ */
/* Memory cgroups                                                            */
/* ------------------------------------------------------------------------ */

bool tm_cg_usable(void)
{
	char buf[256];

	if (tm_read_str(TM_CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf)))
		return false;
	return strstr(buf, "memory") != NULL;
}

void tm_cg_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, TM_CG_ROOT "/%s_%s_%d",
		 program_invocation_short_name, name, (int)getpid());
}

int tm_cg_write(const char *cg, const char *file, const char *val)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", cg, file);
	return tm_write_str(p, val);
}

long long tm_cg_read(const char *cg, const char *file, const char *key)
{
	char p[256], text[256];
	long long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", cg, file);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(text, sizeof(text), f)) {
		if (!key) {
			v = strtoll(text, NULL, 10);
			break;
		}
		if (!strncmp(text, key, strlen(key)) &&
		    text[strlen(key)] == ' ') {
			v = strtoll(text + strlen(key) + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

void tm_cg_make_at(const char *cg, const char *max, const char *file,
		   int line)
{
	int ret;

	if (mkdir(cg, 0755) && errno != EEXIST)
		tm_fail(file, line, "mkdir %s: %s", cg, tm_errname(errno));
	if (max) {
		ret = tm_cg_write(cg, "memory.max", max);
		if (ret)
			tm_fail(file, line, "%s/memory.max: %s", cg,
				tm_errname(ret));
	}
	/* no swapping out of the way of the OOM killer */
	tm_cg_write(cg, "memory.swap.max", "0");
}

void tm_cg_remove(const char *cg)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!rmdir(cg) || errno == ENOENT)
			return;
		usleep(10000);
	}
	tm_diag("could not remove %s: %s", cg, tm_errname(errno));
}

void tm_cg_enter_at(const char *cg, const char *file, int line)
{
	int ret = tm_cg_write(cg, "cgroup.procs", "0");

	if (ret)
		tm_fail(file, line, "enter %s: %s", cg, tm_errname(ret));
}

/* ------------------------------------------------------------------------ */
/* The tm_invalidate tracepoint                                              */
/* ------------------------------------------------------------------------ */

#define TM_TRACING	"/sys/kernel/tracing/"
#define TM_TR_EVENT	"events/test_mirror/tm_invalidate/"

/* This test's trace instance: instances/<program>_<pid>/ */
static char tm_tr_inst[128];

static const char *tm_tr_path(const char *rel)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, sizeof(buf[0]), "%s%s", tm_tr_inst, rel);
	return b;
}

int tm_trace_parse(const char *text, struct tm_trace_rec *r)
{
	char line[512], evn[32], actn[32], *br, *dash;
	const char *s = strstr(text, "tm_invalidate: ");
	unsigned int bl;
	int ev, act;

	if (text[0] == '#' || !s)
		return 0;
	if (sscanf(s, "tm_invalidate: handle=%u range=0x%" SCNx64 "-0x%" SCNx64
		   " event=%31s action=%31s blockable=%u entries=%" SCNu64,
		   &r->handle, &r->start, &r->end, evn, actn, &bl,
		   &r->ent) != 7)
		return -EINVAL;
	ev = tm_event_value(evn);
	act = tm_action_value(actn);
	if (ev < 0 || act < 0)
		return -EINVAL;
	r->ev = (uint32_t)ev;
	r->act = (uint32_t)act;
	r->fl = bl;
	/* "  comm-pid  [cpu] ..." */
	snprintf(line, sizeof(line), "%s", text);
	br = strstr(line, " [");
	r->pid = 0;
	r->comm[0] = 0;
	if (br) {
		*br = 0;
		dash = strrchr(line, '-');
		if (dash) {
			char *c = line;

			r->pid = atoi(dash + 1);
			*dash = 0;
			while (*c == ' ')
				c++;
			snprintf(r->comm, sizeof(r->comm), "%.31s", c);
		}
	}
	return 1;
}

static void tm_trace_stop(void)
{
	tm_write_str(tm_tr_path(TM_TR_EVENT "enable"), "0");
	rmdir(tm_tr_inst);
}

void tm_trace_start_at(const char *file, int line)
{
	int pfd[2];
	pid_t pid;

	if (access(TM_TRACING "events/test_mirror/tm_invalidate", F_OK))
		SKIP("no test_mirror:tm_invalidate tracepoint in tracefs (%s)",
		     tm_errname(errno));
	snprintf(tm_tr_inst, sizeof(tm_tr_inst), TM_TRACING "instances/%s_%d/",
		 program_invocation_short_name, getpid());
	if (mkdir(tm_tr_inst, 0755))
		tm_fail(file, line, "mkdir %s: %s", tm_tr_inst,
			tm_errname(errno));

	if (pipe(pfd))
		tm_fail(file, line, "pipe: %s", tm_errname(errno));
	pid = fork();
	if (pid < 0)
		tm_fail(file, line, "fork: %s", tm_errname(errno));
	if (pid == 0) {
		char c;
		int i;

		/* outside the test's process group, which the harness kills */
		setsid();
		for (i = 3; i < 1024; i++)
			if (i != pfd[0])
				close(i);
		while (read(pfd[0], &c, 1) > 0)
			;
		tm_trace_stop();
		_exit(0);
	}
	close(pfd[0]);	/* pfd[1] stays open until this test process ends */

	tm_must_write_at(tm_tr_path(TM_TR_EVENT "enable"), "1", file, line);
	tm_must_write_at(tm_tr_path("tracing_on"), "1", file, line);
}

int tm_trace_read_at(struct tm_trace_rec *recs, int max, const char *file,
		     int line)
{
	FILE *f = fopen(tm_tr_path("trace"), "re");
	char text[512];
	int n = 0;

	if (!f)
		tm_fail(file, line, "open trace: %s", tm_errname(errno));
	while (n < max && fgets(text, sizeof(text), f)) {
		int r = tm_trace_parse(text, &recs[n]);

		if (r < 0)
			tm_fail(file, line, "cannot parse trace line: %s", text);
		n += r;
	}
	fclose(f);
	return n;
}

void tm_trace_print(const struct tm_trace_rec *r, int n)
{
	int i;

	tm_diag("trace: %d record(s)", n);
	for (i = 0; i < n && i < 40; i++)
		tm_diag("  %s-%d: handle %u %s [0x%" PRIx64 ", 0x%" PRIx64
			") %s, entries %" PRIu64 "%s", r[i].comm, r[i].pid,
			r[i].handle, tm_event_name(r[i].ev), r[i].start,
			r[i].end, tm_action_name(r[i].act), r[i].ent,
			r[i].fl & 1 ? "" : " NON-BLOCKABLE");
}

int tm_trace_find(const struct tm_trace_rec *r, int n, int from,
		  unsigned int ev, int blockable, uint64_t s, uint64_t e)
{
	int i;

	for (i = from; i < n; i++)
		if (r[i].ev == ev && r[i].start <= s && r[i].end >= e &&
		    (blockable < 0 || !!(r[i].fl & 1) == blockable))
			return i;
	return -1;
}
