#!/usr/bin/env bats
# completions.bats: the bash, zsh and fish completions offer every
# subcommand of the dispatch table, every option spool(1) documents, and
# queue names, IDs and tokens from a real queue root.
# tests/run: no-sanitizer (shell scripts and --help text: the ASan pass adds nothing)

load helper

COMP="$TOP/completions"

# Subcommand names in cmd/spool.c's commands[] table.
table_commands() {
	sed -n 's/^[[:space:]]*{"\([a-z]*\)", cmd_.*/\1/p' "$TOP/cmd/spool.c"
}

# "COMMAND FLAG" pairs for every option spool(1) documents under COMMANDS,
# plus --help for every command.
man_flags() {
	awk '
	/^\.Sh COMMANDS/ { on = 1; next }
	/^\.Sh / { on = 0 }
	!on { next }
	/^\.It Cm [a-z]+/ {
		cmd = $3
		print cmd, "--help"
	}
	/^\.It / && cmd != "" {
		for (i = 2; i < NF; i++)
			if ($i == "Fl" && $(i + 1) ~ /^-?[A-Za-z0-9]/)
				print cmd, "-" $(i + 1)
	}' "$TOP/man/spool.1" | sort -u
}

# Runs the bash completion for the words given, the last one being the
# word under the cursor; leaves the matches in COMPREPLY.
bash_complete() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_spool || :
}

# Succeeds when COMPREPLY holds exactly the words given, in any order.
reply_is() {
	local got want
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
	want=$(printf '%s\n' "$@" | sort)
	if [ "$got" != "$want" ]; then
		printf 'expected:\n%s\ngot:\n%s\n' "$want" "$got" >&2
		return 1
	fi
}

# Succeeds when COMPREPLY holds the word $1.
reply_has() {
	local w
	for w in "${COMPREPLY[@]}"; do
		[ "$w" = "$1" ] && return 0
	done
	printf 'no %s in: %s\n' "$1" "${COMPREPLY[*]}" >&2
	return 1
}

# Prints what zsh's completion system offers at the end of each command
# line given: "## LINE", then the matches, one per line.  It drives an
# interactive zsh on a pseudo-terminal and lists what reaches compadd.
zsh_complete_all() {
	cat >"$BATS_TEST_TMPDIR/capture.zsh" <<'EOF'
zmodload zsh/zpty
zpty c zsh -f -i
zpty -w c "unset zle_bracketed_paste; setopt no_prompt_sp; PROMPT=''"
zpty -w c "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w c "bindkey '^I' complete-word; bindkey '^U' kill-whole-line"
zpty -w c "_cap_pre() { print -rn -- \$'\\n'\${:-@@}PRE\${:-@@}\$'\\n' }"
zpty -w c "_cap_post() { print -rn -- \$'\\n'\${:-@@}POST\${:-@@}\$'\\n' }"
zpty -w c "compadd() { local -a h; if (( \${@[(I)-[OAD]]} )); then builtin compadd \"\$@\"; return; fi; builtin compadd -A h \"\$@\"; (( \$#h )) && print -rl -- \"\${h[@]}\"; builtin compadd \"\$@\"; }"
shift
local l line on
for l; do
	print -r -- "## $l"
	# zsh empties these arrays after each completion.
	zpty -w c "compprefuncs=(_cap_pre); comppostfuncs=(_cap_post)"
	zpty -w -n c "$l"$'\t'
	on=0
	while zpty -r c line; do
		line=${line//$'\r'/}; line=${line%$'\n'}
		case $line in
		*@@PRE@@*) on=1 ;;
		*@@POST@@*) break ;;
		*) (( on )) && [[ -n $line ]] && print -r -- "$line" ;;
		esac
	done
	zpty -w -n c $'\C-u'
done
zpty -d c
EOF
	timeout 30 zsh -f "$BATS_TEST_TMPDIR/capture.zsh" "$COMP" "$@"
}

# The matches zsh offers at the end of one command line.
zsh_complete() {
	zsh_complete_all "$1" | sed 1d
}

