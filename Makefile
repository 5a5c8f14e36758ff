# SPDX-License-Identifier: GPL-2.0
#
# test_mirror: top-level Makefile.
#
#   make                 module for KDIR (default: Debian 12's 6.1 headers) + test programs
#   make demo            boot a real kernel under qemu and run the demo
#   make check           install what is missing, then the whole suite on every kernel
#   make check KERNELS=6.1
#
# Each kernel is built in its own directory, build/<kernel release>/, which
# holds links to the sources, so several kernels never share object files.

SHELL      := /bin/bash
TOP        := $(CURDIR)
BUILD      := $(TOP)/build
KERNELS    ?= 6.1 6.12

# The headers to build against: the newest installed Debian 6.1 headers,
# unless KDIR is given.
KDIR       ?= $(shell $(TOP)/scripts/kernels.sh kdir 6.1 2>/dev/null)
KREL        = $(notdir $(patsubst %/,%,$(KDIR:/build=)))
KREL_DIR    = $(BUILD)/$(patsubst linux-headers-%,%,$(KREL))

DRIVER_SRC := $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h)

CC         ?= gcc
US_DIR     := $(BUILD)/userspace
US_CFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	      -I$(TOP)/uapi -I$(TOP)/userspace-test \
	      $(shell pkg-config --cflags libdrm 2>/dev/null)
US_LDFLAGS := -static -pthread
US_LIBS    := $(shell pkg-config --static --libs libdrm 2>/dev/null)
US_LIB_SRC := $(TOP)/userspace-test/tm_lib.c
US_HDRS    := $(wildcard $(TOP)/userspace-test/*.h) $(TOP)/uapi/drm/test_mirror_drm.h
US_PROGS   := $(patsubst $(TOP)/userspace-test/%.c,$(US_DIR)/%, \
	      $(filter-out $(US_LIB_SRC),$(wildcard $(TOP)/userspace-test/*.c)))

.PHONY: all module userspace clean check demo bench
all: module userspace

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "KDIR not found: run scripts/deps.sh or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(KREL_DIR)/driver
	@ln -sf $(TOP)/Kbuild $(KREL_DIR)/Kbuild
	@for f in $(DRIVER_SRC); do ln -sf $$f $(KREL_DIR)/driver/; done
	@find $(KREL_DIR)/driver -xtype l -delete
	$(MAKE) -C $(KDIR) M=$(KREL_DIR) TM_SRC=$(TOP) $(if $(W),W=$(W)) $(if $(C),C=$(C)) modules

userspace: $(US_PROGS)

$(US_DIR)/%: $(TOP)/userspace-test/%.c $(US_LIB_SRC) $(US_HDRS)
	@mkdir -p $(US_DIR)
	$(CC) $(US_CFLAGS) -o $@ $< $(US_LIB_SRC) $(US_LDFLAGS) $(US_LIBS)

check:
	$(TOP)/scripts/deps.sh
	$(TOP)/scripts/check.sh $(KERNELS)

demo:
	$(TOP)/scripts/deps.sh
	$(TOP)/scripts/demo.sh

clean:
	rm -rf $(BUILD)
