#!/usr/bin/env bats
# spool export: a consistent archive of a live queue, in every format.
# tests/run: no-sanitizer (over a minute under ASan; the archive reader is
# fuzzed under ASan and UBSan, the writer runs in the normal build only)

load helper

# One line per message of queue $1: "STATE ID ATTEMPTS SHA256", sorted;
# leased messages count as retry, as export writes them.
snapshot() {
	local d=$SPOOL_DIR/$1
	# One sha256sum for every file: far fewer processes than one each.
	find "$d/new" "$d/cur" "$d/retry" "$d/dead" -type f -print0 |
	    xargs -0 -r sha256sum |
	    awk -v root="$d/" '{
		path = substr($0, 67 + length(root))
		st = path; sub("/.*", "", st); if (st == "cur") st = "retry"
		n = split(path, parts, "/"); name = parts[n]
		a = name; sub(/^[^.]*\.a/, "", a); sub(/\..*/, "", a)
		print st, substr(name, 1, 31), a, $1
	    }' | sort
}

# The same, for the messages in archive $1 (extracted with bsdtar).
archive_snapshot() {
	local dir f name state
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/x.XXXXXX")
	bsdtar -xf "$1" -C "$dir" || return 1
	for state in new retry dead; do
		[ -d "$dir/$state" ] || continue
		for f in "$dir/$state"/*; do
			name=${f##*/}
			attempts=${name#*.a}
			attempts=${attempts%%.*}
			echo "$state ${name:0:31} $attempts $(sha256sum <"$f" | cut -c1-64)"
		done
	done | sort
}

# A queue q with messages in every state: binary, empty, 200 KiB, a dead
# one with a reason, a delayed one and two leased.
fill() {
	spool init q --max-attempts 3 --lease 10m --backoff 1s:1m
	spool push q -m first -m '' >/dev/null
	printf 'a\0b\0\0c\377' | spool push q >/dev/null
	head -c 204800 /dev/urandom >big
	spool push q -f big >/dev/null
	spool push q --delay 1h -m later >/dev/null
	spool push q -m two -m three -m four >/dev/null
	spool nack "$(spool pop q)" --dead --reason 'it broke' # "first"
	spool pop q -n 2 >/dev/null # '' and the binary one, leased
}

# The format magic of file $1: gzip bzip2 xz zstd lz4 zip 7zip cpio tar.
magic() {
	local hex
	hex=$(head -c 6 "$1" | od -An -tx1 | tr -d ' \n')
	case $hex in
	1f8b*) echo gzip ;;
	425a68*) echo bzip2 ;;
	fd377a585a00) echo xz ;;
	28b52ffd*) echo zstd ;;
	04224d18*) echo lz4 ;;
	504b*) echo zip ;;
	377abcaf271c) echo 7zip ;;
	303730373031) echo cpio ;;
	*) [ "$(dd if="$1" bs=1 skip=257 count=5 2>/dev/null)" = ustar ] &&
	    echo tar || echo unknown ;;
	esac
}

@test "export writes the header first, STATE/NAME entries, the manifest last" {
	require_cmd bsdtar
	fill
	run -0 --separate-stderr spool export q -o out.tar
	[ -z "$stderr" ]
	run -0 bsdtar -tf out.tar
	[ "${lines[0]}" = spool-header ]
	[ "${lines[-1]}" = spool-manifest ]
	# No bucket directory in any name: STATE/NAME or info/ID only.
	for l in "${lines[@]:1:${#lines[@]}-2}"; do
		[[ "$l" =~ ^(new|retry|dead)/[0-9a-f]{31}\.a[0-9]+\.s[0-9]+(\.d[0-9]+)?$ ||
		    "$l" =~ ^info/[0-9a-f]{31}$ ]]
	done
	run -0 bsdtar -xOf out.tar spool-manifest
	[[ "$output" == *"new 4"* ]]
	[[ "$output" == *"retry 3"* ]]
	[[ "$output" == *"dead 1"* ]]
	[[ "$output" == *"messages 8"* ]]
	run -0 bsdtar -xOf out.tar spool-header
	[[ "$output" == *"max-attempts 3"* ]]
	[[ "$output" == *"backoff-ms 1000:60000"* ]]
	[ "$(archive_snapshot out.tar)" = "$(snapshot q)" ]
}

