#!/usr/bin/env bats
# security.bats: hostile input and the security checklist (TESTING.md
# sections 7 and 8, families K and L).  Everything planted in a queue --
# odd names, symlinks to /etc/passwd or another queue, FIFOs, devices,
# hard links, mode-000 files, directories -- is never delivered, moved,
# deleted, archived or run, and is reported with its name escaped.
# Paths, names, tokens and configs an attacker controls steer nothing
# outside the queue.  Shared (setgid) queues stay private to their group.
# Most tests need root (it is what makes a mistake dangerous: nothing
# else stops root from following a link).

load helper

setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export SPOOL_DIR="$BATS_TEST_TMPDIR/spool"
	unset XDG_STATE_HOME NO_COLOR
	mkdir -p "$HOME"
	cd "$BATS_TEST_TMPDIR" || return 1
	Q="$BATS_TEST_TMPDIR/q"
	spool init "$Q" >/dev/null
}

teardown() {
	[ -z "${SHARED:-}" ] || rm -rf "$SHARED"
}

# A fresh well-formed ID for planted names (never one spool made).
fake_id() {
	printf '4%014x%010x%06x' $((1764200000000000 + $1)) "$1" 11259375
}

# The sha256 of everything outside the queue a planted object points at.
outside_sum() {
	sha256sum /etc/passwd "$BATS_TEST_TMPDIR/secret" "$BATS_TEST_TMPDIR/other/q/config" \
	    $(find "$BATS_TEST_TMPDIR/other/q" -type f | sort) | sha256sum
}

# The real messages every planted-object test starts from: one in each
# state but cur/ (real-1 dead, real-2 retry, real-3 new), so that every
# state has its buckets.
real_messages() {
	spool push "$Q" -m real-1 >>realids
	spool push "$Q" -m real-2 >>realids
	spool push "$Q" -m real-3 >>realids
	t=$(spool pop "$Q") && spool nack "$t" --dead --reason x >/dev/null
	t=$(spool pop "$Q") && spool nack "$t" --delay 1h >/dev/null
}

# The places messages live: state directories, a top and a leaf bucket
# of each bucketed state, and tmp/.
places() {
	(cd "$Q" && printf '%s\n' new cur retry dead tmp &&
	    find new retry dead -mindepth 1 -maxdepth 2 -type d)
}

# plant KIND...: plants objects of each KIND in every place and records
# how many of each type there are before anything runs.
#   odd       odd names: spaces, newline, control bytes, 0xff, 255 bytes,
#             a leading dot or dash, a trailing ~, a terminal escape
#   links     message-shaped symlinks: to /etc/passwd, to a message of
#             another queue, to nowhere; and a symlinked bucket
#   special   message-shaped FIFO, character device (mknod c 1 3), directory
#   badfields a regular file whose name has a bad field (.a01)
#   hardlink  a message-shaped hard link to a root-only file outside
#   foreign   a message-shaped regular file of mode 000, one owned by
#             another user
plant() {
	local where n=0 d name kind
	spool init "$BATS_TEST_TMPDIR/other/q" >/dev/null
	spool push "$BATS_TEST_TMPDIR/other/q" -m "other queue's message" >/dev/null
	other=$(find "$BATS_TEST_TMPDIR/other/q/new" -type f)
	echo "root only" >"$BATS_TEST_TMPDIR/secret"
	chmod 600 "$BATS_TEST_TMPDIR/secret"
	real_messages
	while read -r where; do
		d="$Q/$where"
		n=$((n + 100))
		for kind; do
			case $kind in
			odd)
				for name in "a b" $'new\nline' $'ctl\001x' $'\xff\xfe' \
				    ".hidden" "tilde~" "-leading-dash" \
				    "$(printf 'L%.0s' $(seq 1 255))" $'\e[31mEVIL'; do
					echo "planted" >"$d/$name"
				done
				;;
			links)
				ln -s /etc/passwd "$d/$(fake_id $((n + 1))).a0.s5"
				ln -s "$other" "$d/$(fake_id $((n + 2))).a0.s21"
				ln -s "$BATS_TEST_TMPDIR/nowhere" "$d/$(fake_id $((n + 3))).a0.s1"
				;;
			special)
				mkfifo "$d/$(fake_id $((n + 4))).a0.s1"
				mknod "$d/$(fake_id $((n + 5))).a0.s0" c 1 3
				mkdir "$d/$(fake_id $((n + 6))).a0.s4096"
				;;
			badfields)
				echo "bad fields" >"$d/$(fake_id $((n + 7))).a01.s11"
				;;
			hardlink)
				ln "$BATS_TEST_TMPDIR/secret" "$d/$(fake_id $((n + 8))).a0.s10"
				;;
			foreign)
				echo "mode zero" >"$d/$(fake_id $((n + 9))).a0.s10"
				chmod 000 "$d/$(fake_id $((n + 9))).a0.s10"
				echo "foreign!" >"$d/$(fake_id $((n + 10))).a0.s9"
				chown 4001:4001 "$d/$(fake_id $((n + 10))).a0.s9"
				;;
			esac
		done
	done < <(places)
	case " $* " in *" links "*)
		ln -s "$(dirname "$(dirname "$other")")" "$Q/new/4.00000001" ;;
	esac
	echo info >>realids
	symlinks=$(find "$Q" -type l | wc -l)
	fifos=$(find "$Q" -type p | wc -l)
	devices=$(find "$Q" -type c | wc -l)
	links=$(stat -c %h "$BATS_TEST_TMPDIR/secret")
	before=$(outside_sum)
	find "$Q" -mindepth 1 ! -name config -printf '%i %y %P\n' |
	    grep -a -v -F -f realids | sort >planted.before
}

