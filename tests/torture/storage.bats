#!/usr/bin/env bats
# storage.bats: family E, storage faults from real filesystems rather
# than injected errnos: a full tmpfs (bytes, then inodes), a read-only
# remount, a full ext4 on a loop device, a bind mount across a state
# directory, file-size, descriptor and address-space limits.  Each fault
# fails the one operation with exit 5 and a message, leaves tmp/ clean,
# loses nothing, and the queue works again once the fault is gone.
# Mounts happen in a private mount namespace (unshare -m), so they vanish
# with the test even when it fails.

load ../helper
load torture

setup() {
	tt_setup
	Q="$BATS_TEST_TMPDIR/q"
	M="$BATS_TEST_TMPDIR/m"
	mkdir -p "$M"
}

# in_ns SCRIPT ARGS...: runs bash SCRIPT in a private mount namespace,
# with the torture helpers and $M, $LED, $TTB at hand.
in_ns() {
	local script=$1
	shift
	unshare -m --propagation private bash -c "
		set -eu
		$(declare -f tortool tt_push tt_checkq tt_files tt_id)
		export PATH='$PATH' LED='$LED' TTB='$TTB' TT='$TT' M='$M'
		$script" in_ns "$@"
}

@test "E2: a full tmpfs fails push with exit 5, tmp/ clean; push works once space returns" {
	require_root
	run -0 in_ns '
		mount -t tmpfs -o size=1m tmpfs "$M"
		spool init "$M/q" >/dev/null
		n=0
		while :; do
			rc=0
			tt_push "$M/q" $n 65536 2>"$M.err" || rc=$?
			[ $rc = 0 ] || break
			n=$((n + 1))
			[ $n -lt 100 ] || { echo "never full"; exit 1; }
		done
		[ $rc = 5 ] || { echo "push exited $rc when full"; exit 1; }
		grep -q "^spool: push: " "$M.err"
		[ -z "$(ls "$M/q/tmp")" ] || { echo "tmp/ not clean"; exit 1; }
		# Reading still works on a full disk.
		spool stat "$M/q" >/dev/null
		spool list "$M/q" >/dev/null
		tt_checkq "$M/q"
		# Make room: take two messages; then a push must fit.
		for k in 1 2; do
			t=$(spool pop "$M/q")
			spool ack "$t"
			echo "$(tt_id "$t")" >>"$LED/acked"
		done
		tt_push "$M/q" 1000 65536
		tt_checkq "$M/q"
		echo "full after $n pushes"'
	echo "$output"
}

@test "E2: a tmpfs out of inodes fails push with exit 5, tmp/ clean" {
	require_root
	run -0 in_ns '
		mount -t tmpfs -o size=16m,nr_inodes=40 tmpfs "$M"
		spool init "$M/q" >/dev/null
		n=0 rc=0
		while [ $rc = 0 ]; do
			# One message a bucket: a priority each makes fresh ones.
			tt_push "$M/q" $n 10 --priority $((n % 10)) 2>"$M.err" || rc=$?
			n=$((n + 1))
			[ $n -lt 200 ] || { echo "never out of inodes"; exit 1; }
		done
		[ $rc = 5 ] || { echo "push exited $rc"; exit 1; }
		grep -q "^spool: push: " "$M.err"
		[ -z "$(ls "$M/q/tmp")" ]
		tt_checkq "$M/q"'
	echo "$output"
}

@test "E2: a read-only remount: push, pop and ack exit 5; stat and list work; nothing moves" {
	require_root
	run -0 in_ns '
		mount -t tmpfs -o size=4m tmpfs "$M"
		spool init "$M/q" >/dev/null
		tt_push "$M/q" 1 100
		tt_push "$M/q" 2 100
		tok=$(spool pop "$M/q")
		mount -o remount,ro "$M"
		rc=0; tt_push "$M/q" 3 100 2>err || rc=$?
		[ $rc = 5 ] || { echo "push exited $rc"; exit 1; }
		grep -q "^spool: push: " err
		rc=0; spool pop "$M/q" 2>err || rc=$?
		[ $rc = 5 ] || { echo "pop exited $rc"; cat err; exit 1; }
		rc=0; spool ack "$tok" 2>err || rc=$?
		[ $rc = 5 ] || { echo "ack exited $rc"; cat err; exit 1; }
		spool stat "$M/q" >/dev/null
		spool list "$M/q" >list
		[ "$(wc -l <list)" -ge 2 ]
		[ -f "$tok" ]
		mount -o remount,rw "$M"
		spool ack "$tok"
		echo "$(tt_id "$tok")" >>"$LED/acked"
		tt_checkq "$M/q"'
	echo "$output"
}

