#!/usr/bin/env bats
# Faults: a full or read-only disk, injected I/O errors, file size limits,
# and junk planted in the state directories.  A failed push exits 5 and
# leaves nothing visible and nothing in tmp/; planted objects are never
# delivered, moved or deleted, and they are reported.

load helper

# Nothing but config in queue $1: no message in any state, tmp/ empty.
is_empty_queue() {
	[ "$(find "$1" -type f ! -name config | wc -l)" = 0 ]
}

# Runs the script $1 in a private mount namespace (mounts vanish with it).
in_private_mounts() {
	require_root
	require_cmd unshare
	unshare -m --propagation private bash -c "$1"
}

@test "a full disk fails a large push with exit 5, and a small one works" {
	require_root
	require_cmd unshare
	mkdir mnt
	run -0 --separate-stderr in_private_mounts '
		mount -t tmpfs -o size=1m tmpfs mnt || exit 99
		spool init mnt/q
		head -c 2000000 /dev/urandom >big.in
		spool push mnt/q <big.in >ids; echo "big=$?"
		find mnt/q -type f ! -name config | wc -l
		spool push mnt/q -m small >>ids; echo "small=$?"
		find mnt/q/new -type f | wc -l
		wc -l <ids'
	[ "${lines[0]}" = big=5 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = small=0 ]
	[ "${lines[3]}" = 1 ]
	[ "${lines[4]}" = 1 ]
	[[ "$stderr" == "spool: push: mnt/q: write tmp/"*": No space left on device" ]]
}

