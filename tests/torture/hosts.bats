#!/usr/bin/env bats
# hosts.bats: family H, several hosts on one queue.  A "host" is a UTS
# (and mount, and PID) namespace of its own: its own hostname, its own
# view of the queue through bindfs (FUSE, which refuses RENAME_NOREPLACE
# as NFS does), its own PIDs, its own clock (libfaketime).  Also a shim
# that lies as a forgetful NFS client does.

load ../helper
load torture

setup() {
	tt_setup
	require_root
	require_cmd unshare
	D=$(tt_fastdir)
}

# bindfs options of an NFS-like view: short caches, stale stats.
BINDFS_OPTS=entry_timeout=1,attr_timeout=1,negative_timeout=1

require_bindfs() {
	require_cmd bindfs fusermount
	[ -c /dev/fuse ] || skip "needs /dev/fuse"
}

@test "H1: through a FUSE view, NOREPLACE gets EINVAL and push falls back to link+unlink" {
	require_bindfs
	mkdir -p "$D/backing" "$D/view"
	spool init "$D/backing/q" >/dev/null
	run -0 unshare -m --propagation private sh -c '
		bindfs -o "$1" "$2/backing" "$2/view" || exit 99
		strace -f -qq -o "$2/tr" -e trace=renameat2,linkat,unlinkat \
		    spool push "$2/view/q" -m hello
		rc=$?
		fusermount -u "$2/view" 2>/dev/null || umount "$2/view"
		exit $rc' sh "$BINDFS_OPTS" "$D"
	id=$output
	grep -q 'renameat2(.*RENAME_NOREPLACE) = -1 EINVAL' "$D/tr"
	grep -q "linkat(.*\"$id\"" "$D/tr"
	# One message, one link: the fallback finished its unlink.
	run -0 find "$D/backing/q/new" -type f -links 1 -name "$id.a0.s5"
	[ -n "$output" ]
	[ -z "$(ls "$D/backing/q/tmp")" ]
}

@test "H1: two hosts, FUSE views, one clock half a second ahead, push and run -j 2: I1-I7" {
	require_bindfs
	require_faketime
	local secs=4 h
	[ "$TT_LONG" = 1 ] && secs=120
	mkdir -p "$D/backing/l" "$D/view"
	spool init "$D/backing/q" --lease 4s >/dev/null
	: >"$D/backing/l/errors"
	for h in A B; do
		unshare -m -u --propagation private bash -c '
			h=$1 D=$2 opts=$3 secs=$4 tt=$5 fake=$6
			hostname "host$h"
			bindfs -o "$opts" "$D/backing" "$D/view" || exit 99
			[ "$h" = B ] && export LD_PRELOAD=$fake SHIM_SKEW=0.5
			export WORKER_LEDGERS=$D/backing/l
			"$tt/worker" producer "$D/view" "$([ "$h" = A ] && echo 1 || echo 50000000)" 0 l &
			p=$!
			"$tt/worker" runner "$D/view" 4s &
			r=$!
			sleep "$secs"
			kill "$p"
			touch "$D/view/stop"
			wait "$r"
			wait
			fusermount -u "$D/view" 2>/dev/null || umount "$D/view"
		' host "$h" "$D" "$BINDFS_OPTS" "$secs" "$TT" "$TTB/clock.so" \
		    3>&- &
		tt_track $!
	done
	wait
	# Recovery on the backing directory, hours later.
	local q=$D/backing/q l=$D/backing/l
	find "$q/tmp" -mindepth 1 -exec touch -h -d '-37 hours' {} +
	tt_faketime +2h spool gc "$q" >/dev/null
	LED=$l
	tt_drain "$q"
	[ ! -s "$l/errors" ] || { cat "$l/errors"; false; }
	echo "# $(wc -l <"$l/pushed") pushed, $(wc -l <"$l/delivered") deliveries"
	run -0 tt_checkq "$q"
	echo "$output"
	# Both hosts pushed, under their own host hash.
	[ "$(cut -c26-31 "$l/pushed" | sort -u | wc -l)" = 2 ]
}

