# bash completion for spool(1).
#
# Queue names come from "spool list --queues", message IDs from the first
# column of "spool list QUEUE"; a token is offered from the cur/ directories
# of the queues under the default root, and once its first characters are
# typed it completes as a file name.

_spool_commands="ack export gc import init kick list nack pop purge push run
show stat touch"

# Options of each subcommand, and those among them that take an argument
# as the next word.
_spool_opts() {
	case $1 in
	ack) echo "--help" ;;
	export) echo "-o --output --state --format --compress --move -q" \
	    "--quiet --help" ;;
	gc) echo "--json -q --quiet --help" ;;
	import) echo "-i --input --state-as --max-size --max-entries" \
	    "--max-total -q --quiet --help" ;;
	init) echo "--max-attempts --lease --backoff --group --mode --help" ;;
	kick) echo "-a --all --from -q --quiet --help" ;;
	list) echo "--queues -s --state --json -n --limit --help" ;;
	nack) echo "--delay --dead --reason --help" ;;
	pop) echo "-n --wait --wait= --lease --ack --help" ;;
	purge) echo "-s --state --older-than -q --quiet --help" ;;
	push) echo "-m --message -f --file -l --lines -0 --delay --priority" \
	    "--no-sync --help" ;;
	run) echo "-j --jobs --timeout --grace --max --batch --rate --follow" \
	    "--dead-exit --lease -q --quiet --json --capture --help" ;;
	show) echo "--body --json --help" ;;
	stat) echo "--json --prometheus --watch --watch= --ages --help" ;;
	touch) echo "--lease --help" ;;
	esac
}

_spool_takes_arg() {
	case $1 in
	-m | --message | -f | --file | -n | --limit | -j | --jobs | -o | \
	--output | -i | --input | -s | --state | --delay | --priority | \
	--max-attempts | --lease | --backoff | --group | --mode | --reason | \
	--timeout | --grace | --max | --batch | --rate | --dead-exit | \
	--from | --older-than | --format | --compress | --state-as | \
	--max-size | --max-entries | --max-total)
		return 0 ;;
	esac
	return 1
}

# The directory that bare queue names live under, as spool(1) resolves it.
_spool_root() {
	if [[ -n ${SPOOL_DIR-} ]]; then
		printf '%s\n' "$SPOOL_DIR"
	elif [[ -n ${XDG_STATE_HOME-} ]]; then
		printf '%s\n' "$XDG_STATE_HOME/spool"
	else
		printf '%s\n' "$HOME/.local/state/spool"
	fi
}

# Appends the lines of standard input to COMPREPLY, blanks and all.
_spool_add() {
	local line
	while IFS= read -r line; do
		COMPREPLY+=("$line")
	done
}

_spool_queues() {
	local cur=$1
	if [[ $cur == */* || $cur == [.~]* ]]; then
		compopt -o filenames 2>/dev/null || :
		_spool_add < <(compgen -d -- "$cur")
		return
	fi
	_spool_add < <(compgen -W "$(spool list --queues 2>/dev/null)" \
	    -- "$cur")
}

# IDs of QUEUE ($1) in the states $3 (comma list, or empty for all).
_spool_ids() {
	local queue=$1 cur=$2 states=$3 ids
	[[ -n $queue ]] || return
	ids=$(spool list "$queue" ${states:+--state "$states"} 2>/dev/null |
	    awk '$1 ~ /^[0-9a-z]+$/ && length($1) == 31 { print $1 }')
	_spool_add < <(compgen -W "$ids" -- "$cur")
}

_spool_tokens() {
	local cur=$1 root f
	compopt -o filenames 2>/dev/null || :
	if [[ -n $cur ]]; then
		_spool_add < <(compgen -f -- "$cur")
		return
	fi
	root=$(_spool_root)
	for f in "$root"/*/cur/*; do
		[[ -f $f ]] && COMPREPLY+=("$f")
	done
}

_spool_optarg() {
	local opt=$1 cur=$2
	case $opt in
	-f | --file | -i | --input | -o | --output)
		compopt -o filenames 2>/dev/null || :
		_spool_add < <(compgen -f -- "$cur")
		[[ $cur == "" ]] && COMPREPLY+=("-") ;;
	-s | --state | --state-as)
		COMPREPLY=($(compgen -W "new cur retry dead" -- "${cur##*,}"))
		if [[ $cur == *,* ]]; then
			local i
			for i in "${!COMPREPLY[@]}"; do
				COMPREPLY[i]="${cur%,*},${COMPREPLY[i]}"
			done
		fi ;;
	--from)
		COMPREPLY=($(compgen -W "dead retry dead,retry" -- "$cur")) ;;
	--format)
		COMPREPLY=($(compgen -W "tar pax cpio zip 7zip" -- "$cur")) ;;
	--compress)
		COMPREPLY=($(compgen -W "gzip bzip2 xz zstd lz4 none" -- "$cur")) ;;
	--group)
		COMPREPLY=($(compgen -g -- "$cur")) ;;
	--priority)
		COMPREPLY=($(compgen -W "0 1 2 3 4 5 6 7 8 9" -- "$cur")) ;;
	--mode)
		COMPREPLY=($(compgen -W "0700 2770" -- "$cur")) ;;
	*)
		COMPREPLY=() ;;
	esac
}

_spool() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]-}
	local i w queue="" nops=0 dashdash=0 from=dead
	COMPREPLY=()

	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$_spool_commands help --help --version" \
		    -- "$cur"))
		return
	fi
	if [[ $cmd == help ]]; then
		((COMP_CWORD == 2)) &&
		    COMPREPLY=($(compgen -W "$_spool_commands" -- "$cur"))
		return
	fi

	# Walk the words before the cursor: operands, option arguments, "--".
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((dashdash)); then
			((nops++))
			continue
		fi
		case $w in
		--) dashdash=1; nops=0; continue ;;
		--from=*) from=${w#--from=}; continue ;;
		--*=*) continue ;;
		-?*)
			if _spool_takes_arg "$w"; then
				[[ $w == --from ]] && from=${COMP_WORDS[i + 1]-dead}
				((i++))
			fi
			continue ;;
		esac
		[[ -z $queue ]] && queue=$w
		((nops++))
	done

	if [[ $cmd == run ]] && ((dashdash)); then
		if ((nops == 0)); then
			COMPREPLY=($(compgen -c -- "$cur"))
		else
			compopt -o default 2>/dev/null || :
		fi
		return
	fi

	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $prev == -* ]] && _spool_takes_arg "$prev"; then
		_spool_optarg "$prev" "$cur"
		return
	fi
	if [[ $cur == --*=* ]]; then
		local opt=${cur%%=*} val=${cur#*=}
		_spool_optarg "$opt" "$val"
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_spool_opts "$cmd")" -- "$cur"))
		[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null || :
		return
	fi

	case $cmd in
	ack | nack | touch)
		_spool_tokens "$cur" ;;
	stat | gc)
		_spool_queues "$cur" ;;
	show | purge)
		if ((nops == 0)); then
			_spool_queues "$cur"
		else
			_spool_ids "$queue" "$cur" ""
		fi ;;
	kick)
		if ((nops == 0)); then
			_spool_queues "$cur"
		else
			_spool_ids "$queue" "$cur" "$from"
		fi ;;
	export | import | init | list | pop | push | run)
		((nops == 0)) && _spool_queues "$cur" ;;
	esac
}

complete -F _spool spool
