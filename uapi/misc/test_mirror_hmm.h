/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * test_mirror: the ioctl ABI of Linux 6.1's lib/test_hmm, as served by
 * the test_mirror module (driver/tm_hmm_compat.c) on /dev/hmm_dmirror0 and /dev/hmm_dmirror1.
 *
 * Written from the ABI, not from the kernel's header: the names here are
 * test_mirror's own, while the structure layout, the ioctl numbers and the
 * per-page values are exactly those of the kernel's private test header
 * (lib/test_hmm_uapi.h), so that a program built against that header, such
 * as tools/testing/selftests/vm/hmm-tests.c, talks to test_mirror unchanged.
 *
 * The header is self-contained: it needs only <linux/types.h> and
 * <linux/ioctl.h>.
 */
#ifndef _UAPI_MISC_TEST_MIRROR_HMM_H_
#define _UAPI_MISC_TEST_MIRROR_HMM_H_

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct tm_hmm_cmd - the argument of every command (40 bytes)
 * @addr: in: device (= CPU virtual) address of the first page, page aligned.
 * @ptr: in: user buffer: @npages pages of data for READ (destination) and
 *	WRITE (source); @npages bytes, one TM_HMM_PROT_* value per page, for
 *	SNAPSHOT.
 * @npages: in: number of pages, non-zero.
 * @cpages: out: pages copied (READ, WRITE) or reported (SNAPSHOT).
 * @faults: out: device faults taken (READ, WRITE). A fault resolves every
 *	page from the first one missing to the end of the request, so it is
 *	1 for a range the device had not mirrored yet and 0 for one it had.
 *
 * The out fields are written back only when the command succeeds.
 */
struct tm_hmm_cmd {
	__u64 addr;
	__u64 ptr;
	__u64 npages;
	__u64 cpages;
	__u64 faults;
};

#define TM_HMM_IOC_TYPE			'H'

/* Device read and write of the caller's memory through the mirror. */
#define TM_HMM_IOC_READ			_IOWR(TM_HMM_IOC_TYPE, 0x00, struct tm_hmm_cmd)
#define TM_HMM_IOC_WRITE		_IOWR(TM_HMM_IOC_TYPE, 0x01, struct tm_hmm_cmd)
/*
 * Migration to and from device memory, where the kernel has device-private
 * memory (else EOPNOTSUPP).
 */
#define TM_HMM_IOC_MIGRATE_TO_DEV	_IOWR(TM_HMM_IOC_TYPE, 0x02, struct tm_hmm_cmd)
#define TM_HMM_IOC_MIGRATE_TO_SYS	_IOWR(TM_HMM_IOC_TYPE, 0x03, struct tm_hmm_cmd)
/* The CPU page table state of a range, without faulting. */
#define TM_HMM_IOC_SNAPSHOT		_IOWR(TM_HMM_IOC_TYPE, 0x04, struct tm_hmm_cmd)
/* Exclusive (atomic) device access: not supported here (EOPNOTSUPP). */
#define TM_HMM_IOC_EXCLUSIVE		_IOWR(TM_HMM_IOC_TYPE, 0x05, struct tm_hmm_cmd)
#define TM_HMM_IOC_CHECK_EXCLUSIVE	_IOWR(TM_HMM_IOC_TYPE, 0x06, struct tm_hmm_cmd)
/* Release of device memory: evicts all of it (else EOPNOTSUPP). */
#define TM_HMM_IOC_RELEASE		_IOWR(TM_HMM_IOC_TYPE, 0x07, struct tm_hmm_cmd)
/* Test flags in @npages (Linux 7.3's HMM_DMIRROR_FLAGS), else EOPNOTSUPP. */
#define TM_HMM_IOC_FLAGS		_IOWR(TM_HMM_IOC_TYPE, 0x08, struct tm_hmm_cmd)
/*
 * FLAGS: the next huge device allocation fails (a fallback to 4 KiB pages);
 * test_mirror allocates 4 KiB pages only, so it changes nothing here.
 */
#define TM_HMM_FLAG_FAIL_ALLOC		(1ULL << 0)
/*
 * READ whose device faults may drop the mmap lock and wait, as a CPU fault
 * does (a userfaultfd handler can supply the page): from Linux 7.3's
 * test_hmm. Where the kernel cannot (before 7.3: the DRM front-end's
 * TEST_MIRROR_CAP_UFFD_FAULTS is clear), EOPNOTSUPP.
 */
#define TM_HMM_IOC_READ_UNLOCKED	_IOWR(TM_HMM_IOC_TYPE, 0x09, struct tm_hmm_cmd)

/*
 * SNAPSHOT: one byte per page. ERROR stands alone; otherwise the byte is
 * one of NONE, ZERO or a DEV_* kind, plus READ or WRITE for a present page,
 * plus PMD or PUD when the CPU maps the page with an entry of that size.
 */
#define TM_HMM_PROT_ERROR		0xff	/* no valid CPU mapping (no VMA, no access) */
#define TM_HMM_PROT_NONE		0x00	/* not populated */
#define TM_HMM_PROT_READ		0x01	/* present, read-only */
#define TM_HMM_PROT_WRITE		0x02	/* present, writable */
#define TM_HMM_PROT_PMD			0x04	/* mapped by a PMD-sized entry */
#define TM_HMM_PROT_PUD			0x08	/* mapped by a PUD-sized entry */
#define TM_HMM_PROT_ZERO		0x10	/* the shared zero page */
#define TM_HMM_PROT_DEV_PRIVATE_LOCAL	0x20	/* device-private page of this device */
#define TM_HMM_PROT_DEV_PRIVATE_REMOTE	0x30	/* device-private page of another device */
#define TM_HMM_PROT_DEV_COHERENT_LOCAL	0x40	/* device-coherent page of this device */
#define TM_HMM_PROT_DEV_COHERENT_REMOTE	0x50	/* device-coherent page of another device */

#endif /* _UAPI_MISC_TEST_MIRROR_HMM_H_ */