fish_complete() {
	fish --no-config -c "source '$COMP/spool.fish'; complete -C '$1'" |
	    cut -f1
}

# Every line of $1 is among the lines of $2.
lines_within() {
	local missing
	missing=$(comm -23 <(printf '%s\n' "$1" | sort -u) \
	    <(printf '%s\n' "$2" | sort -u))
	if [ -n "$missing" ]; then
		printf 'missing:\n%s\n' "$missing" >&2
		return 1
	fi
}

@test "bash: the completion file registers _spool for spool" {
	source "$COMP/spool.bash"
	run -0 complete -p spool
	[ "$output" = "complete -F _spool spool" ]
}

@test "bash: the first word completes to every subcommand of the dispatch table" {
	source "$COMP/spool.bash"
	bash_complete spool ""
	local c
	for c in $(table_commands) help; do
		reply_has "$c"
	done
	bash_complete spool pu
	reply_is push purge
	bash_complete spool --v
	reply_is --version
}

@test "bash: every option spool(1) documents completes under its subcommand" {
	source "$COMP/spool.bash"
	local cmd want flags
	flags=$(man_flags)
	for cmd in $(table_commands); do
		want=$(awk -v c="$cmd" '$1 == c { print $2 }' <<<"$flags")
		bash_complete spool "$cmd" q -
		lines_within "$want" "$(printf '%s\n' "${COMPREPLY[@]}")" ||
		    { echo "spool $cmd" >&2; return 1; }
	done
}

@test "bash: push offers exactly its own options" {
	source "$COMP/spool.bash"
	bash_complete spool push q -
	reply_is -m --message -f --file -l --lines -0 --delay --priority \
	    --no-sync --help
}

@test "bash: option arguments complete to their values" {
	source "$COMP/spool.bash"
	bash_complete spool list q --state ""
	reply_is new cur retry dead
	bash_complete spool export q --state new,re
	reply_is new,retry
	bash_complete spool kick q --from ""
	reply_is dead retry dead,retry
	bash_complete spool export q --format ""
	reply_is tar pax cpio zip 7zip
	bash_complete spool export q --compress=z
	reply_is zstd
	bash_complete spool push q --priority ""
	reply_is 0 1 2 3 4 5 6 7 8 9
}

@test "bash: -f, -i and -o complete file names" {
	source "$COMP/spool.bash"
	touch backup.tar.zst backup.zip payload.txt
	bash_complete spool export q -o back
	reply_is backup.tar.zst backup.zip
	bash_complete spool import q -i backup.t
	reply_is backup.tar.zst
	bash_complete spool push q -f pay
	reply_is payload.txt
}

@test "bash: after run's -- the first word completes to commands" {
	source "$COMP/spool.bash"
	bash_complete spool run q -j 2 -- printen
	reply_has printenv
}

@test "bash: queue operands complete to the queues under SPOOL_DIR" {
	source "$COMP/spool.bash"
	spool init alpha
	spool init beta
	run -0 spool list --queues
	[ "$output" = "$(printf 'alpha\nbeta')" ]
	bash_complete spool push ""
	reply_is alpha beta
	bash_complete spool pop --lease 5m a
	reply_is alpha
	bash_complete spool stat alpha ""
	reply_is alpha beta
	# The second operand of push is not a queue.
	bash_complete spool push alpha ""
	reply_is
}

@test "bash: show, kick and purge complete IDs from spool list" {
	source "$COMP/spool.bash"
	local a b tok
	a=$(spool push q -m one)
	b=$(spool push q -m two)
	bash_complete spool show q ""
	reply_is "$a" "$b"
	bash_complete spool purge q "$a" ""
	reply_is "$a" "$b"
	# kick offers dead messages by default, waiting ones with --from retry.
	bash_complete spool kick q ""
	reply_is
	tok=$(spool pop q)
	spool nack "$tok" --dead
	bash_complete spool kick q ""
	reply_is "$a"
	tok=$(spool pop q)
	spool nack "$tok" --delay 1h
	bash_complete spool kick q --from retry ""
	reply_is "$b"
	bash_complete spool kick q --from=dead,retry ""
	reply_is "$a" "$b"
}

