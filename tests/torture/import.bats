#!/usr/bin/env bats
# import.bats: import under crashes, I/O errors, random corruption and
# hostile archives.  Import keeps IDs and goes through push's durable
# path; a killed import re-run adds each message once; no entry name is
# ever a path; bombs and cut archives fail in seconds and keep only whole
# messages.

load ../helper
load torture

setup() {
	tt_setup
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

# An archive of COUNT self-checking messages, IDs in $LED/imported.
archive() {
	local src=$BATS_TEST_TMPDIR/src i
	spool init "$src" >/dev/null
	for ((i = 1; i <= $1; i++)); do
		tortool gen "$i" $((i * 37)) | spool push "$src" >>"$LED/imported"
	done
	spool export "$src" -o "$2" >/dev/null
	rm -rf "$src"
}

@test "A: SIGKILL at every queue syscall of import; the re-run adds each message once" {
	require_strace_inject
	tt_sweep import kill
}

@test "B: EIO once at every queue syscall of import" {
	require_strace_inject
	tt_sweep import EIO
}

@test "C: import follows the durable protocol" {
	require_strace_inject
	archive 20 a.tar
	tt_trace tr spool import "$Q" -i a.tar --quiet
	run -0 "$TT/lint" tr
	tt_checkq "$Q"
}

@test "M: 120 archives with random bit flips (zzuf): no crash, only whole messages, nothing beside the queue" {
	require_cmd zzuf
	local runs=120 s rc ok=0
	[ "$TT_LONG" = 1 ] && runs=5000
	archive 6 seed.tar
	for ((s = 0; s < runs; s++)); do
		rc=0
		zzuf -s "$s" -r 0.0001:0.003 <seed.tar |
		    timeout 20 spool import "$Q" --quiet 2>/dev/null || rc=$?
		[ "$rc" -lt 124 ] || { echo "# seed $s: import exited $rc"; false; }
		[ "$rc" = 0 ] && ok=$((ok + 1))
	done
	n=$(find "$Q/new" "$Q/retry" "$Q/dead" -type f | wc -l)
	run tortool check $(find "$Q/new" "$Q/retry" "$Q/dead" -type f)
	echo "# $runs runs, $ok imports exited 0; $n messages, $(echo "$output" | grep -c '^BAD') with flipped payloads"
	# The flips did let archives through: the test is not vacuous.
	[ "$n" -ge 6 ]
	# Flipped payloads with intact headers are expected (tar has no data
	# checksum); flipped names make other IDs.  What must hold: every
	# file in a state is a well-named message of its named size, in its
	# bucket, in one place; tmp/ is clean; nothing beside the queue.
	run -0 "$TT/checkq" --no-ledger --no-payload "$Q" "$LED"
	[ "$(ls "$BATS_TEST_TMPDIR" | grep -c -v -e '^q$' -e '^seed.tar$' -e '^ledgers$' -e '^home$' -e '^spool$')" = 0 ]
}

@test "K: hostile archive entries (.., absolute, symlink, hard link, FIFO, device, directory) are skipped, exit 5" {
	require_cmd bsdtar
	archive 2 ok.tar
	mkdir x && cd x
	bsdtar -xf ../ok.tar
	name=$(cd new && ls | head -n 1)
	ln -s /etc/passwd "new/${name%%.*}9.a0.s5"
	mv "new/${name%%.*}9.a0.s5" "new/$(echo "${name%%.*}" | cut -c1-30)9.a0.s5"
	ln "new/$name" "new/$(echo "${name%%.*}" | cut -c1-30)8.a0.s${name##*.s}"
	mkfifo "new/$(echo "${name%%.*}" | cut -c1-30)7.a0.s0"
	mknod "new/$(echo "${name%%.*}" | cut -c1-30)6.a0.s0" c 1 3
	mkdir "new/$(echo "${name%%.*}" | cut -c1-30)5.a0.s0"
	bsdtar -cf ../hostile.tar spool-header new dead retry info spool-manifest 2>/dev/null ||
	    bsdtar -cf ../hostile.tar spool-header new spool-manifest
	printf 'evil' >evil
	bsdtar -cf ../dotdot.tar -s ',^evil,../../evil-dotdot,' spool-header evil
	bsdtar -cPf ../abs.tar spool-header "$PWD/evil"
	cd ..
	sum=$(sha256sum /etc/passwd)
	for a in hostile.tar dotdot.tar abs.tar; do
		run -5 --separate-stderr spool import "$Q" -i "$a" --quiet
		echo "# $a: $stderr"
	done
	[ "$(sha256sum /etc/passwd)" = "$sum" ]
	[ ! -e "$BATS_TEST_TMPDIR/../evil-dotdot" ] && [ ! -e /evil-dotdot ]
	[ -z "$(find "$Q" -type l -o -type p -o -type c -o -links +1 -type f)" ]
	# The regular, well-named entries did arrive (bsdtar stores the first
	# of two hard-linked names as the file, the other as the link).
	[ "$(find "$Q/new" -type f | wc -l)" -ge 1 ]
	run -0 "$TT/checkq" --no-ledger "$Q" "$LED"
}

@test "K: a gzip bomb (256 MiB of zeros in 256 KB; long tier 1 GiB) fails in seconds; nothing big is left" {
	require_cmd bsdtar
	local size=256M bytes=268435456
	[ "$TT_LONG" = 1 ] && size=1G bytes=1073741824
	archive 1 ok.tar
	mkdir b && cd b
	bsdtar -xf ../ok.tar
	name=$(cd new && ls)
	rm "new/$name"
	big="new/${name%%.*}.a0.s$bytes"
	truncate -s "$size" "$big"
	bsdtar --format=ustar -czf ../bomb.tgz spool-header new spool-manifest
	cd ..
	rm -rf b
	SECONDS=0
	run -5 timeout 60 spool import "$Q" -i bomb.tgz --max-size 1M --quiet
	echo "# refused in ${SECONDS}s"
	[ "$SECONDS" -lt 20 ]
	[ "$(du -sk "$Q" | cut -f1)" -lt 2048 ]
	[ -z "$(ls "$Q/tmp")" ]
}

@test "K: a cut archive imports the complete messages before the cut, exit 5" {
	archive 5 ok.tar
	size=$(stat -c %s ok.tar)
	head -c $((size * 2 / 3)) ok.tar >cut.tar
	run -5 spool import "$Q" -i cut.tar --quiet
	n=$(find "$Q/new" -type f | wc -l)
	echo "# $n of 5 messages before the cut"
	[ "$n" -ge 1 ] && [ "$n" -lt 5 ]
	tt_checkq "$Q"
	# The whole archive afterwards: the rest arrive, nothing twice.
	run -0 spool import "$Q" -i ok.tar --quiet
	[ "$(find "$Q/new" -type f | wc -l)" = 5 ]
	tt_checkq "$Q"
}
