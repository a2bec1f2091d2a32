/*
 * samples.c — samples of durations and their statistics: count, mean,
 * nearest-rank p50 and p90, maximum (docs/evaluation.md, "Percentiles").
 *
 * Room: hostd/eval. Pure C, no I/O. A month of a large hall has hundreds
 * of thousands of waits; keeping each would grow with the period. A day's
 * samples are kept as they come and folded at the day's end into sorted
 * (value, count) pairs: durations are whole seconds, so the pairs number
 * at most the distinct durations seen, and the percentiles stay exact.
 */
#include <stdlib.h>
#include <string.h>

#include "eval/compute_internal.h"

static bool grow(void **items, int *cap, int need, size_t item_size)
{
	if (need <= *cap)
		return true;
	int new_cap = *cap ? *cap : 64;
	while (new_cap < need)
		new_cap *= 2;
	void *p = realloc(*items, (size_t)new_cap * item_size);
	if (!p)
		return false;
	*items = p;
	*cap = new_cap;
	return true;
}

bool eval_samples_add(struct eval_samples *s, int64_t value_s)
{
	if (!grow((void **)&s->today, &s->cap_today, s->n_today + 1, sizeof(*s->today)))
		return false;
	s->today[s->n_today++] = value_s < 0 ? 0 : value_s;
	return true;
}

static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

bool eval_samples_fold(struct eval_samples *s)
{
	if (s->n_today == 0)
		return true;
	qsort(s->today, (size_t)s->n_today, sizeof(*s->today), compare_int64);
	/* at most n_vc + n_today pairs after the merge */
	struct eval_value_count *merged = malloc((size_t)(s->n_vc + s->n_today) * sizeof(*merged));
	if (!merged)
		return false;
	int i = 0, j = 0, n = 0;
	while (i < s->n_vc || j < s->n_today) {
		struct eval_value_count next;
		if (j >= s->n_today || (i < s->n_vc && s->vc[i].value <= s->today[j]))
			next = s->vc[i++];
		else
			next = (struct eval_value_count){s->today[j++], 1};
		if (n > 0 && merged[n - 1].value == next.value)
			merged[n - 1].count += next.count;
		else
			merged[n++] = next;
	}
	for (int k = 0; k < s->n_today; k++)
		s->sum_s += s->today[k];
	s->n += s->n_today;
	s->n_today = 0;
	free(s->vc);
	s->vc = merged;
	s->n_vc = s->cap_vc = n;
	return true;
}

/* The sample at 1-based rank in the folded pairs. */
static int64_t at_rank(const struct eval_samples *s, int64_t rank)
{
	int64_t seen = 0;

	for (int i = 0; i < s->n_vc; i++) {
		seen += s->vc[i].count;
		if (seen >= rank)
			return s->vc[i].value;
	}
	return s->n_vc ? s->vc[s->n_vc - 1].value : 0;
}

/* Nearest rank: the ceil(P x n / 100)-th sample, at least the first. */
static int64_t percentile(const struct eval_samples *s, int p)
{
	int64_t rank = (p * s->n + 99) / 100;

	return at_rank(s, rank < 1 ? 1 : rank);
}

void eval_samples_stats(const struct eval_samples *s, struct eval_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (s->n == 0)
		return;
	out->n = (int)s->n;
	out->mean_s = (double)s->sum_s / (double)s->n;
	out->p50_s = percentile(s, 50);
	out->p90_s = percentile(s, 90);
	out->max_s = s->vc[s->n_vc - 1].value;
}

void eval_samples_free(struct eval_samples *s)
{
	free(s->today);
	free(s->vc);
	memset(s, 0, sizeof(*s));
}