@test "a full disk during push -l publishes only whole commits it printed" {
	require_root
	require_cmd unshare
	mkdir mnt
	run -0 --separate-stderr in_private_mounts '
		mount -t tmpfs -o size=1m tmpfs mnt || exit 99
		spool init mnt/q
		yes "$(printf "%0700d" 0)" | head -n 3000 >lines.in
		spool push mnt/q -l <lines.in >ids; echo "status=$?"
		echo "printed=$(wc -l <ids)"
		echo "present=$(find mnt/q/new -type f | wc -l)"
		echo "tmp=$(find mnt/q/tmp -type f | wc -l)"'
	[ "${lines[0]}" = status=5 ]
	local printed=${lines[1]#printed=}
	[ "${lines[2]}" = "present=$printed" ]
	[ "${lines[3]}" = tmp=0 ]
	((printed < 3000))
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "no free inodes: push exits 5 and leaves nothing behind" {
	require_root
	require_cmd unshare
	mkdir mnt
	run -0 --separate-stderr in_private_mounts '
		mount -t tmpfs -o size=4m,nr_inodes=40 tmpfs mnt || exit 99
		spool init mnt/q
		n=0
		while spool push mnt/q -m x >/dev/null 2>err; do
			n=$((n + 1))
			[ "$n" -lt 100 ] || break
		done
		echo "pushed=$n"
		echo "present=$(find mnt/q/new -type f | wc -l)"
		echo "tmp=$(find mnt/q/tmp -type f | wc -l)"
		cat err >&2'
	local pushed=${lines[0]#pushed=}
	((pushed < 100))
	[ "${lines[1]}" = "present=$pushed" ]
	[ "${lines[2]}" = tmp=0 ]
	[[ "$stderr" == "spool: push: mnt/q: "*"No space left on device" ]]
}

@test "a read-only filesystem: push and a claim exit 5, an empty pop exits 1" {
	require_root
	require_cmd unshare
	mkdir mnt
	run -0 --separate-stderr in_private_mounts '
		mount -t tmpfs -o size=1m tmpfs mnt || exit 99
		spool init mnt/q
		spool init mnt/empty
		spool push mnt/q -m kept >/dev/null
		mount -o remount,ro mnt || exit 99
		spool push mnt/q -m x; echo "push=$?"
		spool pop mnt/empty; echo "pop-empty=$?"
		spool pop mnt/q; echo "pop=$?"
		find mnt/q/new -type f | wc -l
		spool init mnt/fresh; echo "init=$?"
		spool init mnt/q --lease 1m; echo "reinit=$?"'
	[ "${lines[0]}" = push=5 ]
	[ "${lines[1]}" = pop-empty=1 ]
	[ "${lines[2]}" = pop=5 ]
	[ "${lines[3]}" = 1 ]
	[ "${lines[4]}" = init=5 ]
	[ "${lines[5]}" = reinit=5 ]
	[[ "$stderr" == *"spool: push: mnt/q: "*"Read-only file system"* ]]
}

@test "a queue this user may only read: push exits 5, an empty pop exits 1" {
	require_root
	require_cmd setpriv
	shared=$(mktemp -d /tmp/spool-faults.XXXXXX)
	chmod 755 "$shared"
	spool init "$shared/q"
	spool init "$shared/empty"
	spool push "$shared/q" -m kept
	chmod -R a+rX "$shared"
	run -5 --separate-stderr setpriv --reuid=4001 --regid=4001 \
	    --clear-groups spool push "$shared/q" -m x
	[[ "$stderr" == *"Permission denied"* ]]
	run -1 setpriv --reuid=4001 --regid=4001 --clear-groups \
	    spool pop "$shared/empty"
	run -5 setpriv --reuid=4001 --regid=4001 --clear-groups \
	    spool pop "$shared/q"
	[ "$(find "$shared/q/new" -type f | wc -l)" = 1 ]
	[ "$(find "$shared/q/tmp" -type f | wc -l)" = 0 ]
	# Settling a claim needs write access too; the claim stays.
	tok=$(spool pop "$shared/q")
	chmod -R a+rX "$shared/q"
	local verb
	for verb in ack nack touch; do
		run -5 --separate-stderr setpriv --reuid=4001 --regid=4001 \
		    --clear-groups spool "$verb" "$tok"
		[[ "$stderr" == "spool: $verb: $tok: "*"Permission denied" ]]
	done
	[ -e "$tok" ]
}

@test "fdatasync EIO on the message fails the push, nothing visible" {
	require_cmd strace
	spool init q
	run -5 --separate-stderr strace -f -qq -o /dev/null \
	    -e trace=fdatasync,fsync -e inject=fdatasync:error=EIO \
	    spool push q -m doomed
	[ -z "$output" ]
	[[ "$stderr" == *"Input/output error"* ]]
	is_empty_queue "$SPOOL_DIR/q"
	run -0 spool push q -m fine
}

@test "fsync EIO on the directory fails the push and takes it back" {
	require_cmd strace
	spool init q
	run -5 --separate-stderr strace -f -qq -o /dev/null \
	    -e trace=fdatasync,fsync -e inject=fsync:error=EIO \
	    spool push q -m doomed
	[ -z "$output" ]
	is_empty_queue "$SPOOL_DIR/q"
}

@test "syncfs EIO fails a push -l group commit, nothing visible" {
	require_cmd strace
	spool init q
	run -5 --separate-stderr strace -f -qq -o /dev/null \
	    -e trace=syncfs -e inject=syncfs:error=EIO \
	    spool push q -l <<<$'a\nb\nc'
	[ -z "$output" ]
	is_empty_queue "$SPOOL_DIR/q"
}

@test "write EIO while copying the payload fails the push, tmp/ empty" {
	require_cmd strace
	spool init q
	head -c 300000 /dev/urandom >in
	run -5 --separate-stderr strace -f -qq -o /dev/null \
	    -e trace=write -e inject=write:error=EIO:when=1 \
	    spool push q -f in
	[ -z "$output" ]
	is_empty_queue "$SPOOL_DIR/q"
	run -5 strace -f -qq -o /dev/null -e trace=write \
	    -e inject=write:error=ENOSPC:when=2 spool push q <in
	is_empty_queue "$SPOOL_DIR/q"
}

@test "a rename refused with EIO fails the push, tmp/ empty" {
	require_cmd strace
	spool init q
	run -5 strace -f -qq -o /dev/null \
	    -e trace=renameat2,renameat,rename,linkat \
	    -e inject=renameat2,renameat,rename,linkat:error=EIO \
	    spool push q -m x
	is_empty_queue "$SPOOL_DIR/q"
}

@test "a file size limit fails the push with exit 5, not a signal" {
	require_cmd prlimit
	require_unsanitized "prlimit --fsize"
	spool init q
	head -c 5000 /dev/urandom | tr -d '\n' >in
	run -5 --separate-stderr prlimit --fsize=1000 spool push q <in
	[[ "$stderr" == *"File too large"* ]]
	run -5 --separate-stderr prlimit --fsize=1000 spool push q -l <in
	is_empty_queue "$SPOOL_DIR/q"
}

# Plants junk in queue q next to a real message: in its new/ leaf bucket,
# at the top of new/, and in cur/ (well-formed names too).
plant_junk() {
	local id=$1 f leaf h p
	f=$(find "$SPOOL_DIR/q/new" -type f -name "$id.*")
	leaf=${f%/*}
	p=${id:0:15} h=${id:25}
	ln -s /etc/passwd "$leaf/${p}0000000000$h.a0.s11"
	ln -s /nowhere "$leaf/${p}0000000001$h.a0.s3"
	mkfifo "$leaf/${p}0000000002$h.a0.s0"
	mkdir "$leaf/${p}0000000003$h.a0.s0"
	echo junk >"$leaf/junk name"
	echo junk >"$leaf/.hidden"
	echo junk >"$leaf/odd"$'\n'"name"
	echo junk >"$SPOOL_DIR/q/new/stray"
	mkdir "$SPOOL_DIR/q/new/notabucket"
	ln -s /etc/passwd "$SPOOL_DIR/q/cur/${p}0000000004$h.a1.s11.l1000"
	mkfifo "$SPOOL_DIR/q/cur/${p}0000000005$h.a1.s0.l1000"
	echo junk >"$SPOOL_DIR/q/cur/junk"
	# A symlinked bucket leading to a well-formed message elsewhere.
	mkdir -p outside/000
	cp "$f" "outside/000/${p}0000000006$h.a0.s4"
	ln -s "$PWD/outside" "$SPOOL_DIR/q/new/9.00000000"
}

# Every planted object, by type and name, all but the messages of ID $1.
junk_list() {
	(cd "$SPOOL_DIR/q" && find new cur -mindepth 1 ! -name "$1.*" \
	    \( ! -type d -o -name '*.*' -o -name notabucket \) -printf '%y %p\n' |
	    sort)
}

@test "planted junk is never delivered, is reported, and stays put" {
	id=$(spool push q -m real)
	plant_junk "$id"
	junk_list "$id" >before
	run -0 --separate-stderr timeout 20 spool pop q -n 10 --ack
	[ "$output" = real ]
	[[ "$stderr" == *"new/"*"/${id:0:15}0000000000${id:25}.a0.s11: "* ]]
	[[ "$stderr" == *"/${id:0:15}0000000001${id:25}.a0.s3: "* ]]
	[[ "$stderr" == *"/${id:0:15}0000000002${id:25}.a0.s0: "* ]]
	[[ "$stderr" == *"/${id:0:15}0000000003${id:25}.a0.s0: "* ]]
	[[ "$stderr" == *"/junk name: "* ]]
	[[ "$stderr" == *'/odd\012name: '* ]]
	# Said once each, though a claim rescans.
	[ "$(grep -cF "${id:0:15}0000000000${id:25}" <<<"$stderr")" = 1 ]
	run -1 timeout 20 spool pop q
	junk_list "$id" >after
	cmp before after
	[ -e outside/000/"${id:0:15}0000000006${id:25}.a0.s4" ]
	[ "$(head -c 4 /etc/passwd)" = "root" ]
}

@test "junk in cur/ is left alone by pop and reported by gc" {
	id=$(spool push q -m real)
	plant_junk "$id"
	junk_list "$id" >before
	run -0 --separate-stderr timeout 20 spool pop q --ack
	[ "$output" = real ]
	run -0 --separate-stderr timeout 20 spool gc q
	[[ "$stderr" == *"cur/${id:0:15}0000000004${id:25}.a1.s11.l1000: "* ]]
	[[ "$stderr" == *"cur/junk: "* ]]
	junk_list "$id" >after
	cmp before after
}

@test "ack, nack and touch refuse a planted symlink in cur/" {
	id=$(spool push q -m real)
	plant_junk "$id"
	local sym="$SPOOL_DIR/q/cur/${id:0:15}0000000004${id:25}.a1.s11.l1000"
	run -3 spool ack "$sym"
	run -3 spool nack --dead "$sym"
	run -3 spool touch --lease 1h "$sym"
	[ -L "$sym" ]
	[ "$(head -c 4 /etc/passwd)" = "root" ]
}

teardown() {
	[ -z "${shared:-}" ] || rm -rf "$shared"
}
