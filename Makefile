# arcverify - see README.md. `make check` and `make demo` install what they need first (deps).
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
       -Wsign-compare -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -pthread -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) -Iinclude \
	$(shell $(PKG_CONFIG) --cflags openssl 2>/dev/null)
LIBS = $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto) -lresolv -pthread
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check 2>/dev/null) $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null) -lutil

SRC = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ = $(SRC:src/%.c=build/%.o)
TEST_SRC = $(wildcard tests/*.c)
TEST_OBJ = $(TEST_SRC:tests/%.c=build/tests/%.o)
SHARED ?= $(CURDIR)/../shared

.PHONY: all deps check check-asan check-valgrind demo bench install clean lint-man

all: arcverify

build/%.o: src/%.c $(wildcard include/*.h) | build
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/tests/%.o: tests/%.c $(wildcard include/*.h tests/*.h) | build
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -c $< -o $@

build:
	mkdir -p build/tests

arcverify: build/main.o $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/run-tests: $(TEST_OBJ) $(OBJ) arcverify build/dnstest-server
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(OBJ) $(CHECK_LIBS) $(LIBS)

# the test DNS server as a program, for make bench (see tests/server/dnstest-server.c)
build/dnstest-server: tests/server/dnstest-server.c build/tests/dnsserver.o $(OBJ)
	$(CC) $(ALL_CFLAGS) -Itests $(LDFLAGS) -o $@ $< build/tests/dnsserver.o $(OBJ) $(LIBS)

deps:
	@sh tests/deps.sh

check: deps
	$(MAKE) tests/run-tests
	ARCVERIFY_SHARED=$(SHARED) ARCVERIFY_BIN=$(CURDIR)/arcverify ./tests/run-tests

check-asan: deps
	$(MAKE) clean
	$(MAKE) tests/run-tests CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ARCVERIFY_SHARED=$(SHARED) ARCVERIFY_BIN=$(CURDIR)/arcverify CK_FORK=no ./tests/run-tests
	$(MAKE) clean

check-valgrind: deps
	$(MAKE) tests/run-tests
	ARCVERIFY_SHARED=$(SHARED) ARCVERIFY_BIN=$(CURDIR)/arcverify CK_FORK=no \
		valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
		--trace-children=no ./tests/run-tests

demo: deps arcverify
	@sh tests/demo.sh

bench: arcverify build/dnstest-server
	@sh tests/bench.sh

lint-man:
	mandoc -Tlint -W warning man/arcverify.1 man/arcverify-json.5

clean:
	rm -rf build arcverify tests/run-tests

# ---- install: PREFIX, DESTDIR, BINDIR, MANDIR, DOCDIR (GNU conventions) ----
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/arcverify
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 755
INSTALL_DATA ?= $(INSTALL) -m 644
INSTALLED = $(BINDIR)/arcverify $(MANDIR)/man1/arcverify.1 $(MANDIR)/man5/arcverify-json.5 \
	$(DOCDIR)/README.md $(DOCDIR)/LICENSE

.PHONY: install install-strip uninstall

install: arcverify
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man5" "$(DESTDIR)$(DOCDIR)"
	$(INSTALL_PROGRAM) arcverify "$(DESTDIR)$(BINDIR)/arcverify"
	$(INSTALL_DATA) man/arcverify.1 "$(DESTDIR)$(MANDIR)/man1/arcverify.1"
	$(INSTALL_DATA) man/arcverify-json.5 "$(DESTDIR)$(MANDIR)/man5/arcverify-json.5"
	$(INSTALL_DATA) README.md LICENSE "$(DESTDIR)$(DOCDIR)"

install-strip:
	$(MAKE) INSTALL_PROGRAM='$(INSTALL_PROGRAM) -s' install

uninstall:
	rm -f $(INSTALLED:%="$(DESTDIR)%")
	-rmdir "$(DESTDIR)$(DOCDIR)" 2>/dev/null
