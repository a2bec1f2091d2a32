#!/usr/bin/env bash
# test_bench_dispatch.sh — bench_dispatch --quick runs and prints every line
# issue 8 names. A check that the benchmark still works, never a check of a
# duration or a wait figure.
#
# usage: test_bench_dispatch.sh BENCH_DISPATCH
set -u
out=$("$1" --quick) || {
	echo "FAIL: bench_dispatch --quick exited $?"
	exit 1
}
failed=0
number='[0-9]+(\.[0-9]+)?'
for pattern in \
	"^mmc c=[0-9]+ load=$number mean_service_s=$number theory_wait_s=$number sim_wait_s=$number\$" \
	"^policy=hallq mean_wait_s=$number p90_wait_s=$number over_target_share=$number\$" \
	"^policy=dedicated mean_wait_s=$number p90_wait_s=$number over_target_share=$number\$" \
	"^policy=pooled mean_wait_s=$number p90_wait_s=$number over_target_share=$number\$" \
	"^estimate=hallq mae_s=$number\$" \
	"^estimate=naive mae_s=$number\$" \
	"^sim_workdays_per_s: $number days/s" \
	"^mmc_fcfs_violations: 0 calls"; do
	if ! grep -Eq "$pattern" <<<"$out"; then
		echo "FAIL: no line matching $pattern"
		failed=1
	fi
done
n=$(grep -Ec '^mmc c=' <<<"$out")
if [ "$n" -lt 3 ]; then
	echo "FAIL: $n mmc lines, expected at least 3"
	failed=1
fi
if ! grep -Eq '^mmc c=[0-9]+ load=0\.9[0-9]* ' <<<"$out"; then
	echo "FAIL: no mmc point above 90 % load"
	failed=1
fi
[ "$failed" = 0 ] && echo "test_bench_dispatch: all lines there"
exit "$failed"
