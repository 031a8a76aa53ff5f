#!/usr/bin/env bash
# 'refnet check': exit codes and exact "file:line:column: key: message" diagnostics for each
# kind of configuration error, the input checks, --print-config and its round trip.
# Usage: check.sh REFNET SOURCE_DIR BUILD_DIR
set -u
refnet=$(realpath "$1") src=$2 build=$3
data=$src/tests/data/config
work=$(mktemp -d "$build/check-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE STDERR-SUBSTRING -- ARGS...: runs refnet in $work
expect() {
  local code=$1 want=$2
  shift 3
  local out err rc
  out=$(cd "$work" && "$refnet" "$@" 2>"$work/stderr")
  rc=$?
  err=$(cat "$work/stderr")
  [[ $rc -eq $code ]] || fail "refnet $* exited $rc, expected $code (stderr: $err)"
  [[ -z $want || $err == *"$want"* ]] || fail "refnet $*: stderr '$err' lacks '$want'"
}

# bad CODE 'yaml text' 'expected diagnostic' : writes bad.yaml and checks it
bad() {
  printf '%b' "$2" > "$work/bad.yaml"
  expect "$1" "refnet: $3" -- check bad.yaml
}

cp -r "$data/data" "$work/data"
ref='inputs:\n  referrals: data/referrals.csv\n'

# a good configuration and its inputs
out=$("$refnet" check "$data/good.yaml") || fail "good.yaml rejected"
[[ $out == "$data/good.yaml: configuration and inputs OK: 4 customers, 3 referrals (3 edges), 0 transactions, 0 spend rows, 0 rows skipped" ]] ||
  fail "good.yaml: '$out'"

# --print-config shows every key resolved; printing the printout gives the same text
"$refnet" check "$data/good.yaml" --print-config > "$work/printed.yaml" || fail "print-config"
grep -q "^    damping: 0.9$" "$work/printed.yaml" || fail "printed damping"
grep -q "^  referrals: \"$data/data/referrals.csv\"$" "$work/printed.yaml" ||
  [[ $data != /* ]] || fail "printed referrals path"
grep -q "^  graph_export: none$" "$work/printed.yaml" || fail "printed default graph_export"
mkdir "$work/elsewhere"
mv "$work/printed.yaml" "$work/elsewhere/"
(cd "$work" && "$refnet" check elsewhere/printed.yaml --print-config) > "$work/again.yaml" ||
  fail "re-check of printed config"
diff "$work/elsewhere/printed.yaml" "$work/again.yaml" >&2 || fail "print-config round trip"

# every kind of configuration error: exit 78 with the position and the key
bad 78 "${ref}centrality:\n  pagerank:\n    dampng: 0.9\n" \
  "bad.yaml:5:5: centrality.pagerank.dampng: unknown key (did you mean 'damping'?)"
bad 78 "${ref}load: {duplicate_edges: sum}\nload: {self_loops: drop}\n" \
  "bad.yaml:4:1: load: duplicate key (first given on line 3)"
bad 78 "${ref}report:\n  top: \"25\"\n" \
  "bad.yaml:4:8: report.top: expected a whole number, found a string"
bad 78 "${ref}report:\n  formats: html\n" \
  "bad.yaml:4:12: report.formats: expected a list, found a string"
bad 78 "${ref}centrality:\n  pagerank: {damping: 1.5}\n" \
  "bad.yaml:4:23: centrality.pagerank.damping: must be in (0, 1) (found 1.5)"
bad 78 "${ref}referral:\n  generation_decay: 1\n" \
  "bad.yaml:4:21: referral.generation_decay: must be in [0, 1) (found 1)"
bad 78 "${ref}value:\n  model: bgndb\n" \
  "bad.yaml:4:10: value.model: bad value 'bgndb' (did you mean 'bgnbd'?); expected one of: column, historic, bgnbd"
bad 78 "${ref}roi:\n  mix_model:\n    enabled: yes\n" \
  "bad.yaml:5:14: roi.mix_model.enabled: expected true or false, found 'yes'"
bad 78 "title: no inputs\n" \
  "bad.yaml:1:1: inputs.referrals: missing required key (the referrals CSV)"
bad 78 "${ref}title: [unclosed\n" \
  "bad.yaml:4:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence (line 3)"
bad 78 "${ref}title: [[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]\n" \
  "bad.yaml:3:23: nesting deeper than 16 levels"
laughs="a: &a [x, x, x, x, x, x, x, x, x, x]\n"
prev=a
for level in b c d e f g h i j k l; do
  laughs+="$level: &$level [$(printf "*$prev, %.0s" 1 2 3 4 5 6 7 8 9)*$prev]\n"
  prev=$level
done
bad 78 "$laughs" "bad.yaml:12:8: more than 100 aliases"

# inputs that cannot be read: exit 66, naming the key and the path
expect 66 "missing_input.yaml:4:14: inputs.customers: cannot open '" -- check "$data/missing_input.yaml"
expect 66 "No such file or directory" -- check "$data/missing_input.yaml"
expect 66 "refnet: nothing.yaml: cannot open configuration: No such file or directory" -- check nothing.yaml

# inputs are loaded with the configured columns and policies: bad data is exit 65 at its
# file:line:column, and nothing is run
inputs() { # referrals-file extra-yaml
  printf 'inputs:\n  referrals: data/%s\n  customers: data/customers.csv\n  columns:\n    referrals: {referrer: from_id, referred: to_id}\n%b' "$1" "$2" > "$work/in.yaml"
}
inputs bad_weight.csv ""
expect 65 "data/bad_weight.csv:3:11: column 'weight': expected a finite number > 0, found 'heavy'" -- check in.yaml
inputs unknown_customer.csv ""
expect 65 "data/unknown_customer.csv:3:7: column 'to_id': customer 'zoe' is not in the customers table" -- check in.yaml
inputs unknown_customer.csv "load: {on_error: skip}\n"
out=$(cd "$work" && "$refnet" check in.yaml) || fail "on_error: skip did not skip"
[[ $out == *"1 referrals (1 edges)"*"1 rows skipped" ]] || fail "skip summary: '$out'"
inputs self_loop.csv ""
expect 0 "" -- check in.yaml
inputs self_loop.csv "load: {self_loops: error}\n"
expect 65 "data/self_loop.csv:3: customer 'bob' refers themself (load.self_loops: error)" -- check in.yaml
inputs duplicate.csv ""
expect 0 "" -- check in.yaml
inputs duplicate.csv "load: {duplicate_edges: error}\n"
expect 65 "data/duplicate.csv:4: duplicate referral 'alice' -> 'bob'" -- check in.yaml
printf 'inputs:\n  referrals: data/referrals.csv\n  customers: data/customers_no_clv.csv\n  columns:\n    referrals: {referrer: from_id, referred: to_id}\nvalue:\n  model: column\n' > "$work/in.yaml"
expect 78 "in.yaml:7:10: value.model: model 'column' needs a customers file with a 'clv' column" -- check in.yaml

# usage errors: exit 64
expect 64 "missing CONFIG.yaml" -- check
expect 64 "expected one CONFIG.yaml" -- check a.yaml b.yaml
expect 64 "unknown option '--frobnicate'" -- check --frobnicate "$data/good.yaml"
expect 0 "" -- check --help

# the golden HTML report is well-formed XML (polyglot markup)
if command -v xmllint >/dev/null; then
  xmllint --noout "$src/tests/data/report/report.html" || fail "report.html is not well-formed"
else
  echo "xmllint not installed: skipping the parser check of report.html" >&2
fi

((failures == 0)) || { echo "$failures failure(s)" >&2; exit 1; }