@test "H2: equal hostnames, PID 1 every time, a frozen clock: every ID distinct" {
	require_faketime
	local n=100
	[ "$TT_LONG" = 1 ] && n=500
	spool init "$D/q" >/dev/null
	for h in 1 2; do
		tt_faketime '2030-01-01 00:00:00' unshare -u sh -c '
			hostname same-host
			i=0
			while [ $i -lt "$1" ]; do
				unshare -p -f spool push "$2/q" -m "$i" || exit 1
				i=$((i + 1))
			done' sh "$n" "$D" >"$D/ids.$h" &
	done
	wait
	cat "$D/ids.1" "$D/ids.2" >"$D/ids"
	[ "$(wc -l <"$D/ids")" = $((2 * n)) ]
	[ -z "$(sort "$D/ids" | uniq -d)" ]
	# Every ID carries the same time: only the random part tells them apart.
	[ "$(cut -c2-15 "$D/ids" | sort -u | wc -l)" = 1 ]
	[ "$(find "$D/q/new" -type f | wc -l)" = $((2 * n)) ]
}

@test "H3: a forgetful NFS client (ENOENT after success, readdir drops and repeats) loses nothing" {
	# The lies go to spool only, never to the oracle: a wrapper in PATH.
	mkdir -p "$D/bin"
	printf '#!/bin/sh\nLD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD }%s" SHIM_PROB=%s exec %s "$@"\n' \
	    "$TTB/liar.so" 2 "$(command -v spool)" >"$D/bin/spool"
	chmod +x "$D/bin/spool"
	mkdir -p "$D/s"
	local n=60
	[ "$TT_LONG" = 1 ] && n=600
	run -0 env PATH="$D/bin:$PATH" "$TT/storm" -a -l -p 2 -c 2 -n "$n" "$D/s"
	echo "$output"
}

@test "H3: init whose config rename says ENOENT after it happened succeeds" {
	# Every rename and unlink does its work, then reports ENOENT.
	run -0 env LD_PRELOAD="$TTB/liar.so" SHIM_PROB=100 \
	    spool init "$D/q" --lease 2s
	grep -qx 'lease 2s' "$D/q/config"
	[ -z "$(find "$D/q" -maxdepth 1 -name 'config.*')" ]
	run -0 spool push "$D/q" -m ok
}

@test "H3: .nfs* files (an NFS silly rename) are never delivered, moved or deleted" {
	local q=$D/q f
	spool init "$q" >/dev/null
	tt_push "$q" 1 100
	tt_push "$q" 2 100
	b=$(dirname "$(find "$q/new" -type f | head -n 1)")
	for f in "$b/.nfs0000000000012345" "$q/cur/.nfs00000000000abcde" \
	    "$q/tmp/.nfs0000000000000001"; do
		echo silly >"$f"
	done
	touch -d '-40 hours' "$q/tmp/.nfs0000000000000001"
	run -0 spool gc "$q"
	tok=$(spool pop "$q")
	[[ "$tok" != *.nfs* ]]
	tok2=$(spool pop "$q")
	[[ "$tok2" != *.nfs* ]]
	run -1 spool pop "$q"
	for f in "$b/.nfs0000000000012345" "$q/cur/.nfs00000000000abcde" \
	    "$q/tmp/.nfs0000000000000001"; do
		[ "$(cat "$f")" = silly ]
	done
}

@test "H4: ESTALE on three calls in a row is retried; ESTALE for good ends in exit 5, quickly" {
	require_strace_inject
	local q=$D/q
	spool init "$q" >/dev/null
	tt_push "$q" 1 100
	run -0 strace -f -qq -o /dev/null -e trace=getdents64 \
	    -e inject=getdents64:error=ESTALE:when=1..3 spool pop "$q"
	[[ "$output" == "$q/cur/"* ]]
	tt_push "$q" 2 100
	SECONDS=0
	run -5 timeout 20 strace -f -qq -o /dev/null -e trace=getdents64 \
	    -e inject=getdents64:error=ESTALE:when=1+ spool pop "$q"
	[ "$SECONDS" -lt 10 ]
	[ "$(tt_files "$q" new)" = 1 ]
}

@test "H1: where RENAME_NOREPLACE is refused everywhere (noreplace.so), 2 x 2 workers still deliver exactly once" {
	mkdir -p "$D/bin" "$D/s"
	printf '#!/bin/sh\nLD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD }%s" exec %s "$@"\n' \
	    "$TTB/noreplace.so" "$(command -v spool)" >"$D/bin/spool"
	chmod +x "$D/bin/spool"
	local n=60
	[ "$TT_LONG" = 1 ] && n=600
	run -0 env PATH="$D/bin:$PATH" "$TT/storm" -l -p 2 -c 2 -n "$n" "$D/s"
	echo "$output"
	# The fallback left no second name behind.
	[ -z "$(find "$D/s/q" -type f -links +1)" ]
}
