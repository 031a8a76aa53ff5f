#!/usr/bin/env bash
# refnet value: the per-customer value columns, identical to those of the report's
# customers.csv (golden), to stdout or atomically to a file; and the errors when the inputs
# allow no value model.
set -u
refnet=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if [[ "$2" != "$3" ]]; then echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi; }
status() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
config=$src/datasets/sample/analysis.yaml

check "value stdout" 0 "$(status "$refnet" value "$config")"
check "header" "customer,clv,crv,network_value,rlv,quadrant" "$(head -1 "$tmp/out")"
# the same numbers as the report (golden customers.csv), column for column
python3 - "$tmp/out" "$src/tests/data/golden/sample/customers.csv" <<'PY' || fail=1
import csv, sys
value = list(csv.DictReader(open(sys.argv[1], newline="")))
report = list(csv.DictReader(open(sys.argv[2], newline="")))
cols = ["customer", "clv", "crv", "network_value", "rlv", "quadrant"]
if len(value) != len(report) or any(v[c] != r[c] for v, r in zip(value, report) for c in cols):
    print("FAIL refnet value differs from the report's customers.csv"); sys.exit(1)
PY
check "value -o" 0 "$(status "$refnet" value "$config" -o "$tmp/value.csv")"
check "stdout empty with -o" "" "$(cat "$tmp/out")"
"$refnet" value "$config" | cmp -s - "$tmp/value.csv" || { echo "FAIL -o differs from stdout"; fail=1; }

# referrals only: no value model can run
mkdir -p "$tmp/d"; cp "$src/datasets/sample/referrals.csv" "$tmp/d/"
printf 'inputs:\n  referrals: referrals.csv\n' > "$tmp/d/refs.yaml"
check "no value inputs" 78 "$(status "$refnet" value "$tmp/d/refs.yaml")"
grep -q "needs a transactions table" "$tmp/err" || { echo "FAIL message"; cat "$tmp/err"; fail=1; }
# an explicit model whose input is missing names the key and its position
printf 'inputs:\n  referrals: referrals.csv\nvalue:\n  model: bgnbd\n' > "$tmp/d/bg.yaml"
check "bgnbd without transactions" 78 "$(status "$refnet" value "$tmp/d/bg.yaml")"
grep -q "bg.yaml:4:10: value.model: 'bgnbd' needs inputs.transactions" "$tmp/err" || { echo "FAIL position"; cat "$tmp/err"; fail=1; }
# a failed run leaves no output file
check "failed -o" 78 "$(status "$refnet" value "$tmp/d/bg.yaml" -o "$tmp/d/out.csv")"
[[ ! -e "$tmp/d/out.csv" ]] || { echo "FAIL partial output"; fail=1; }
ls "$tmp/d" | grep -q 'tmp-' && { echo "FAIL temporary file left"; fail=1; }
check "usage" 64 "$(status "$refnet" value)"
check "help" 0 "$(status "$refnet" value --help)"
exit $fail
