#!/usr/bin/env bash
# generate.sh - end-to-end checks of 'refnet generate': the files and their exact header lines,
# byte-identical output across thread counts and between the option and config-file forms,
# and the documented exit codes for bad options (64), missing config (66), bad config (78)
# and an output directory that cannot be created (73).
# Usage: bash generate.sh <refnet binary> <source dir> <build dir>
set -u
refnet=$1
work=$(mktemp -d "${3:-/tmp}/generate-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_exit CODE MESSAGE-SUBSTRING ARGS...: runs refnet generate, checks the status and that
# stderr names the problem.
expect_exit() {
	local want=$1 needle=$2
	shift 2
	"$refnet" generate "$@" >"$work/out" 2>"$work/err"
	local got=$?
	[ "$got" -eq "$want" ] || fail "generate $* exited $got, expected $want"
	grep -qF -- "$needle" "$work/err" || fail "generate $*: stderr lacks '$needle': $(cat "$work/err")"
}

"$refnet" generate --customers 500 --seed 3 --out "$work/a" --quiet 2>"$work/err" ||
	fail "generate --customers 500 failed: $(cat "$work/err")"
[ -s "$work/err" ] && fail "--quiet still wrote to stderr: $(cat "$work/err")"
for f in customers.csv referrals.csv transactions.csv spend.csv truth.json; do
	[ -s "$work/a/$f" ] || fail "missing $f"
done
[ "$(head -1 "$work/a/customers.csv")" = "customer,acquired,channel,campaign" ] || fail "customers header"
[ "$(head -1 "$work/a/referrals.csv")" = "referrer,referred,date,weight,reward" ] || fail "referrals header"
[ "$(head -1 "$work/a/transactions.csv")" = "customer,date,amount" ] || fail "transactions header"
[ "$(head -1 "$work/a/spend.csv")" = "campaign,date,amount,channel" ] || fail "spend header"
[ "$(wc -l <"$work/a/customers.csv")" -eq 501 ] || fail "customers.csv should have 500 rows"
[ "$(sed -n 2p "$work/a/customers.csv" | cut -d, -f1)" = "C001" ] || fail "first id should be C001"
grep -q '"customers": 500,' "$work/a/truth.json" || fail "truth.json lacks the size"
ls -A "$work/a" | grep -q part && fail "temporary files left behind"

# Thread count never changes the bytes; the seed does.
OMP_NUM_THREADS=1 "$refnet" generate --customers 20000 --seed 5 --out "$work/t1" --quiet || fail "t1"
"$refnet" generate --customers 20000 --seed 5 --out "$work/t2" --quiet --threads 2 || fail "t2"
for f in customers.csv referrals.csv transactions.csv spend.csv truth.json; do
	cmp -s "$work/t1/$f" "$work/t2/$f" || fail "$f differs between 1 and 2 threads"
done
"$refnet" generate --customers 20000 --seed 6 --out "$work/t3" --quiet || fail "t3"
cmp -s "$work/t1/referrals.csv" "$work/t3/referrals.csv" && fail "seeds 5 and 6 gave the same referrals"

# The config form and the option form are the same parameters.
cat >"$work/gen.yaml" <<'YAML'
customers: 2000
seed: 11
weeks: 30
start: 2023-03-06
channels: [search, tv]
mean_offspring: 0.1
tv.theta: 0.8
YAML
"$refnet" generate --config "$work/gen.yaml" --out "$work/c1" --quiet || fail "config form"
"$refnet" generate --customers 2000 --seed 11 --weeks 30 --start 2023-03-06 --set tv.theta=0.8 \
	--channels search,tv --mean-offspring 0.1 --out "$work/c2" --quiet || fail "option form"
for f in customers.csv referrals.csv transactions.csv spend.csv truth.json; do
	cmp -s "$work/c1/$f" "$work/c2/$f" || fail "$f differs between config and options"
done
[ "$(sed -n 2p "$work/c1/customers.csv" | cut -d, -f2)" \< "2023-03-06" ] && fail "date before start"
grep -q '"end": "2023-10-01"' "$work/c1/truth.json" || fail "30 weeks from 2023-03-06 end 2023-10-01"
# Options override the file.
"$refnet" generate --config "$work/gen.yaml" --customers 100 --out "$work/c3" --quiet || fail "override"
[ "$(wc -l <"$work/c3/customers.csv")" -eq 101 ] || fail "--customers should override the config"

"$refnet" generate --customers 300 --messy --out "$work/m" --quiet || fail "messy"
grep -q '^"search_01, spring launch",' "$work/m/spend.csv" || fail "messy campaign name not quoted"

# Without --quiet and without a terminal: one summary line, no progress bar.
"$refnet" generate --customers 200 --out "$work/s" 2>"$work/err" || fail "summary run"
grep -q "200 customers" "$work/err" || fail "no summary line"
grep -q $'\r' "$work/err" && fail "progress bar drawn on a non-terminal"

"$refnet" generate --help >"$work/out" || fail "--help"
grep -q "usage: refnet generate" "$work/out" || fail "--help text"

expect_exit 64 "required" --out "$work/x"
expect_exit 64 "customers" --customers abc --out "$work/x"
expect_exit 64 "out of range" --customers 0 --out "$work/x"
expect_exit 64 "mean_offspring" --customers 10 --mean-offspring 2 --out "$work/x"
expect_exit 64 "start" --customers 10 --start 2023-02-30 --out "$work/x"
expect_exit 64 "unknown parameter" --customers 10 --set colour=red --out "$work/x"
expect_exit 64 "KEY=VALUE" --customers 10 --set colour --out "$work/x"
expect_exit 64 "unknown option" --customers 10 --bogus
expect_exit 64 "--weeks" --customers 10 --weeks
expect_exit 64 "unexpected argument" --customers 10 extra
expect_exit 64 "channel" --customers 10 --channels "Search"
expect_exit 66 "cannot open" --config "$work/none.yaml"
printf 'customers: 10\nseed: [1\n' >"$work/bad.yaml"
expect_exit 78 "bad.yaml:" --config "$work/bad.yaml"
printf 'customers: 10\nweeks: 0\n' >"$work/range.yaml"
expect_exit 78 "range.yaml:2:1" --config "$work/range.yaml"
touch "$work/file"
expect_exit 73 "file/sub" --customers 10 --out "$work/file/sub" --quiet

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "generate.sh: all checks passed"
