#!/usr/bin/env bash
# The benchmark programs (bench/, run by scripts/bench) on a small generated set: every side
# reads the same customers, and each prints the JSON the harness reads.
set -u
refnet=$1; bin=$(dirname "$refnet"); tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi
}
get() { python3 -c 'import json,sys; print(json.loads(sys.argv[2])[sys.argv[1]])' "$1" "$2"; }

"$refnet" generate --customers 20000 --seed 3 --out "$tmp/d" --quiet --wom-rate 2.8 ||
  { echo "FAIL generate"; exit 1; }
csv=$("$bin/bench_refnet" csv "$tmp/d/referrals.csv" "$tmp/g.rnb") || fail=1
rnb=$("$bin/bench_refnet" rnb "$tmp/g.rnb") || fail=1
ig=$("$bin/bench_igraph" csv "$tmp/d/referrals.csv") || fail=1
awk -F, 'NR > 1 { print $2 " " $1 }' "$tmp/d/referrals.csv" > "$tmp/r.ncol"
nc=$("$bin/bench_igraph" ncol "$tmp/r.ncol") || fail=1
rows=$(($(wc -l < "$tmp/d/referrals.csv") - 1))
nodes=$(get nodes "$csv")
check "rnb nodes" "$nodes" "$(get nodes "$rnb")"
check "rnb edges" "$(get edges "$csv")" "$(get edges "$rnb")"
check "igraph nodes" "$nodes" "$(get nodes "$ig")"
check "igraph ncol nodes" "$nodes" "$(get nodes "$nc")"
check "igraph edges (one per row, duplicates kept)" "$rows" "$(get edges "$ig")"
check "igraph ncol edges" "$rows" "$(get edges "$nc")"
# refnet merges repeated pairs, so it never has more edges than rows
check "refnet edges <= rows" 1 "$(( $(get edges "$csv") <= rows ))"
for j in "$csv" "$rnb" "$ig" "$nc"; do
  check "times and peak" 1 "$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(int(r["load_s"] >= 0 and r["pagerank_s"] >= 0 and r["peak_rss_bytes"] > 0))' "$j")"
done

# the CSV baseline refuses what it does not parse, naming the line
printf 'referrer,referred\na,b\n"c",d\n' > "$tmp/q.csv"
"$bin/bench_igraph" csv "$tmp/q.csv" > /dev/null 2> "$tmp/err"
check "quoted field exit" 65 "$?"
grep -q 'q.csv:3: quoted field' "$tmp/err" || { echo "FAIL quoted message"; cat "$tmp/err"; fail=1; }
printf 'from,to\na,b\n' > "$tmp/h.csv"
"$bin/bench_igraph" csv "$tmp/h.csv" > /dev/null 2>&1
check "missing columns exit" 65 "$?"
"$bin/bench_igraph" > /dev/null 2>&1
check "usage exit" 64 "$?"
exit $fail
