#!/usr/bin/env bash
# rank.sh - end-to-end test of 'refnet rank': column layout, ordering, hand-computed values,
# --top, --metrics, -o, and the exit codes of its errors.
# usage: bash rank.sh REFNET SOURCE_DIR BUILD_DIR
set -u
refnet=$1
work=$(mktemp -d "${3:-/tmp}/rank.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
check() { # check NAME GOT WANT
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: got '$2', want '$3'" >&2
		fail=1
	fi
}
near() { # near NAME GOT WANT TOL
	if ! awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }'; then
		echo "FAIL $1: got $2, want $3 (tol $4)" >&2
		fail=1
	fi
}

# Chain a -> b -> c, a self-loop on c (dropped), an isolated pair d -> e listed later.
cat > "$work/chain.csv" <<'CSV'
referrer,referred
a,b
b,c
c,c
d,e
CSV
"$refnet" rank "$work/chain.csv" --katz-alpha 0.5 > "$work/out.csv"
check "exit status" "$?" 0
check "header" "$(head -1 "$work/out.csv")" "customer,referrals,referral_weight,pagerank,katz,reach"
check "row order" "$(cut -d, -f1 "$work/out.csv" | tail -n +2 | tr '\n' ' ')" "a b d c e "
# PageRank on the reversed graph, uniform teleport, d = 0.85: with z = 1 + d M z,
# z_c = z_e = 1, z_b = 1.85, z_a = 2.5725, z_d = 1.85, pr = z / 8.2725.
row_a=$(grep '^a,' "$work/out.csv")
check "a referrals" "$(echo "$row_a" | cut -d, -f2)" 1
check "a weight" "$(echo "$row_a" | cut -d, -f3)" 1
near "a pagerank" "$(echo "$row_a" | cut -d, -f4)" "$(awk 'BEGIN { printf "%.17g", 2.5725 / 8.2725 }')" 1e-12
# Katz x = 1 + 0.5 A x: x_c = 1, x_b = 1.5, x_a = 1.75.
check "a katz" "$(echo "$row_a" | cut -d, -f5)" 1.75
check "a reach" "$(echo "$row_a" | cut -d, -f6)" 2
check "c row" "$(grep '^c,' "$work/out.csv" | cut -d, -f2,3,5,6)" "0,0,1,0"
# d ties with b on pagerank (z = 1.85 for both): b was seen first, so it comes first.
check "tie by first seen" "$(grep -n '^[bd],' "$work/out.csv" | cut -d: -f1 | tr '\n' ' ')" "3 4 "

# --top and --metrics, -o
"$refnet" rank "$work/chain.csv" --top 2 --metrics reach,pagerank -o "$work/top.csv"
check "top exit" "$?" 0
check "top header" "$(head -1 "$work/top.csv")" "customer,pagerank,reach"
check "top rows" "$(wc -l < "$work/top.csv" | tr -d ' ')" 3
check "no temp file left" "$(ls "$work" | grep -c tmp)" 0

