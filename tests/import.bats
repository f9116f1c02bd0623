#!/usr/bin/env bats
# spool import: hostile archives in, only well-formed messages out, each
# through the durable push path; nothing ever written outside the queue.
# tests/run: no-sanitizer (slow under ASan; tests/fuzz/fuzz_archive.c runs
# the same reader under ASan and UBSan)

load helper

# One line per message of queue $1: "STATE ID ATTEMPTS SHA256", sorted.
snapshot() {
	local d=$SPOOL_DIR/$1
	# One sha256sum for every file: far fewer processes than one each.
	find "$d/new" "$d/cur" "$d/retry" "$d/dead" -type f -print0 |
	    xargs -0 -r sha256sum |
	    awk -v root="$d/" '{
		path = substr($0, 67 + length(root))
		st = path; sub("/.*", "", st)
		n = split(path, parts, "/"); name = parts[n]
		a = name; sub(/^[^.]*\.a/, "", a); sub(/\..*/, "", a)
		print st, substr(name, 1, 31), a, $1
	    }' | sort
}

# Every file under the test directory but the queues (and bats's own
# files): what an import must never touch.
outside() {
	find "$BATS_TEST_TMPDIR" -mindepth 1 -path "$SPOOL_DIR" -prune -o \
	    ! -name 'separate-stderr-*' -printf '%p %s %T@\n' | sort
}

# Three messages in q: "one" dead with a reason, "two" and "three" new;
# archived in a.tar.
three() {
	spool push q -m one -m two -m three >/dev/null
	spool nack "$(spool pop q)" --dead --reason broken
	spool export q -o a.tar
}

# A message file name for ID $1, attempts $2, payload file $3.
msgname() {
	echo "$1.a$2.s$(stat -c %s "$3")"
}

# A fresh well-formed ID.
fresh_id() {
	spool push idq -m x
}

@test "import keeps IDs, states, attempts, payloads and the history" {
	spool init q
	spool push q -m '' >/dev/null
	printf 'a\0b\r\n\377' | spool push q >/dev/null
	head -c 3000000 /dev/urandom | spool push q >/dev/null
	spool push q --delay 2h -m later >/dev/null
	spool nack "$(spool pop q)" --dead --reason $'bad\nthing'
	run -0 spool export q -o a.tar
	run -0 --separate-stderr spool import r -i a.tar
	[ -z "$stderr" ]
	[ "$(snapshot r)" = "$(snapshot q)" ]
	# The delayed message keeps its due time (it is in its name).
	[ "$(cd "$SPOOL_DIR/q/retry" && find . -type f)" = \
	    "$(cd "$SPOOL_DIR/r/retry" && find . -type f)" ]
	cmp "$SPOOL_DIR"/q/info/* "$SPOOL_DIR"/r/info/*
	[ -z "$(ls "$SPOOL_DIR/r/tmp")" ]
}

@test "import creates a missing queue with the archive's config" {
	spool init q --max-attempts 7 --lease 2m --backoff 3s:9m
	spool push q -m x >/dev/null
	spool export q -o a.tar
	run -0 spool import r -i a.tar
	grep -qx 'max-attempts 7' "$SPOOL_DIR/r/config"
	grep -qx 'lease 2m' "$SPOOL_DIR/r/config"
	grep -qx 'backoff 3s:9m' "$SPOOL_DIR/r/config"
}

@test "import into an existing queue keeps that queue's config" {
	spool init q --max-attempts 7
	spool push q -m x >/dev/null
	spool export q -o a.tar
	spool init r --max-attempts 2
	run -0 spool import r -i a.tar
	grep -qx 'max-attempts 2' "$SPOOL_DIR/r/config"
	[ "$(count_state r new)" = 1 ]
}

@test "importing twice adds nothing and exits 0" {
	three
	run -0 spool import r -i a.tar
	before=$(snapshot r)
	run -0 spool import r -i a.tar
	[ "$(snapshot r)" = "$before" ]
	# Also when the messages moved on meanwhile: an ID in any state counts.
	spool pop r >/dev/null
	spool nack "$(spool pop r)" --dead
	after=$(snapshot r)
	run -0 spool import r -i a.tar
	[ "$(snapshot r)" = "$after" ]
	# Back into the queue they came from: all present.
	run -0 spool import q -i a.tar
	[ "$(find "$SPOOL_DIR/q" -path '*/tmp' -prune -o -type f -name '*.a*' -print | wc -l)" = 3 ]
}