@test "E1: a full ext4 on a loop device: push of 1 MiB exits 5, its tmp file gone, earlier messages whole" {
	require_root
	require_cmd mkfs.ext4 e2fsck losetup
	run -0 in_ns '
		mkdir -p "$M/img" "$M/fs"
		mount -t tmpfs -o size=64m tmpfs "$M/img"
		truncate -s 12M "$M/img/fs.img"
		mkfs.ext4 -q -F "$M/img/fs.img"
		mount -o loop,errors=continue "$M/img/fs.img" "$M/fs"
		spool init "$M/fs/q" >/dev/null
		n=0 rc=0
		while [ $rc = 0 ]; do
			tt_push "$M/fs/q" $n 1048576 2>"$M/err" || rc=$?
			n=$((n + 1))
			[ $n -lt 40 ] || { echo "never full"; exit 1; }
		done
		[ $rc = 5 ] || { echo "push exited $rc"; exit 1; }
		grep -q "^spool: push: " "$M/err"
		[ -z "$(ls "$M/fs/q/tmp")" ]
		tt_checkq "$M/fs/q"
		umount "$M/fs"
		# The filesystem itself came through clean.
		e2fsck -fn "$M/img/fs.img" >/dev/null
		mount -o loop "$M/img/fs.img" "$M/fs"
		tt_checkq "$M/fs/q"
		umount "$M/fs"
		echo "full after $((n - 1)) messages of 1 MiB"'
	echo "$output"
}

@test "E3: cur/ on another filesystem (bind mount): pop fails, nothing copied or lost" {
	require_root
	run -0 in_ns '
		mkdir -p "$M/elsewhere"
		spool init "$M/q" >/dev/null
		tt_push "$M/q" 1 100
		mount -t tmpfs tmpfs "$M/elsewhere"
		mount --bind "$M/elsewhere" "$M/q/cur"
		rc=0; spool pop "$M/q" >out 2>err || rc=$?
		[ $rc = 5 ] || { echo "pop exited $rc"; cat err; exit 1; }
		[ ! -s out ]
		[ -z "$(ls -A "$M/elsewhere")" ] || { echo "copied into cur/"; exit 1; }
		umount "$M/q/cur"
		tt_checkq "$M/q"'
	echo "$output"
}

@test "E4: a file-size limit fails push with exit 5, not death by SIGXFSZ, tmp/ clean" {
	require_cmd prlimit
	spool init "$Q" >/dev/null
	tortool gen 1 5000 >p
	run -5 --separate-stderr prlimit --fsize=1000 spool push "$Q" <p
	[[ "$stderr" == "spool: push: "* ]]
	[ -z "$(ls "$Q/tmp")" ]
	[ "$(tt_files "$Q" new)" = 0 ]
	tortool lines 1 3 2000 >l
	run -5 prlimit --fsize=1000 spool push "$Q" -l <l
	[ -z "$(ls "$Q/tmp")" ]
	[ "$(tt_files "$Q" new)" = 0 ]
	tt_push "$Q" 2 5000
	tt_checkq "$Q"
}

@test "E4: spool run -j 4 with 8 descriptors loses nothing" {
	require_cmd prlimit
	spool init "$Q" >/dev/null
	for s in $(seq 1 20); do tt_push "$Q" "$s" 100; done
	cat >job <<EOF
#!/bin/sh
out=\$("$TTB/tortool" stdin) || exit 1
echo "\$SPOOL_ID \${out#OK - }" >>"$LED/delivered"
echo "\$SPOOL_ID" >>"$LED/ackmaybe"
EOF
	chmod +x job
	run prlimit --nofile=8 spool run "$Q" -j 4 --quiet -- ./job
	echo "# run -j 4 with 8 descriptors exited $status"
	[ "$status" -lt 128 ]
	# Whatever it could not do is still queued, or comes back.
	tt_faketime +1h spool gc "$Q" >/dev/null
	tt_drain "$Q" "$LED" +2h
	tt_checkq "$Q"
}

@test "E5: a payload larger than the address-space limit streams through push and pop" {
	require_cmd prlimit
	require_unsanitized "address-space limits"
	local size=$((300 * 1048576)) d
	[ "$TT_LONG" = 1 ] && size=$((1024 * 1048576))
	d=$(tt_fastdir)
	Q=$d/q
	cd "$d"
	spool init "$Q" >/dev/null
	head -c "$size" /dev/urandom >big
	# (Not "run": bats would keep the payload in a shell variable.)
	prlimit --as=268435456 spool push "$Q" <big >/dev/null
	prlimit --as=268435456 spool pop "$Q" --ack >out
	cmp big out
	rm -f big out
}

@test "E: short reads and writes, EINTR on writes (shortio.so): push, push -l, pop, export, import stay byte-exact" {
	local s=$RANDOM
	short() { LD_PRELOAD="$TTB/shortio.so" SHIM_SEED=$s "$@"; }
	spool init "$Q" >/dev/null
	tortool gen 1 1000000 >p
	id=$(short spool push "$Q" <p)
	echo "$id 1" >>"$LED/pushed"
	tortool lines 10 50 300 >l
	short spool push "$Q" -l <l >ids
	paste -d' ' ids <(seq 10 59) >>"$LED/pushed"
	tt_checkq "$Q"
	tok=$(short spool pop "$Q")
	[ "$(tt_id "$tok")" = "$id" ]
	cmp p "$tok"
	short spool export "$Q" -o a.tar.gz
	spool init "$PWD/r" >/dev/null
	short spool import "$PWD/r" -i a.tar.gz --quiet
	[ "$(find r/new r/retry -type f | wc -l)" = 51 ]
	run -0 tortool check $(find r/new r/retry -type f)
	# Writing a config is a write too.
	run -0 short spool init "$PWD/r2" --lease 10m
	run -0 short spool import "$PWD/r3" -i a.tar.gz --quiet
}