# Every planted object is still there, same inode, same place, same
# kind; nothing outside the queue changed.
planted_intact() {
	find "$Q" -mindepth 1 ! -name config -printf '%i %y %P\n' |
	    grep -a -v -F -f realids | sort >planted.after
	# (Buckets spool made or removed for the real messages aside.)
	comm -23 planted.before planted.after | grep -a -v ' d [a-z]*/[0-9a-f.]*\(/[0-9a-f]*\)\?$' >missing || true
	if [ -s missing ]; then
		echo "# planted objects moved or deleted:"
		sed 's/^/#   /' missing
		return 1
	fi
	[ "$(find "$Q" -type l | wc -l)" = "$symlinks" ]
	[ "$(find "$Q" -type p | wc -l)" = "$fifos" ]
	[ "$(find "$Q" -type c | wc -l)" = "$devices" ]
	[ "$(stat -c %h "$BATS_TEST_TMPDIR/secret")" = "$links" ]
	[ "$(cat "$BATS_TEST_TMPDIR/secret")" = "root only" ]
	[ "$(outside_sum)" = "$before" ]
}

# Runs every command that reads or moves messages; each must deliver,
# run and archive the real messages only.  Under a watchdog: a planted
# FIFO must never block.
hostile_round() {
	run -0 timeout 20 spool gc "$Q"
	run -0 timeout 20 spool stat "$Q"
	run -0 timeout 20 spool list "$Q"
	[[ "$output" != *passwd* ]] && [[ "$output" != *"other queue"* ]]
	run -0 --separate-stderr timeout 20 spool pop "$Q"
	echo "# popped $output: $(cat "$output")"
	[ "$(cat "$output")" = real-3 ]
	run -1 timeout 20 spool pop "$Q"
	run -0 timeout 20 spool kick "$Q" --all --from dead
	run -0 timeout 20 spool kick "$Q" --all --from retry
	# What the kicks brought back is real, and only that.
	run -0 timeout 20 spool run "$Q" --quiet -- sh -c 'cat >>"$0"; echo >>"$0"' ran
	[ "$(sort ran | tr '\n' ' ')" = "real-1 real-2 " ]
	spool push "$Q" -m real-4 >>realids
	run -0 timeout 60 spool export "$Q" -o all.tar
	run -0 bsdtar -tvf all.tar
	[[ "$output" != *passwd* ]] && [[ "$output" != *" -> "* ]]
	run -0 bsdtar -xOf all.tar
	[[ "$output" == *real-4* ]]
	[[ "$output" != *"root only"* ]] && [[ "$output" != *"root:x:0"* ]]
	[[ "$output" != *planted* ]] && [[ "$output" != *"mode zero"* ]]
	[[ "$output" != *"other queue"* ]] && [[ "$output" != *"foreign!"* ]]
	run -0 timeout 20 spool purge "$Q" --state new,cur,retry,dead
	run -0 timeout 20 spool gc "$Q"
}

@test "K: odd names, symlinks, FIFOs, devices, directories, bad fields: never delivered, moved, deleted or archived" {
	require_root
	plant odd links special badfields
	[ "$symlinks" -ge 20 ] && [ "$fifos" -ge 10 ] && [ "$devices" -ge 10 ]
	hostile_round
	planted_intact
}

@test "K: a planted hard link (st_nlink 2) is never delivered or moved, and blocks nothing" {
	require_root
	plant hardlink
	[ "$links" -ge 10 ]
	hostile_round
	planted_intact
}

