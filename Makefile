# spool: a durable message queue in a directory.  GNU make.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config

CC ?= cc
CFLAGS ?= -O2 -g
SPOOL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Ilib -MMD -MP
ARCHIVE_CFLAGS := $(shell $(PKG_CONFIG) --cflags libarchive 2>/dev/null)
ARCHIVE_LIBS := $(shell $(PKG_CONFIG) --libs libarchive 2>/dev/null)

LIB_SRC := $(sort $(wildcard lib/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
LIB_OBJ := $(LIB_SRC:.c=.o)
CMD_OBJ := $(CMD_SRC:.c=.o)

all: spool

spool: $(CMD_OBJ) libspool.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) libspool.a $(ARCHIVE_LIBS)

libspool.a: $(LIB_OBJ)
	$(AR) rcs $@ $(LIB_OBJ)

%.o: %.c
	$(CC) $(SPOOL_CFLAGS) $(ARCHIVE_CFLAGS) $(CFLAGS) -c -o $@ $<

clean:
	rm -f spool libspool.a lib/*.o cmd/*.o lib/*.d cmd/*.d

.PHONY: all clean

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