# Errors: usage 64, missing input 66, Katz alpha too large on a cycle 64 with a message.
"$refnet" rank "$work/chain.csv" --top 0 2> "$work/err"
check "bad --top" "$?" 64
"$refnet" rank "$work/missing.csv" 2> "$work/err"
check "missing file" "$?" 66
printf 'referrer,referred\nx,y\ny,x\n' > "$work/cycle.csv"
"$refnet" rank "$work/cycle.csv" --katz-alpha 1 2> "$work/err"
check "katz alpha too large" "$?" 64
grep -q "alpha must be below 1/lambda_max = 1" "$work/err" || { echo "FAIL katz message: $(cat "$work/err")" >&2; fail=1; }
"$refnet" rank "$work/cycle.csv" --metrics pagerank,reach --katz-alpha 1 > "$work/out2.csv"
check "katz not computed when not asked" "$?" 0
# The default alpha: 0.1 where it converges, silently; on the complete digraph of 13 customers
# (lambda_max 12) half the largest safe alpha, with a note, and Katz = 1 / (1 - 12 alpha).
"$refnet" rank "$work/cycle.csv" > /dev/null 2> "$work/err"
check "default alpha on a 2-cycle" "$?" 0
check "no note on a 2-cycle" "$(cat "$work/err")" ""
{
	echo referrer,referred
	for u in $(seq 1 13); do for v in $(seq 1 13); do [ "$u" != "$v" ] && echo "k$u,k$v"; done; done
} > "$work/complete.csv"
"$refnet" rank "$work/complete.csv" > "$work/complete_out.csv" 2> "$work/err"
check "default alpha on K13" "$?" 0
grep -q "note: Katz alpha 0.0[0-9]* instead of the default 0.1" "$work/err" || { echo "FAIL K13 note: $(cat "$work/err")" >&2; fail=1; }
alpha=$(sed -n 's/.*note: Katz alpha \([0-9.e-]*\) instead.*/\1/p' "$work/err")
katz=$(awk -F, 'NR == 2 { print $5 }' "$work/complete_out.csv")
near "K13 katz" "$katz" "$(awk -v a="$alpha" 'BEGIN { print 1 / (1 - 12 * a) }')" 1e-5
"$refnet" rank "$work/complete.csv" --katz-alpha 0.1 > /dev/null 2> "$work/err"
check "explicit alpha 0.1 on K13" "$?" 64
# A binary snapshot of the same referrals ranks identically.
if "$refnet" convert "$work/chain.csv" -o "$work/chain.rnb" 2> /dev/null; then
	"$refnet" rank "$work/chain.rnb" --katz-alpha 0.5 > "$work/out_rnb.csv"
	check "snapshot exit" "$?" 0
	check "snapshot output" "$(cmp -s "$work/out.csv" "$work/out_rnb.csv" && echo same)" same
else
	echo "FAIL refnet convert" >&2
	fail=1
fi
# Numbered ids (C00000001...: indexed by number while loading, moved into the hash table that
# the snapshot stores), with a few other ids among them: the CSV and its snapshot rank alike,
# and every id of the snapshot is found again (the snapshot's rank names each row's id).
"$refnet" generate --customers 3000 --seed 5 --out "$work/gen" --quiet
{ cat "$work/gen/referrals.csv"; printf 'C00000001,x-1,2024-01-01,1,0\nx-1,C1,2024-01-02,2,0\nC1,C01,2024-01-03,1,0\n'; } > "$work/numbered.csv"
"$refnet" rank "$work/numbered.csv" --metrics pagerank > "$work/numbered_csv.csv"
"$refnet" convert "$work/numbered.csv" -o "$work/numbered.rnb" 2> /dev/null
check "numbered convert exit" "$?" 0
"$refnet" rank "$work/numbered.rnb" --metrics pagerank > "$work/numbered_rnb.csv"
check "numbered snapshot output" "$(cmp -s "$work/numbered_csv.csv" "$work/numbered_rnb.csv" && echo same)" same
check "numbered ids ranked" "$(grep -c -E '^(C1|C01|x-1),' "$work/numbered_rnb.csv")" 3
check "numbered rows" "$(($(wc -l < "$work/numbered_rnb.csv") - 1))" "$("$refnet" info "$work/numbered.csv" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"])')"
# A tolerance below double precision: the cycles stop at their rounding, with a note, and the
# ranks agree with the default tolerance's (L1 within 1e-9).
sample="$2/datasets/sample/referrals.csv"
"$refnet" rank "$sample" --metrics pagerank > "$work/tol_default.csv"
"$refnet" rank "$sample" --metrics pagerank --tol 1e-300 > "$work/tol_tiny.csv" 2> "$work/err"
check "tiny tolerance exit" "$?" 0
grep -q "note: --tol 1e-300 is finer than double precision resolves on [0-9]* cycle" "$work/err" ||
	{ echo "FAIL tiny tolerance note: $(cat "$work/err")" >&2; fail=1; }
