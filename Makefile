# rdbpipe: plain GNU make.  `make check` installs what it needs (deps),
# builds with -Werror, runs the unit and bats suites, then runs them again
# under ASan+UBSan.  Programs, common modules, unit tests and bats suites are
# found by wildcard, so adding a file never means editing this one.

VERSION  = 0.1.0
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
SBINDIR  = $(PREFIX)/sbin
MANDIR   = $(PREFIX)/share/man
DOCDIR   = $(PREFIX)/share/doc/rdbpipe

CC      ?= cc
PKGS     = hiredis liblzma libzstd libsodium libcurl openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -DRDBPIPE_VERSION='"$(VERSION)"' \
	   -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Icommon $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread

# SANITIZER=address,undefined builds into its own tree so both builds can
# coexist and `make check` can run the suites against each in turn.
SANITIZER ?=
ifneq ($(SANITIZER),)
CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZER)
B        = build/san
else
B        = build/std
endif

PROGS    = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
SCRIPTS  = $(wildcard contrib/redis-backup contrib/redis-restore)
COMMON   = $(patsubst common/%.c,$(B)/common/%.o,$(wildcard common/*.c))
UNITS    = $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/test_*.c))
BINS     = $(addprefix $(B)/bin/,$(PROGS))
MANS     = $(wildcard man/*.[18])
BATS     = $(wildcard tests/*.bats)

.PHONY: all check test units unit bats lint install uninstall clean demo bench fuzz deps \
	print-pkgs
.DELETE_ON_ERROR:
# Objects are kept between runs (they would count as intermediates).
.SECONDARY:

all: $(BINS)

$(B)/common/%.o: common/%.c $(wildcard common/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/cmd/%.o: cmd/%.c $(wildcard cmd/*.h) $(wildcard common/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/bin/%: $(B)/cmd/%.o $(COMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# zlib only for the tests: some age testkit vectors are compressed.
UNIT_LIBS = -lz
$(B)/unit/%: tests/unit/%.c tests/unit/tap.h $(COMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(COMMON) $(LDLIBS) $(UNIT_LIBS)

# The suites run through tests/run, which counts TAP results across every
# suite (a skip counts as a failure) and appends them to build/results.
units: $(UNITS)

unit: $(UNITS)
	@tests/run --bin $(B)/bin --label "unit$(if $(SANITIZER),+san)" $(UNITS)

# The harness suites check the test Swift and Keystone themselves, with
# python-swiftclient and no program of ours: the sanitizer pass skips them.
HARNESS  = $(wildcard tests/swift-harness*.bats)
bats: $(BINS)
	@tests/run --bin $(B)/bin --label "bats$(if $(SANITIZER),+san)" \
	    $(if $(SANITIZER),$(filter-out $(HARNESS),$(BATS)),$(BATS))

lint:
	@tests/run --bin $(B)/bin --label lint tests/lint.sh

# check runs everything even when an early suite fails, then prints one
# total line and fails if anything failed.
# A build that fails is recorded as a failure too, so the total can never
# read "0 failed" over suites that did not run.
SAN = SANITIZER=address,undefined
#
# The two bats passes (plain and ASan+UBSan) run side by side: most of
# their time is spent waiting on Redis, Swift and Keystone, and every suite
# keeps to its own temp dir, ports and processes.  Each pass's output is
# kept in build/ and printed whole when the pass ends.
check: deps
	@mkdir -p build && rm -f build/results
	@$(MAKE) --no-print-directory -j2 all units || tests/run --fail build
	@$(MAKE) --no-print-directory -j2 $(SAN) all units || tests/run --fail build+san
	@$(MAKE) --no-print-directory lint || true
	@$(MAKE) --no-print-directory unit || true
	@$(MAKE) --no-print-directory $(SAN) unit || true
	@{ $(MAKE) --no-print-directory bats >build/bats.log 2>&1; \
	   cat build/bats.log; } & \
	 { $(MAKE) --no-print-directory $(SAN) bats >build/bats-san.log 2>&1; \
	   cat build/bats-san.log; }; wait
	@tests/run --total

test: check

# rdb-install and the scripts are administrator commands: sbin.
SBIN_PROGS = $(filter rdb-install,$(PROGS))
BIN_PROGS  = $(filter-out $(SBIN_PROGS),$(PROGS))
EXAMPLES   = contrib/cron.d/redis-backup contrib/systemd/redis-backup.service \
	     contrib/systemd/redis-backup.sysusers.conf contrib/systemd/redis-backup.tmpfiles.conf \
	     contrib/systemd/redis-backup.timer contrib/redis-backup.default \
	     contrib/systemd/aof-archive@.service

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DOCDIR)/examples
	for p in $(BIN_PROGS); do install -m 755 $(B)/bin/$$p $(DESTDIR)$(BINDIR)/; done
	for p in $(SBIN_PROGS); do install -m 755 $(B)/bin/$$p $(DESTDIR)$(SBINDIR)/; done
	for s in $(SCRIPTS); do \
		sed 's/@VERSION@/$(VERSION)/' $$s >$(DESTDIR)$(SBINDIR)/$${s##*/} && \
		chmod 755 $(DESTDIR)$(SBINDIR)/$${s##*/}; done
	for m in $(MANS); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	for e in $(EXAMPLES); do install -m 644 $$e $(DESTDIR)$(DOCDIR)/examples/; done
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/

uninstall:
	for p in $(BIN_PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(SBIN_PROGS) $(notdir $(SCRIPTS)); do rm -f $(DESTDIR)$(SBINDIR)/$$p; done
	for m in $(MANS); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	for e in $(EXAMPLES); do rm -f $(DESTDIR)$(DOCDIR)/examples/$${e##*/}; done
	rm -f $(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build

demo: deps all
	@tests/demo.sh

bench: deps all
	@tests/bench/run.sh

fuzz: deps
	@tests/fuzz/run.sh

# The libraries' pkg-config names, for scripts that build outside make
# (tests/fuzz/run.sh).
print-pkgs:
	@echo $(PKGS)

deps:
	@tests/deps.sh