@test "K: a planted mode-000 file or one of a foreign owner is never delivered" {
	require_root
	plant foreign
	hostile_round
	planted_intact
}

@test "K: planted objects are reported, with their names escaped" {
	require_root
	plant odd links special
	run -0 --separate-stderr timeout 20 spool gc "$Q"
	echo "$stderr" | head -n 5
	# Reported: the ones with message-shaped names, by name.
	[[ "$stderr" == *"$(fake_id 101)"* ]]
	[[ "$stderr" == *"$(fake_id 104)"* ]]
	[[ "$stderr" == *"$(fake_id 105)"* ]]
	# Escaped: no raw newline inside a name, no control byte, no 0xff.
	[[ "$stderr" == *'new\012line'* ]]
	[[ "$stderr" != *$'\e'* ]]
	[[ "$stderr" != *$'\001'* ]]
	[[ "$stderr" != *$'\xff'* ]]
	[[ "$stderr" == *'\033[31mEVIL'* ]]
}

@test "K: one ID in two states is reported by gc" {
	spool push "$Q" -m twice >/dev/null
	f=$(find "$Q/new" -type f)
	t=$(spool pop "$Q")
	cp "$t" "$f"
	run -0 --separate-stderr spool gc "$Q"
	id=$(basename "$f" | cut -c1-31)
	[[ "$stderr" == *"$id"* ]]
}

@test "K: a symlinked state directory or queue root: exit 4 naming it, nothing written through it" {
	mkdir elsewhere
	rm -rf "$Q/new"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$Q/new"
	run -4 --separate-stderr spool push "$Q" -m x
	[[ "$stderr" == "spool: push: "*new* ]]
	[ -z "$(ls -A elsewhere)" ]
	run -4 spool pop "$Q"
	# spool init repairs it, and still writes nothing there.
	rm "$Q/new"
	run -0 spool init "$Q"
	run -0 spool push "$Q" -m y
	[ -z "$(ls -A elsewhere)" ]
	# The queue root itself may be a symlink (documented): it works.
	ln -s "$Q" link
	run -0 spool push "$BATS_TEST_TMPDIR/link" -m via-link
	run -0 spool pop "$BATS_TEST_TMPDIR/link" --ack
	[ "$output" = y ]
}

@test "K: a missing, file, dangling or ENOTDIR queue exits 4 naming it" {
	run -4 --separate-stderr spool pop "$BATS_TEST_TMPDIR/none"
	[[ "$stderr" == "spool: pop: $BATS_TEST_TMPDIR/none: "* ]]
	echo x >file
	run -4 spool pop "$BATS_TEST_TMPDIR/file"
	run -4 spool pop "$BATS_TEST_TMPDIR/file/q"
	ln -s nowhere dangling
	run -4 spool pop "$BATS_TEST_TMPDIR/dangling"
	rm -rf "$Q/cur"
	run -4 --separate-stderr spool pop "$Q"
	[[ "$stderr" == *cur* ]]
}

@test "K: a garbage config: exit 4, one clear error, queue unchanged, init repairs it" {
	spool push "$Q" -m keep >/dev/null
	head -c 3000 /dev/urandom | tr -d '\0' >"$Q/config"
	cp "$Q/config" config.bad
	run -4 --separate-stderr spool push "$Q" -m x
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "$stderr" == "spool: push: "*config* ]]
	run -4 spool pop "$Q"
	cmp "$Q/config" config.bad
	[ "$(find "$Q/new" -type f | wc -l)" = 1 ]
	for bad in "max-attempts 0" "max-attempts -1" "max-attempts 99999999999999999999" \
	    "lease 0" "lease 5x" "backoff 1h:1s" "lease" "max-attempts 5 extra"; do
		printf '%s\n' "$bad" >"$Q/config"
		run -4 spool pop "$Q"
	done
	run -0 spool init "$Q"
	run -0 spool pop "$Q" --ack
	[ "$output" = keep ]
}

@test "K: queue names with .., a leading dot or dash, newlines, 4000 bytes are refused or safe" {
	run -2 spool push .. -m x
	run -2 spool push . -m x
	run -2 spool push .hidden -m x
	run -2 spool push -- -dash -m x
	run -2 spool push $'a\nb' -m x
	run -2 spool push "$(printf 'n%.0s' $(seq 1 4000))" -m x
	[ ! -e "$SPOOL_DIR/.hidden" ] && [ ! -e "$SPOOL_DIR/-dash" ]
	# A path of 4000 bytes fails cleanly, with its name escaped.
	run --separate-stderr spool push "$BATS_TEST_TMPDIR/$(printf 'p%.0s' $(seq 1 4000))" -m x
	[ "$status" = 4 ] || [ "$status" = 5 ]
	# A path with a newline works, and is printed escaped.
	run -0 spool init "$BATS_TEST_TMPDIR/$'nl\nq'"
	run -0 spool init "$BATS_TEST_TMPDIR/nl
q"
	run -4 --separate-stderr spool pop "$BATS_TEST_TMPDIR/no
such"
	[[ "$stderr" == *'no\012such'* ]]
}

