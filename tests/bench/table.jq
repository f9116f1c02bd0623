# table.jq: summary records (one per input) to a text table.  Columns:
# label, wall time per operation, operations per second, largest peak RSS
# of a child, CPU per operation of the children (microseconds), what.
def rpad($n): tostring | if length >= $n then . else . + (" " * ($n - length)) end;
def lpad($n): tostring | if length >= $n then . else (" " * ($n - length)) + . end;
def num: if . == null then "-"
	 elif . >= 100 then (. | round | tostring)
	 elif . >= 10 then ((. * 10 | round) / 10 | tostring)
	 else ((. * 100 | round) / 100 | tostring) end;
if .kind == "op" then
	(.label | rpad(26)) + " " + (.mean_us | num | lpad(10)) + " us "
	+ (.ops_per_s | num | lpad(9)) + "/s "
	+ ((.maxrss_kb // null) | if . == null or . == 0 then "-" else tostring + "K" end | lpad(7))
	+ " " + ((.cpu_us // null) | if . == null or . == 0 then "-" else num end | lpad(8))
	+ "  " + (if .reps == 0 then "FAILED: " + (.error // "") else .desc end)
else
	((if $ARGS.named.suite then .suite + ": " else "" end) + .label
	 | rpad(if $ARGS.named.suite then 34 else 26 end))
	+ " " + (.value | num | lpad(10)) + "    "
	+ (if .op == "~" then "" else .op + " " + (.target | tostring) end | rpad(10))
	+ (if .op == "~" then "info" elif .pass == null then "n/a " elif .pass then "ok  " else "MISS" end)
	+ "            " + .desc
end