@test "--state-as puts every message in one state; new resets attempts" {
	three
	run -0 spool import d -i a.tar --state-as dead
	[ "$(count_state d dead)" = 3 ]
	run -0 spool import n -i a.tar --state-as new
	[ "$(count_state n new)" = 3 ]
	[ -z "$(find "$SPOOL_DIR/n/new" -type f ! -name '*.a0.*')" ]
	run -0 spool import t -i a.tar --state-as retry
	[ "$(count_state t retry)" = 3 ]
	run -2 --separate-stderr spool import x -i a.tar --state-as cur
	[[ "$stderr" == *"is not new, retry or dead"* ]]
	[ ! -e "$SPOOL_DIR/x" ]
}

@test "standard input is the default input; a terminal is refused" {
	three
	run -0 bash -c 'spool import r <a.tar'
	[ "$(snapshot r)" = "$(snapshot q)" ]
	run -0 bash -c 'cat a.tar | spool import p -i -'
	[ "$(snapshot p)" = "$(snapshot q)" ]
	if command -v script >/dev/null; then
		run -2 script -qec 'spool import s' /dev/null
		[[ "$output" == *"refusing to read an archive from a terminal"* ]]
	fi
}

@test "bad arguments are usage errors; a missing input file exits 5" {
	three
	run -2 spool import
	run -2 spool import r extra
	run -2 spool import r --bogus
	run -2 spool import r -i a.tar --max-size 0
	run -2 spool import r -i a.tar --max-size 12Q
	run -2 spool import r -i a.tar --max-entries -1
	run -2 spool import 'bad/../' -i a.tar --max-total x
	run -5 --separate-stderr spool import r -i nosuch.tar
	[[ "$stderr" == "spool: import: nosuch.tar: No such file or directory" ]]
	[ ! -e "$SPOOL_DIR/r" ]
}

@test "a file that is no archive, or in a format export never writes, is refused" {
	head -c 4096 /dev/urandom >noise
	run -5 --separate-stderr spool import r -i noise
	[[ "$stderr" == *"not an archive spool reads"* ]]
	run -5 spool import r </dev/null
	[ ! -e "$SPOOL_DIR/r" ]
	require_cmd bsdtar
	three
	mkdir x && bsdtar -xf a.tar -C x
	for fmt in iso9660 xar ar shar; do
		(cd x && bsdtar --format=$fmt -cf "../a.$fmt" spool-header new dead) 2>/dev/null ||
		    continue
		run -5 spool import r -i "a.$fmt"
	done
	(cd x && bsdtar --lzip -cf ../a.tar.lz spool-header new dead) &&
	    run -5 --separate-stderr spool import r -i a.tar.lz
	[ ! -e "$SPOOL_DIR/r" ] || [ "$(snapshot r)" = "" ]
}

@test "a cut archive keeps its complete messages, says so and exits 5" {
	spool init q
	for i in 1 2 3 4; do head -c 2000 /dev/urandom | spool push q >/dev/null; done
	spool export q -o a.tar
	# Header 512+512, then 512 + 2048 per message: cut inside the third.
	head -c $((1024 + 2 * 2560 + 1000)) a.tar >cut.tar
	run -5 --separate-stderr spool import r -i cut.tar
	[[ "$stderr" == *"stopped after 2 messages imported"* ]]
	[ "$(count_state r new)" = 2 ]
	[ -z "$(ls "$SPOOL_DIR/r/tmp")" ]
	# The two kept are whole: the same bytes as the first two of q.
	diff <(snapshot q | head -2) <(snapshot r)
	# The same, compressed.
	spool export q -o a.tar.gz
	head -c $(($(stat -c %s a.tar.gz) * 2 / 3)) a.tar.gz >cut.tar.gz
	run -5 spool import g -i cut.tar.gz
	[ "$(count_state g new)" -lt 4 ]
	[ -z "$(ls "$SPOOL_DIR/g/tmp")" ]
	# And 700 bytes of it: not even the header.
	head -c 700 a.tar >tiny.tar
	run -5 spool import t -i tiny.tar
}

@test "an archive cut at an entry boundary misses its manifest: exit 5" {
	require_cmd bsdtar
	three
	mkdir x && bsdtar -xf a.tar -C x
	(cd x && bsdtar -cf ../nomanifest.tar spool-header new dead info)
	run -5 --separate-stderr spool import r -i nomanifest.tar
	[[ "$stderr" == *"has no manifest"* ]]
	[ "$(count_state r new)" = 2 ]
}