@test "L: tokens like ../x, /etc/passwd, a file in new/ or another queue's tmp/ are refused" {
	require_root
	sum=$(sha256sum /etc/passwd)
	spool push "$Q" -m waiting >/dev/null
	f=$(find "$Q/new" -type f)
	for tok in ../x /etc/passwd "$f" "$Q/cur/../new/$(basename "$(dirname "$(dirname "$f")")")/$(basename "$(dirname "$f")")/$(basename "$f")" \
	    "$Q/cur/" "$Q/cur/.." "$Q/cur/$(basename "$f")/../../config" ""; do
		for cmd in ack nack touch; do
			run spool "$cmd" "$tok"
			echo "# spool $cmd '$tok' exited $status"
			[ "$status" != 0 ] && [ "$status" -lt 128 ]
		done
	done
	[ "$(sha256sum /etc/passwd)" = "$sum" ]
	[ -f "$f" ]
	[ -f "$Q/config" ]
}

@test "L: printed names, reasons and payloads are never format strings, terminal escapes stay escaped" {
	run -0 spool push "$Q" -m '%s%s%s%n%n%n'
	id=$output
	t=$(spool pop "$Q")
	[ "$(cat "$t")" = '%s%s%s%n%n%n' ]
	run -0 spool nack "$t" --dead --reason $'%n%s\e]0;pwned\a\e[2J'
	run -0 spool show "$Q" "$id"
	[[ "$output" != *$'\e'* ]] && [[ "$output" != *$'\a'* ]]
	[[ "$output" == *'%n%s'* ]]
	run -0 spool list "$Q" --state dead
	[[ "$output" != *$'\e'* ]]
	run -4 --separate-stderr spool pop "$BATS_TEST_TMPDIR/%s%n%s"
	[[ "$stderr" == *"%s%n%s"* ]]
}

# A shared directory others can reach (the test's own is 0700).
shared_dir() {
	SHARED=$(mktemp -d /tmp/spool-shared.XXXXXX)
	chmod 755 "$SHARED"
}

@test "L: a group queue (init --group --mode 2770): members push and run, files never world-readable" {
	require_root
	require_cmd setpriv
	shared_dir
	local g=4242 sq=$SHARED/q
	run -0 spool init "$sq" --group "$g" --mode 2770
	[ "$(stat -c '%a %g' "$sq")" = "2770 $g" ]
	as() { setpriv --reuid="$1" --regid="$g" --groups="$g" "${@:2}"; }
	# A member with umask 077 pushes: the file stays group-readable.
	run -0 as 4001 sh -c "umask 077; spool push '$sq' -m from-4001"
	run -0 as 4001 sh -c "umask 077; printf 'a\nb\n' | spool push '$sq' -l"
	run -0 as 4001 sh -c "umask 077; spool push '$sq' --delay 1h -m later"
	# Another member takes one, runs the rest.
	run -0 as 4002 spool pop "$sq" --ack
	[ "$output" = from-4001 ]
	run -0 as 4002 sh -c "umask 077; spool run '$sq' --quiet -- cat"
	[ -z "$(find "$sq" -perm /o=rwx)" ]
	[ -z "$(find "$sq" -type f ! -perm -g=r)" ]
	[ -z "$(find "$sq" -type d ! -perm -2070)" ]
	# Not a member: refused, nothing written.
	run setpriv --reuid=4003 --regid=4003 --clear-groups spool push "$sq" -m intruder
	[ "$status" = 4 ] || [ "$status" = 5 ]
	run -0 spool list "$sq"
	[[ "$output" != *intruder* ]]
}

@test "L: a read-only queue: push exits 5, reading works" {
	require_root
	require_cmd setpriv
	shared_dir
	local sq=$SHARED/q
	# Group members may read (2750) but not write.
	spool init "$sq" --group 4242 --mode 2750 >/dev/null
	spool push "$sq" -m readable >/dev/null
	ro() { setpriv --reuid=4005 --regid=4242 --groups=4242 "$@"; }
	run -5 --separate-stderr ro spool push "$sq" -m x
	[[ "$stderr" == "spool: push: "* ]]
	[ -z "$(find "$sq/tmp" -mindepth 1)" ]
	run -0 ro spool list "$sq"
	[[ "$output" == *"$(find "$sq/new" -type f -printf '%f' | cut -c1-31)"* ]]
	run -0 ro spool stat "$sq"
}