@test "export keeps each message's mtime" {
	require_cmd bsdtar
	spool push q -m old >/dev/null
	f=$(find "$SPOOL_DIR/q/new" -type f)
	touch -d '2001-02-03 04:05:06' "$f"
	run -0 spool export q -o out.tar
	mkdir x && bsdtar -xf out.tar -C x
	[ "$(stat -c %Y x/new/*)" = "$(stat -c %Y "$f")" ]
}

@test "leased messages are exported as retry, due at the export, attempts kept" {
	require_cmd bsdtar
	spool push q -m held >/dev/null
	tok=$(spool pop q)
	before=$(($(date +%s%3N) - 1))
	run -0 spool export q -o out.tar
	after=$(($(date +%s%3N) + 1))
	run -0 bsdtar -tf out.tar
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[1]}" =~ ^retry/[0-9a-f]{31}\.a1\.s4\.d([0-9]+)$ ]]
	due=${BASH_REMATCH[1]}
	((due >= before && due <= after))
	# The lease is untouched: the holder can still ack.
	run -0 spool ack "$tok"
}

@test "--state exports only the states named" {
	require_cmd bsdtar
	fill
	run -0 spool export q --state dead -o dead.tar
	run -0 bsdtar -tf dead.tar
	[ "${#lines[@]}" = 4 ] # header, message, its history, manifest
	[[ "${lines[1]}" == dead/* ]]
	[[ "${lines[2]}" == info/* ]]
	run -0 spool export q --state new,cur -o nc.tar
	run -0 bsdtar -tf nc.tar
	[ "${#lines[@]}" = 8 ] # 4 new, 2 leased (as retry), header, manifest
	run -0 spool export q --state all -o all.tar
	[ "$(archive_snapshot all.tar)" = "$(snapshot q)" ]
	run -2 --separate-stderr spool export q --state bogus -o x.tar
	[[ "$stderr" == *"unknown state"* ]]
	run -2 spool export q --state new,,dead -o x.tar
	[ ! -e x.tar ]
}

@test "the output file's extension picks format and compression" {
	spool push q -m one >/dev/null
	for pair in out.tar:tar out.tar.gz:gzip out.tgz:gzip out.tar.bz2:bzip2 \
	    out.tar.xz:xz out.txz:xz out.tar.zst:zstd out.tar.lz4:lz4 \
	    out.cpio:cpio out.cpio.gz:gzip out.zip:zip out.7z:7zip \
	    out.pax:tar out.unknown:tar; do
		run -0 spool export q -o "${pair%%:*}"
		[ "$(magic "${pair%%:*}")" = "${pair#*:}" ]
	done
	# Flags win over the extension.
	run -0 spool export q -o flags.tar.gz --compress none --format cpio
	[ "$(magic flags.tar.gz)" = cpio ]
}

@test "round trip through every format and compression keeps IDs, states, attempts and bytes" {
	require_cmd bsdtar
	fill
	want=$(snapshot q)
	n=0
	for f in tar pax cpio; do
		for c in none gzip bzip2 xz zstd lz4; do
			n=$((n + 1))
			run -0 spool export q --format $f --compress $c -o "a$n"
			run -0 spool import "r$n" -i "a$n"
			[ "$(snapshot "r$n")" = "$want" ] ||
			    { echo "differs: $f $c"; false; }
		done
	done
	for f in zip 7zip; do
		n=$((n + 1))
		run -0 spool export q --format $f -o "a$n"
		run -0 spool import "r$n" -i "a$n"
		[ "$(snapshot "r$n")" = "$want" ] || { echo "differs: $f"; false; }
	done
	[ "$n" = 20 ]
}

@test "zip and 7zip refuse a --compress, unknown formats are usage errors" {
	spool push q -m one >/dev/null
	run -2 --separate-stderr spool export q --format zip --compress gzip -o x
	[[ "$stderr" == *"compress their entries themselves"* ]]
	run -2 spool export q -o x.zip --compress xz
	run -2 --separate-stderr spool export q --format rar -o x
	[[ "$stderr" == *"unknown format 'rar'"* ]]
	run -2 spool export q --compress lzip -o x
	run -2 spool export q --bogus
	run -2 spool export
	run -2 spool export q extra
	[ ! -e x ]
}

@test "-o - streams a tar to standard output, and export | import moves a queue" {
	fill
	run -0 bash -c 'set -o pipefail; spool export q -o - | spool import r'
	[ "$(snapshot r)" = "$(snapshot q)" ]
	# No -o at all is standard output too.
	spool export q >plain
	[ "$(magic plain)" = tar ]
	spool export q --compress zstd >z
	[ "$(magic z)" = zstd ]
}

@test "export refuses to write an archive to a terminal" {
	require_cmd script
	spool push q -m one >/dev/null
	run -2 script -qec 'spool export q' /dev/null
	[[ "$output" == *"refusing to write an archive to a terminal"* ]]
}

@test "a missing queue exits 4 and writes nothing" {
	run -4 --separate-stderr spool export nosuch -o out.tar
	[[ "$stderr" == "spool: export: nosuch: "* ]]
	[ ! -e out.tar ] && [ ! -e out.tar.tmp ]
}

@test "an export into the queue itself is refused" {
	spool push q -m one >/dev/null
	run -2 --separate-stderr spool export q -o "$SPOOL_DIR/q/new/x.tar"
	[[ "$stderr" == *"must be outside the queue"* ]]
	run -2 spool export q -o "$SPOOL_DIR/q/x.tar"
	[ -z "$(find "$SPOOL_DIR/q" -name 'x.tar*')" ]
}

@test "export writes FILE.tmp and renames it: a failure leaves FILE as it was" {
	spool push q -m one >/dev/null
	head -c 5000 /dev/urandom >payload
	spool push q -f payload >/dev/null
	echo previous >out.tar
	# A file size limit makes the archive's write fail midway.
	run -5 --separate-stderr bash -c \
	    "trap '' XFSZ; exec prlimit --fsize=3000 spool export q -o out.tar"
	[[ "$stderr" == *"spool: export: q: "* ]]
	[ "$(cat out.tar)" = previous ]
	[ ! -e out.tar.tmp ]
	# And a good run replaces it.
	run -0 spool export q -o out.tar
	[ "$(magic out.tar)" = tar ]
	[ ! -e out.tar.tmp ]
}

@test "an existing FILE.tmp, even a symlink, is never followed or replaced" {
	spool push q -m one >/dev/null
	mkdir canary && echo safe >canary/file
	ln -s canary/file out.tar.tmp
	run -5 --separate-stderr spool export q -o out.tar
	[[ "$stderr" == *"out.tar.tmp"* ]]
	[ "$(cat canary/file)" = safe ]
	[ -L out.tar.tmp ] && [ ! -e out.tar ]
}

@test "--move deletes what was archived, only after the archive is complete" {
	require_cmd bsdtar
	fill
	want=$(snapshot q)
	run -0 --separate-stderr spool export q --move -o moved.tar
	# The two leased messages stay with their consumer; all else is gone.
	[[ "$stderr" == *"2 messages were leased or moved meanwhile"* ]]
	[ "$(count_state q new)" = 0 ]
	[ "$(count_state q retry)" = 0 ]
	[ "$(count_state q dead)" = 0 ]
	[ "$(count_state q cur)" = 2 ]
	[ -z "$(ls "$SPOOL_DIR/q/info")" ]
	[ "$(archive_snapshot moved.tar)" = "$want" ]
}

@test "--move deletes nothing when the archive cannot be written" {
	fill
	want=$(snapshot q)
	run -5 bash -c 'spool export q --move -o - >/dev/full'
	[ "$(snapshot q)" = "$want" ]
	mkdir ro && chmod 500 ro
	if [ "$(id -u)" != 0 ]; then
		run -5 spool export q --move -o ro/out.tar
		[ "$(snapshot q)" = "$want" ]
	fi
	run -5 bash -c "trap '' XFSZ; exec prlimit --fsize=3000 spool export q --move -o out.tar"
	[ "$(snapshot q)" = "$want" ]
}

@test "--move --state dead archives dead letters away" {
	require_cmd bsdtar
	fill
	run -0 spool export q --move --state dead -o dead.tar.gz
	[ "$(count_state q dead)" = 0 ]
	[ "$(count_state q new)" = 4 ]
	run -0 spool import r -i dead.tar.gz
	[ "$(count_state r dead)" = 1 ]
	grep -q 'it broke' "$SPOOL_DIR"/r/info/*
}

@test "planted symlinks, FIFOs and junk are reported and never archived" {
	require_cmd bsdtar
	spool push q -m real >/dev/null
	f=$(find "$SPOOL_DIR/q/new" -type f)
	d=${f%/*}
	echo secret >outside
	ln -s "$PWD/outside" "$d/1000000000000000000000000000000.a0.s7"
	mkfifo "$d/2000000000000000000000000000000.a0.s0"
	echo junk >"$d/not-a-message"
	echo hardsecret >hard
	ln hard "$d/3000000000000000000000000000000.a0.s11"
	run -0 --separate-stderr timeout 20 spool export q -o out.tar
	[[ "$stderr" == *"1000000000000000000000000000000"* ]]
	[[ "$stderr" == *"3000000000000000000000000000000"* ]]
	run -0 bsdtar -tf out.tar
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[1]}" == "new/${f##*/}" ]]
	run -0 bsdtar -xOf out.tar
	[[ "$output" != *secret* ]]
	[ "$(cat hard)" = hardsecret ]
}

@test "a file larger than any message is reported and not archived" {
	require_cmd bsdtar
	spool push q -m real >/dev/null
	f=$(find "$SPOOL_DIR/q/new" -type f)
	# Sparse: 1 GiB and one byte, and named for that size.
	big="${f%/*}/4000000000000000000000000000000.a0.s1073741825"
	truncate -s 1073741825 "$big"
	chmod 600 "$big"
	run -0 --separate-stderr spool export q -o out.tar
	[[ "$stderr" == *"4000000000000000000000000000000"*"larger than a message may be"* ]]
	run -0 bsdtar -tf out.tar
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[1]}" == "new/${f##*/}" ]]
	[ -f "$big" ]
}

@test "progress shows on a terminal, never with --quiet or without a terminal" {
	require_cmd script
	spool push q -m one -m two >/dev/null
	run -0 script -qec 'spool export q -o a.tar' /dev/null
	[[ "$output" == *"spool: export: q: 2 messages"* ]]
	run -0 script -qec 'spool export q --quiet -o b.tar' /dev/null
	[[ "$output" != *messages* ]]
	run -0 --separate-stderr spool export q -o c.tar
	[ -z "$stderr" ]
}

@test "an empty queue gives an archive with a header and a zero manifest" {
	require_cmd bsdtar
	spool init q
	run -0 spool export q -o empty.tar
	run -0 bsdtar -tf empty.tar
	[ "${lines[*]}" = "spool-header spool-manifest" ]
	run -0 spool import r -i empty.tar
	[ -d "$SPOOL_DIR/r/new" ]
}

# Exactly once on a live queue: while spool run -j 4 claims, fails and
# retries messages, every export holds each ID at most once, and every
# message pushed before the export is in it unless it was acked.
@test "export during spool run -j 4 loses and doubles nothing" {
	require_cmd bsdtar
	spool init q --max-attempts 1000 --backoff 1ms:20ms --lease 1m
	for i in $(seq 1 400); do echo "m$i"; done | spool push q -l >pushed
	sort -o pushed pushed
	cat >handler <<-'EOF'
	#!/bin/sh
	# Acks about one in eight, fails the rest for a quick retry.
	case $(od -An -N1 -tu1 /dev/urandom) in
	*[0-1]) echo "$SPOOL_ID" >>"$ACKED"; exit 0 ;;
	*) exit 1 ;;
	esac
	EOF
	chmod +x handler
	export ACKED=$PWD/acked
	: >acked
	spool run q -j 4 -- ./handler 2>run.log 3>&- &
	runner=$!
	for k in 1 2 3; do
		wait_for "[ \$(wc -l <acked) -ge $((k * 5)) ]" 30
		run -0 --separate-stderr spool export q -o "live$k.tar"
		# It settled: no warning that the queue kept changing.
		[ -z "$stderr" ]
		bsdtar -tf "live$k.tar" | sed -n 's,^\(new\|retry\|dead\)/\(.\{31\}\).*,\2,p' |
		    sort >ids$k
		# Nothing doubled.
		[ -z "$(uniq -d ids$k)" ]
		# Nothing lost: pushed IDs not in the archive were acked.
		sort -u acked >acked.sorted
		missing=$(comm -23 pushed ids$k | comm -23 - acked.sorted)
		[ -z "$missing" ] || { echo "lost: $missing"; kill $runner; false; }
	done
	kill -TERM $runner
	wait $runner || true
}