@test "a manifest that disagrees with the entries: warned, exit 5" {
	require_cmd bsdtar
	three
	mkdir x && bsdtar -xf a.tar -C x
	rm x/dead/*
	(cd x && bsdtar -cf ../short.tar spool-header new dead spool-manifest)
	run -5 --separate-stderr spool import r -i short.tar
	[[ "$stderr" == *"manifest lists new 2, retry 0, dead 1; the archive holds new 2, retry 0, dead 0"* ]]
	[ "$(count_state r new)" = 2 ]
}

@test "an archive from a newer spool is refused whole" {
	require_cmd bsdtar
	three
	mkdir x && bsdtar -xf a.tar -C x
	sed -i 's/^spool-archive 1$/spool-archive 2/' x/spool-header
	(cd x && bsdtar -cf ../new.tar spool-header new dead spool-manifest)
	run -5 --separate-stderr spool import r -i new.tar
	[[ "$stderr" == *"archive format 2 is newer"* ]]
	[ ! -e "$SPOOL_DIR/r" ]
}

@test "path traversal and absolute names are skipped; nothing outside is written" {
	require_cmd bsdtar
	three
	mkdir -p x deep/er && bsdtar -xf a.tar -C x
	n=$(cd x/new && ls | head -1)
	(cd x && bsdtar -cf ../up.tar -s ',^,../../,' spool-header "new/$n")
	(cd x && bsdtar -cPf ../abs.tar "$PWD/new/$n")
	(cd x && bsdtar -cf ../dots.tar -s ',^new/,new/../new/,' "new/$n")
	(cd x && bsdtar -cf ../dotslash.tar -s ',^new/,./new/,' "new/$n")
	before=$(outside)
	cd deep/er
	for a in up abs dots dotslash; do
		run -5 --separate-stderr spool import r -i "../../$a.tar"
		[[ "$stderr" == *"skipped entry"*"not a message name"* ]]
	done
	cd ../..
	diff <(echo "$before") <(outside)
	[ -z "$(snapshot r)" ]
}

@test "symlinks, hardlinks, directories, FIFOs and devices are skipped" {
	require_cmd bsdtar
	mkdir -p x/new
	id=$(fresh_id)
	echo hi >x/new/real
	mv x/new/real "x/new/$(msgname "$id" 0 x/new/real)"
	ln "x/new/$id".* "x/new/$(fresh_id).a0.s3" # second name: a hard link
	ln -s /etc/passwd "x/new/$(fresh_id).a0.s5"
	mkfifo "x/new/$(fresh_id).a0.s0"
	mkdir "x/new/$(fresh_id).a0.s0d"
	if [ "$(id -u)" = 0 ]; then
		mknod "x/new/$(fresh_id).a0.s0" c 1 3
	fi
	(cd x && bsdtar -cf ../hostile.tar new)
	before=$(outside)
	run -5 --separate-stderr timeout 20 spool import r -i hostile.tar
	[[ "$stderr" == *"a hard link"* ]]
	[[ "$stderr" == *"a symbolic link"* ]]
	[[ "$stderr" == *"a FIFO"* ]]
	[[ "$stderr" == *"a directory"* ]]
	if [ "$(id -u)" = 0 ]; then [[ "$stderr" == *"a device"* ]]; fi
	# Only the one real file came in, whichever name the archive gave it.
	[ "$(count_state r new)" = 1 ]
	[ "$(cat "$SPOOL_DIR"/r/new/*/*/*)" = hi ]
	diff <(echo "$before") <(outside)
}

@test "an entry larger than --max-size is skipped, the rest imported" {
	spool init q
	spool push q -m small >/dev/null
	head -c 5000 /dev/urandom | spool push q >/dev/null
	spool push q -m tiny >/dev/null
	spool export q -o a.tar
	run -5 --separate-stderr spool import r -i a.tar --max-size 1K
	[[ "$stderr" == *"larger than --max-size"* ]]
	[[ "$stderr" == *"1 entries skipped"* ]]
	[ "$(count_state r new)" = 2 ]
	run -0 spool import r -i a.tar --max-size 5000
	[ "$(count_state r new)" = 3 ]
}

@test "a size that differs from the name, or a bad name, is skipped" {
	require_cmd bsdtar
	mkdir -p x/new x/retry
	id=$(fresh_id)
	echo 12345 >"x/new/$id.a0.s3"           # 6 bytes, name says 3
	echo ok >"x/new/$(fresh_id).a0.s03"     # leading zero: not canonical
	echo ok >"x/new/$(fresh_id).a0.s3.d5"   # a due time outside retry/
	echo ok >"x/retry/$(fresh_id).a0.s3"    # retry without a due time
	echo ok >"x/cur/../new/$(fresh_id)" 2>/dev/null || true
	echo ok >"x/new/$(fresh_id).a0.s3"      # the good one
	(cd x && bsdtar -cf ../odd.tar new retry)
	run -5 --separate-stderr spool import r -i odd.tar
	[[ "$stderr" == *"size differs from its name"* ]]
	[ "$(grep -c 'not a message name' <<<"$stderr")" = 3 ]
	[ "$(count_state r new)" = 1 ]
}

@test "more entries than --max-entries stops the import" {
	spool init q
	for i in 1 2 3 4 5; do spool push q -m "$i" >/dev/null; done
	spool export q -o a.tar
	run -5 --separate-stderr spool import r -i a.tar --max-entries 3
	[[ "$stderr" == *"more than 3 entries"* ]]
	[ "$(count_state r new)" = 3 ] # the header is not counted
}

# A gzip bomb: a ustar header for a 1 GiB entry named $2, then 1 GiB of
# zeros as 1024 concatenated gzip members of 1 MiB each (1 MB in all, made
# in a blink instead of the seconds gzip takes over 1 GiB), into $1.
make_bomb() {
	local name=$2 i
	mkdir -p bombsrc
	truncate -s 1G bombsrc/f
	bsdtar --format=ustar -cf - -s ",.*,$name," -C bombsrc f 2>/dev/null |
	    head -c 512 >hdr || true
	[ "$(stat -c %s hdr)" = 512 ]
	head -c 1048576 /dev/zero | gzip -c >z.gz
	# 1024 copies by ten doublings, not 1024 processes.
	for ((i = 0; i < 10; i++)); do cat z.gz z.gz >z2.gz && mv z2.gz z.gz; done
	{
		gzip -c hdr
		cat z.gz
		head -c 1024 /dev/zero | gzip -c
	} >"$1"
	rm -rf bombsrc hdr z.gz
}

@test "a gzip bomb is refused in seconds, before it is expanded" {
	require_cmd bsdtar gzip
	id=$(fresh_id)
	make_bomb bomb.tgz "$id"
	make_bomb bomb2.tgz "new/$id.a0.s1073741824"
	[ "$(stat -c %s bomb.tgz)" -lt 2000000 ]
	# A name that is no message: skipped, its 1 GiB never written.
	SECONDS=0
	run -5 --separate-stderr spool import r -i bomb.tgz
	((SECONDS < 20))
	[[ "$stderr" == *"not a message name"* ]]
	# Over --max-total: stopped before anything is expanded.
	SECONDS=0
	run -5 --separate-stderr spool import r -i bomb2.tgz --max-total 100M
	((SECONDS < 5))
	[[ "$stderr" == *"--max-total"* ]]
	[ -z "$(snapshot r)" ]
	[ -z "$(ls "$SPOOL_DIR/r/tmp")" ]
}

@test "the same ID twice in one archive: the first wins" {
	require_cmd bsdtar
	mkdir -p x/new x/dead
	id=$(fresh_id)
	echo first >"x/new/$id.a0.s6"
	echo second >"x/dead/$id.a2.s7"
	(cd x && bsdtar -cf ../twice.tar new dead)
	run -5 --separate-stderr spool import r -i twice.tar
	[[ "$stderr" == *"has no manifest"* ]]
	[ "$(count_state r new)" = 1 ]
	[ "$(count_state r dead)" = 0 ]
	[ "$(cat "$SPOOL_DIR"/r/new/*/*/*)" = first ]
}

@test "entries after the manifest are skipped" {
	require_cmd bsdtar
	three
	mkdir -p x y/new && bsdtar -xf a.tar -C x
	echo late >"y/new/$(fresh_id).a0.s5"
	cp a.tar late.tar
	(cd y && bsdtar -rf ../late.tar new)
	run -5 --separate-stderr spool import r -i late.tar
	[[ "$stderr" == *"after the manifest"* ]]
	[ "$(count_state r new)" = 2 ]
}

@test "7zip needs a file: from a pipe it fails cleanly" {
	three
	spool export q -o a.7z
	run -5 bash -c 'cat a.7z | spool import r'
	[ -z "$(ls "$SPOOL_DIR/r/tmp" 2>/dev/null)" ]
	run -0 spool import s -i a.7z
	[ "$(snapshot s)" = "$(snapshot q)" ]
}

@test "a zip archive is read from a pipe too" {
	three
	spool export q -o a.zip
	run -0 bash -c 'cat a.zip | spool import r'
	[ "$(snapshot r)" = "$(snapshot q)" ]
}

@test "import publishes durably: data synced before any rename" {
	require_cmd strace
	three
	run -0 strace -f -qq -o tr -e trace=syncfs,fsync,fdatasync,renameat2,renameat,linkat spool import r -i a.tar
	# The first rename into the queue comes after a sync of tmp/.
	first_sync=$(grep -n 'syncfs\|fdatasync' tr | head -1 | cut -d: -f1)
	first_move=$(grep -n 'renameat2\|linkat' tr | head -1 | cut -d: -f1)
	[ -n "$first_sync" ] && [ -n "$first_move" ]
	((first_sync < first_move))
	# And each bucket is fsynced after the renames into it.
	last_move=$(grep -n 'renameat2\|linkat' tr | tail -1 | cut -d: -f1)
	last_fsync=$(grep -n 'fsync(' tr | tail -1 | cut -d: -f1)
	((last_move < last_fsync))
}

@test "an I/O error while publishing fails the import with exit 5, tmp/ clean" {
	require_cmd strace
	three
	run -5 --separate-stderr strace -f -qq -o /dev/null \
	    -e inject=syncfs:error=EIO spool import r -i a.tar
	[[ "$stderr" == *"sync tmp/"* ]]
	[ -z "$(snapshot r)" ]
	[ -z "$(ls "$SPOOL_DIR/r/tmp")" ]
	# The same import then works.
	run -0 spool import r -i a.tar
	[ "$(snapshot r)" = "$(snapshot q)" ]
}

@test "progress shows on a terminal with the totals, never with --quiet" {
	require_cmd script
	three
	run -0 script -qec 'spool import r -i a.tar' /dev/null
	[[ "$output" == *"spool: import: r: 3 messages"*"(3 imported, 0 present)"* ]]
	run -0 script -qec 'spool import r -i a.tar --quiet' /dev/null
	[[ "$output" != *messages* ]]
	run -0 --separate-stderr spool import r -i a.tar
	[ -z "$stderr" ]
}

@test "a signal stops an import stalled on its input: complete messages kept" {
	spool init q
	for i in $(seq 1 200); do echo "message $i"; done | spool push q -l >/dev/null
	spool export q -o a.tar
	mkfifo in
	# Half the archive, then silence.
	{ head -c $(($(stat -c %s a.tar) / 2)) a.tar; exec sleep 20; } >in 3>&- &
	feeder=$!
	spool import r <in 3>&- &
	pid=$!
	wait_for "[ -d '$SPOOL_DIR/r/new' ] && [ \$(find '$SPOOL_DIR/r/new' -type f | wc -l) -gt 0 ]"
	kill -TERM $pid
	SECONDS=0
	status=0
	wait $pid || status=$?
	[ "$status" = 143 ]
	((SECONDS < 5))
	kill $feeder
	n=$(count_state r new)
	((n > 0 && n < 200))
	[ -z "$(ls "$SPOOL_DIR/r/tmp")" ]
	# Each one whole: the same bytes as in q.
	for f in $(find "$SPOOL_DIR/r/new" -type f); do
		cmp "$f" "$(find "$SPOOL_DIR/q/new" -name "${f##*/}")"
	done
}

@test "a broken queue is reported (exit 4), never repaired by import" {
	three
	spool init r
	rmdir "$SPOOL_DIR/r/new"
	run -4 --separate-stderr spool import r -i a.tar
	[[ "$stderr" == *"new/ is missing"* ]]
	[ ! -e "$SPOOL_DIR/r/new" ]
	echo not a queue >"$SPOOL_DIR/f"
	run -4 spool import f -i a.tar
	[ "$(cat "$SPOOL_DIR/f")" = "not a queue" ]
}

@test "an import killed before its commit: the rerun imports everything" {
	require_cmd strace
	three
	run -137 strace -f -qq -o /dev/null -e inject=syncfs:signal=KILL:when=1 \
	    spool import r -i a.tar
	[ -z "$(snapshot r)" ]
	# Its files wait in tmp/ for gc; they never block the rerun.
	[ "$(ls "$SPOOL_DIR/r/tmp" | wc -l)" = 3 ]
	run -0 --separate-stderr spool import r -i a.tar
	[ -z "$stderr" ]
	[ "$(snapshot r)" = "$(snapshot q)" ]
}
