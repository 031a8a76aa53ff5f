#!/usr/bin/env bash
# refnet info and refnet convert end to end: counts, JSON keys, exit codes, .rnb round trip.
set -u
refnet=$1; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi
}
status() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

printf 'referrer,referred,weight\r\na,b,1\r\na,c,2\r\nb,c,1\r\na,b,3\r\nc,c,1\r\nd,e,1\r\n' > "$tmp/r.csv"
check "info ok" 0 "$(status "$refnet" info "$tmp/r.csv" --format json)"
j=$(cat "$tmp/out")
get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$j"; }
check nodes 5 "$(get nodes)"
check edges 4 "$(get edges)"
check duplicates 1 "$(get duplicates_merged)"
check self_loops 1 "$(get self_loops)"
check components 2 "$(get weakly_connected_components)"
check largest 3 "$(get largest_component)"
check multi 1 "$(get multi_referred)"
check keys "bytes_per_edge duplicates_merged edges file graph_bytes isolated largest_component load_seconds max_in_degree max_out_degree mean_out_degree mean_referrals_per_referrer multi_referred nodes referred referrers rows self_loops weakly_connected_components" \
  "$(python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))' <<<"$j")"
check mean_out 0.8 "$(get mean_out_degree)"
# a file name with a quote and a backslash comes back as it was
odd="$tmp/q\"b\\s.csv"
cp "$tmp/r.csv" "$odd"
check "odd name" 0 "$(status "$refnet" info "$odd" --format json)"
check "odd name file" "$odd" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["file"])' < "$tmp/out")"
check text 0 "$(status "$refnet" info "$tmp/r.csv")"
grep -q '^customers  *5$' "$tmp/out" || { echo "FAIL text output"; cat "$tmp/out"; fail=1; }

# compressed input gives the same graph; a truncated one is exit 74
gzip -c "$tmp/r.csv" > "$tmp/r.csv.gz"
check "gz" 0 "$(status "$refnet" info "$tmp/r.csv.gz" --format json)"
check "gz edges" 4 "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["edges"])' < "$tmp/out")"
head -c 30 "$tmp/r.csv.gz" > "$tmp/cut.csv.gz"
check "truncated gz" 74 "$(status "$refnet" info "$tmp/cut.csv.gz")"
grep -q 'cut.csv.gz' "$tmp/err" || { echo "FAIL truncated gz message"; cat "$tmp/err"; fail=1; }

# bad data: exact position, exit 65, nothing on stdout
printf 'referrer,referred,weight\na,b,1\na,c,-2\n' > "$tmp/bad.csv"
check "bad weight" 65 "$(status "$refnet" info "$tmp/bad.csv")"
grep -q "bad.csv:3:5: column 'weight'" "$tmp/err" || { echo "FAIL bad weight message"; cat "$tmp/err"; fail=1; }
check "no partial output" "" "$(cat "$tmp/out")"
check "duplicates error" 65 "$(status "$refnet" info "$tmp/r.csv" --duplicates error)"
grep -q "r.csv:5: duplicate referral 'a' -> 'b'" "$tmp/err" || { echo "FAIL dup message"; cat "$tmp/err"; fail=1; }

# missing file and usage errors
check "missing" 66 "$(status "$refnet" info "$tmp/nope.csv")"
check "no args" 64 "$(status "$refnet" info)"
check "bad format" 64 "$(status "$refnet" info "$tmp/r.csv" --format xml)"
check "unknown command" 64 "$(status "$refnet" frobnicate)"
check "help" 0 "$(status "$refnet" info --help)"
check "version" 0 "$(status "$refnet" --version)"

# .rnb round trip: same description
check "convert" 0 "$(status "$refnet" convert "$tmp/r.csv" -o "$tmp/r.rnb" --quiet)"
"$refnet" info "$tmp/r.csv" --format json | grep -v -e '"file"' -e load_seconds > "$tmp/a"
"$refnet" info "$tmp/r.rnb" --format json | grep -v -e '"file"' -e load_seconds > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL rnb info differs"; diff "$tmp/a" "$tmp/b"; fail=1; }
printf 'RNBGRAPH-not-really' > "$tmp/fake.rnb"
check "corrupt rnb" 65 "$(status "$refnet" info "$tmp/fake.rnb")"
check "convert needs -o" 64 "$(status "$refnet" convert "$tmp/r.csv")"
check "convert unwritable" 73 "$(status "$refnet" convert "$tmp/r.csv" -o /nonexistent/x.rnb)"

# output errors: a full disk and a closed pipe are exit 74 with a message, not a silent death
"$refnet" info "$tmp/r.csv" --format json >/dev/full 2>"$tmp/err"; rc=$?
check "stdout full" 74 "$rc"
grep -q 'cannot write standard output' "$tmp/err" || { echo "FAIL full disk message"; fail=1; }
awk 'BEGIN { print "referrer,referred"; for (i = 0; i < 50000; i++) print "c" i ",c" i + 1 }' > "$tmp/chain.csv"
"$refnet" rank "$tmp/chain.csv" 2>"$tmp/err" | head -n 1 >/dev/null
check "closed pipe" 74 "${PIPESTATUS[0]}"

# a memory limit turns an input too large for it into exit 70, not swap or the OOM killer
REFNET_MEMORY_LIMIT=2000000 "$refnet" info "$tmp/chain.csv" >/dev/null 2>"$tmp/err"; rc=$?
check "memory limit" 70 "$rc"
grep -q 'out of memory' "$tmp/err" || { echo "FAIL memory limit message"; cat "$tmp/err"; fail=1; }
check "under the limit" 0 "$(REFNET_MEMORY_LIMIT=200000000 status "$refnet" info "$tmp/chain.csv")"
exit $fail