@test "L: root warns about a queue that others may write" {
	require_root
	chmod 777 "$Q"
	run -0 --separate-stderr spool push "$Q" -m x
	[[ "$stderr" == *"writable"* ]]
}

@test "K: closed or odd standard streams: no crash, honest status, nothing half done" {
	# stdout closed: the ID cannot be told, so not success; the message
	# is kept (it was durable before the print).
	# (Redirections inside sh -c: bats' run would give the command its
	# own capture pipe, and a closed fd 0 would become that pipe.)
	run sh -c 'spool push "$1" -m kept >&-' sh "$Q"
	[ "$status" != 0 ] && [ "$status" -lt 128 ]
	[ "$(find "$Q/new" -type f | wc -l)" = 1 ]
	run -5 --separate-stderr sh -c 'spool push "$1" -m full >/dev/full' sh "$Q"
	[[ "$stderr" == "spool: push: "* ]]
	run -5 sh -c 'spool list "$1" >/dev/full' sh "$Q"
	# A reader that goes away: an error or SIGPIPE, never a crash.
	for i in $(seq 1 50); do spool push "$Q" -m "m$i" >/dev/null; done
	run sh -c 'spool list "$1" | head -n 1' sh "$Q"
	[ "$status" = 0 ]
	# stdin closed, or a directory: nothing pushed, tmp/ clean.
	run timeout 10 sh -c 'spool push "$1" <&- >/dev/null' sh "$Q"
	[ "$status" = 2 ] || [ "$status" = 5 ]
	run timeout 10 sh -c 'spool push "$1" <"$2" >/dev/null' sh "$Q" "$BATS_TEST_TMPDIR"
	[ "$status" = 5 ]
	[ -z "$(ls "$Q/tmp")" ]
	[ "$(find "$Q/new" -type f | wc -l)" = 52 ]
}

@test "K: INT, TERM or HUP during a push on a slow stdin: tmp/ cleaned, nothing pushed" {
	local sig
	for sig in INT TERM HUP; do
		mkfifo "slow.$sig"
		# (A background job of a script starts with SIGINT ignored:
		# give it the default disposition, as a terminal's job has.)
		env --default-signal=INT spool push "$Q" <"slow.$sig" \
		    >out 2>err 3>&- &
		p=$!
		exec 7>"slow.$sig"
		echo "partial payload" >&7
		wait_for "[ -n \"\$(ls '$Q/tmp')\" ]" 10
		kill -"$sig" "$p"
		wait_for "! kill -0 $p 2>/dev/null" 10 || kill -KILL "$p"
		rc=0
		wait "$p" || rc=$?
		exec 7>&-
		echo "# SIG$sig: push exited $rc"
		[ "$rc" != 0 ]
		[ -z "$(ls "$Q/tmp")" ]
		[ -z "$(find "$Q/new" -type f)" ]
	done
}

@test "K: payload sizes at the edges and odd bytes arrive byte-exact" {
	local n
	for n in 0 1 4095 4096 4097 65535 65536 65537; do
		head -c "$n" /dev/urandom >p
		id=$(spool push "$Q" <p)
		t=$(spool pop "$Q")
		cmp p "$t"
		spool ack "$t"
	done
	printf 'crlf\r\nno final newline' >p
	spool push "$Q" <p >/dev/null
	spool pop "$Q" --ack >got
	cmp p got
	# A line of 1 MiB through push -l, and NUL-separated records.
	head -c 1048576 /dev/urandom | base64 -w 0 >line
	echo >>line
	spool push "$Q" -l <line >/dev/null
	spool pop "$Q" --ack >got
	cmp <(tr -d '\n' <line) got
	printf 'a\nb\0c\0' | spool push "$Q" -l -0 >/dev/null
	spool pop "$Q" --ack >got
	printf 'a\nb' | cmp - got
}

@test "K: bad arguments exit 2 with the synopsis" {
	run -2 --separate-stderr spool push "$Q" --no-such-option
	[[ "$stderr" == *"usage: spool push"* ]]
	run -2 spool push
	run -2 spool pop "$Q" -n 0
	run -2 spool pop "$Q" --lease 5x
	run -2 spool push "$Q" --delay -1s -m x
	run -2 spool run "$Q" -j 0 -- true
	run -2 spool run "$Q" -- 
	run -2 spool nack
	run -2 spool init "$Q" --max-attempts 0
}