@test "bash: ack, nack and touch complete the tokens of claimed messages" {
	source "$COMP/spool.bash"
	local tok
	spool push q -m one >/dev/null
	tok=$(spool pop q)
	bash_complete spool ack ""
	reply_is "$tok"
	bash_complete spool touch --lease 1m ""
	reply_is "$tok"
}

@test "zsh: the completion file parses and autoloads" {
	require_cmd zsh
	run -0 zsh -n "$COMP/_spool"
	run -0 zsh -f -c "fpath=('$COMP' \$fpath); autoload -U compinit;
	    compinit -u -D; autoload -U _spool; (( \$+functions[_spool] ))
	    print -r -- \$_comps[spool]"
	[ "$output" = "_spool" ]
}

@test "zsh: the first word completes to every subcommand of the dispatch table" {
	require_cmd zsh
	local all
	all=$(zsh_complete_all 'spool ' 'spool pu')
	lines_within "$(table_commands)" \
	    "$(awk '/^## / { n++; next } n == 1' <<<"$all")"
	[ "$(awk '/^## / { n++; next } n == 2' <<<"$all" | sort | xargs)" = \
	    "purge push" ]
}

@test "zsh: every option spool(1) documents completes under its subcommand" {
	require_cmd zsh
	local cmd want got all flags
	local -a lines=()
	flags=$(man_flags)
	for cmd in $(table_commands); do
		lines+=("spool $cmd -")
	done
	all=$(zsh_complete_all "${lines[@]}")
	for cmd in $(table_commands); do
		want=$(awk -v c="$cmd" '$1 == c { print $2 }' <<<"$flags")
		got=$(awk -v h="## spool $cmd -" '
		    /^## / { on = ($0 == h); next } on' <<<"$all")
		lines_within "$want" "$got" ||
		    { echo "spool $cmd" >&2; return 1; }
	done
}

@test "zsh: option values and queue names complete" {
	require_cmd zsh
	run -0 zsh_complete 'spool export q --compress '
	[ "$(sort <<<"$output" | xargs)" = "bzip2 gzip lz4 none xz zstd" ]
	spool init alpha
	spool init beta
	run -0 zsh_complete 'spool push '
	lines_within "$(printf 'alpha\nbeta\n')" "$output"
}

@test "zsh: show completes IDs from spool list" {
	require_cmd zsh
	local a
	a=$(spool push q -m one)
	run -0 zsh_complete 'spool show q '
	[ "$output" = "$a" ]
}

@test "fish: the completion file parses" {
	require_cmd fish
	run -0 fish --no-config -n "$COMP/spool.fish"
	run -0 fish --no-config -c "source '$COMP/spool.fish'"
	[ -z "$output" ]
}

@test "fish: spool pu completes to push and purge" {
	require_cmd fish
	run -0 fish_complete 'spool pu'
	[ "$(sort <<<"$output" | xargs)" = "purge push" ]
}

@test "fish: the first word completes to every subcommand of the dispatch table" {
	require_cmd fish
	run -0 fish_complete 'spool '
	lines_within "$(table_commands)" "$output"
}

@test "fish: every option spool(1) documents completes under its subcommand" {
	require_cmd fish
	local cmd want flags
	flags=$(man_flags)
	for cmd in $(table_commands); do
		want=$(awk -v c="$cmd" '$1 == c { print $2 }' <<<"$flags")
		run -0 fish_complete "spool $cmd -"
		lines_within "$want" "$output" || { echo "spool $cmd" >&2; return 1; }
	done
}

@test "fish: queue names and IDs complete from a real queue root" {
	require_cmd fish
	local a
	spool init alpha
	a=$(spool push beta -m one)
	run -0 fish_complete 'spool push '
	[ "$(sort <<<"$output" | xargs)" = "alpha beta" ]
	run -0 fish_complete 'spool show beta '
	[ "$output" = "$a" ]
}