@test "a signal stops an export: no FILE.tmp left, dies of the signal" {
	require_cmd strace
	for i in $(seq 1 300); do echo "message $i"; done | spool push q -l >/dev/null
	# TERM arrives at the archive's second write.
	run -143 strace -f -qq -o /dev/null \
	    -e inject=write:signal=TERM:when=2 spool export q -o out.tar
	[ ! -e out.tar ] && [ ! -e out.tar.tmp ]
	[ "$(count_state q new)" = 300 ]
}

@test "a signal stops an export stalled on a full pipe" {
	for i in $(seq 1 300); do echo "message $i"; done | spool push q -l >/dev/null
	mkfifo out
	exec 4<>out # a reader that never reads: the pipe fills
	spool export q -o - --move >out 3>&- 4>&- &
	pid=$!
	wait_for "[ \$(ls /proc/$pid/fd 2>/dev/null | wc -l) -gt 3 ]"
	sleep 0.5
	kill -TERM $pid
	SECONDS=0
	status=0
	wait $pid || status=$?
	[ "$status" = 143 ]
	((SECONDS < 5))
	exec 4>&-
	# --move deleted nothing: the archive never completed.
	[ "$(count_state q new)" = 300 ]
}

# TESTING.md G6: leased messages renamed in place again and again (each
# touch gives a new name in cur/) while directory reads are slowed: one
# listing misses and repeats names, yet each ID is archived exactly once.
@test "leases renamed in place during a slowed export: each ID exactly once" {
	require_cmd strace bsdtar
	spool init q --lease 10m
	for i in $(seq 1 60); do echo "m$i"; done | spool push q -l | sort >pushed
	spool pop q -n 20 >tokens
	(
		while [ ! -e stop ]; do
			xargs -a tokens spool touch --lease 10m >/dev/null ||
			    exit 1
			sleep 0.05
		done
	) 3>&- &
	toucher=$!
	# The toucher is stopped before the export's status is looked at.
	run strace -f -qq -o /dev/null -e inject=getdents64:delay_exit=20000 \
	    spool export q -o out.tar
	touch stop
	wait $toucher
	[ "$status" -eq 0 ]
	bsdtar -tf out.tar |
	    sed -n 's,^\(new\|retry\|dead\)/\(.\{31\}\).*,\2,p' | sort >ids
	[ -z "$(uniq -d ids)" ]
	diff pushed ids
	[ "$(grep -c '^retry/' <(bsdtar -tf out.tar))" = 20 ]
}