check "tiny tolerance columns" "$(head -1 "$work/tol_tiny.csv")" "customer,pagerank"
l1=$(awk -F, 'NR == FNR { if (FNR > 1) pr[$1] = $2; next }
	FNR > 1 && ($1 in pr) { d = $2 - pr[$1]; s += d < 0 ? -d : d; k++ }
	END { printf "%d %.3g", k, s }' "$work/tol_default.csv" "$work/tol_tiny.csv")
check "tiny tolerance rows" "${l1% *}" "$(($(wc -l < "$work/tol_default.csv") - 1))"
near "tiny tolerance agrees" "${l1#* }" 0 1e-9
# Rows are formatted in parts of 2048 on two threads and written in order: 10,004 customers (five
# parts, the last one short), ids that need quoting among them, give the same bytes on one thread.
awk 'BEGIN { print "referrer,referred"
	for (i = 1; i <= 10000; i++) {
		id = (i % 997 == 0) ? "\"c,"i"\"\"q\"" : "c"i
		printf "%s,c%d\n", id, int(i / 3) }
}' > "$work/wide.csv"
OMP_NUM_THREADS=2 "$refnet" rank "$work/wide.csv" --metrics referrals,pagerank,reach -o "$work/wide2.csv"
OMP_NUM_THREADS=1 "$refnet" rank "$work/wide.csv" --metrics referrals,pagerank,reach -o "$work/wide1.csv"
cmp -s "$work/wide1.csv" "$work/wide2.csv" || { echo "FAIL wide: 1 and 2 threads differ" >&2; fail=1; }
check "wide rows" "$(wc -l < "$work/wide2.csv")" 10005
check "wide quoted id" "$(grep -c '^"c,997""q",' "$work/wide2.csv")" 1
# An id that starts or ends with a space is quoted too, as the report's tables quote it (a
# spreadsheet would trim it), and reads back with its spaces.
printf 'referrer,referred\n c1,c2\nc2 ,c3\n' > "$work/spaced.csv"
"$refnet" rank "$work/spaced.csv" --metrics referrals -o "$work/spaced_out.csv"
check "leading space quoted" "$(grep -c '^" c1",1$' "$work/spaced_out.csv")" 1
check "trailing space quoted" "$(grep -c '^"c2 ",1$' "$work/spaced_out.csv")" 1
check "plain id unquoted" "$(grep -c '^c3,0$' "$work/spaced_out.csv")" 1
# in PageRank order across the parts (rows with a quoted id left out of the split)
check "wide order" "$(awk -F, 'NR > 2 && !/"/ && $3 + 0 > last + 0 { print NR; exit }
	!/"/ { last = $3 }' "$work/wide2.csv")" ""
# Numbers are written in the shortest form that reads back to the same double (the report's
# rule): %.15g when that reads back, else %.16g, else %.17g.
"$refnet" rank "$sample" > "$work/all.csv" 2> /dev/null
bad=$(awk -F, 'FNR > 1 { for (i = 3; i <= NF; i++) {
		x = $i + 0; want = sprintf("%.15g", x)
		if (want + 0 != x) want = sprintf("%.16g", x)
		if (want + 0 != x) want = sprintf("%.17g", x)
		if ($i != want) { print FNR ": " $i " not " want; exit } } }' "$work/all.csv")
check "shortest numbers" "$bad" ""
check "shortest numbers rows" "$(($(wc -l < "$work/all.csv") > 100))" 1
# Where 0.1 is too large, rank and report choose the same Katz alpha and give the same scores,
# though the report goes on refining lambda_max: two 13-cliques (weights 1 and 1.01) joined
# both ways, whose close eigenvalues keep the bounds apart for long.
{
	echo referrer,referred,weight
	for c in p q; do for u in $(seq 0 12); do for v in $(seq 0 12); do
		[ "$u" != "$v" ] && echo "$c$u,$c$v,$([ $c = p ] && echo 1 || echo 1.01)"
	done; done; done
	printf 'p0,q0,0.001\nq0,p0,0.001\n'
} > "$work/cliques.csv"
"$refnet" rank "$work/cliques.csv" > "$work/cliques_rank.csv" 2> /dev/null
printf 'inputs:\n  referrals: cliques.csv\nreport:\n  dir: cliques_report\n  formats: [csv]\n' \
	> "$work/cliques.yaml"
"$refnet" report "$work/cliques.yaml" > /dev/null
check "cliques report exit" "$?" 0
check "customers.csv katz column" "$(head -1 "$work/cliques_report/customers.csv" | cut -d, -f8)" katz
same=$(awk -F, 'NR == FNR { if (FNR > 1) k[$1] = $8; next }
	FNR > 1 { n++; if (($1 in k) && $5 + 0 == k[$1] + 0) same++ } END { print n, same + 0 }' \
	"$work/cliques_report/customers.csv" "$work/cliques_rank.csv")
check "katz of rank and report" "$same" "26 26"
"$refnet" rank --help > /dev/null
check "help" "$?" 0
exit $fail
