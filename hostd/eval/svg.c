/*
 * svg.c — bar charts as inline SVG for the HTML bulletin (render_html.c):
 * groups along x, one or more series side by side or stacked, a y axis
 * with round gridlines, a legend.
 *
 * Room: hostd/eval. Writes text into an eval_buf only; the chart is
 * self-contained (no fonts, images or links outside the page) and scales
 * with its viewBox, so it prints at the page's width.
 */
#include <math.h>
#include <string.h>

#include "eval/render.h"

static const char *const palette[EVAL_SVG_MAX_SERIES] = {
    "#2f5d8a", "#e08a2c", "#4a9a5b", "#c0504d", "#8064a2", "#4bacc6", "#9b8f3b", "#7f7f7f"};

enum { CHART_W = 720, CHART_H = 260, M_LEFT = 48, M_RIGHT = 12, M_TOP = 34, M_BOTTOM = 46 };

/* A round top for the y axis: 4 gridline steps of 1, 2, 2.5 or 5 x 10^k,
 * the smallest that reaches x (4 for nothing). */
static double nice_top(double x)
{
	static const double steps[] = {1, 2, 2.5, 5, 10};
	double step = x / 4;

	if (step <= 0)
		return 4;
	double p = pow(10, floor(log10(step)));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] * p >= step - 1e-9)
			return 4 * steps[i] * p;
	return 40 * p;
}

static double group_total(const struct eval_chart *c, int g)
{
	double sum = 0, max = 0;

	for (int s = 0; s < c->n_series; s++) {
		double v = c->values[s][g] > 0 ? c->values[s][g] : 0;
		sum += v;
		max = v > max ? v : max;
	}
	return c->stacked ? sum : max;
}

static void axis(struct eval_buf *b, const struct eval_chart *c, double top, double plot_h)
{
	for (int i = 0; i <= 4; i++) {
		double y = M_TOP + plot_h - plot_h * i / 4;
		eval_buf_printf(b,
				"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\" "
				"stroke-width=\"0.5\"/>",
				M_LEFT, y, CHART_W - M_RIGHT, y);
		eval_buf_printf(b,
				"<text x=\"%d\" y=\"%.1f\" font-size=\"10\" "
				"text-anchor=\"end\">%g</text>",
				M_LEFT - 4, y + 3, top * i / 4);
	}
	eval_buf_puts(b, "<text x=\"4\" y=\"17\" font-size=\"13\" font-weight=\"bold\">");
	eval_buf_html(b, c->title ? c->title : "");
	eval_buf_puts(b, "</text>");
	eval_buf_printf(b, "<text x=\"4\" y=\"%d\" font-size=\"10\">", M_TOP - 6);
	eval_buf_html(b, c->unit ? c->unit : "");
	eval_buf_puts(b, "</text>");
}

static void legend(struct eval_buf *b, const struct eval_chart *c)
{
	double x = CHART_W - M_RIGHT;

	for (int s = c->n_series - 1; s >= 0; s--) {
		const char *name = c->series_names[s] ? c->series_names[s] : "";
		int cols = eval_text_width(name); /* -1 without C.UTF-8: count bytes */
		x -= 14 + 11.0 * (cols >= 0 ? cols : (int)strlen(name)) / 2 * 1.1 + 10;
		eval_buf_printf(b,
				"<rect x=\"%.1f\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/>"
				"<text x=\"%.1f\" y=\"17\" font-size=\"11\">",
				x, palette[s], x + 14);
		eval_buf_html(b, name);
		eval_buf_puts(b, "</text>");
	}
}

void eval_svg_bars(struct eval_buf *b, const struct eval_chart *c)
{
	double max = 0, plot_w = CHART_W - M_LEFT - M_RIGHT, plot_h = CHART_H - M_TOP - M_BOTTOM;
	int n = c->n_groups > 0 ? c->n_groups : 1;

	for (int g = 0; g < c->n_groups; g++) {
		double t = group_total(c, g);
		max = t > max ? t : max;
	}
	double top = nice_top(max);
	double slot = plot_w / n, bar_w = slot * 0.7;
	double series_w = c->stacked || c->n_series < 1 ? bar_w : bar_w / c->n_series;

	eval_buf_printf(b,
			"<svg class=\"chart\" viewBox=\"0 0 %d "
			"%d\" role=\"img\" font-family=\"sans-serif\"><title>",
			CHART_W, CHART_H);
	eval_buf_html(b, c->title ? c->title : "");
	eval_buf_puts(b, "</title>");
	axis(b, c, top, plot_h);
	for (int g = 0; g < c->n_groups; g++) {
		double x0 = M_LEFT + slot * g + (slot - bar_w) / 2, base = M_TOP + plot_h;
		for (int s = 0; s < c->n_series; s++) {
			double v = c->values[s][g] > 0 ? c->values[s][g] : 0;
			double h = plot_h * v / top;
			double x = c->stacked ? x0 : x0 + series_w * s;
			if (h > 0)
				eval_buf_printf(
				    b,
				    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				    "height=\"%.1f\" fill=\"%s\"><title>%g</title></rect>",
				    x, base - h, series_w, h, palette[s], v);
			if (c->stacked)
				base -= h;
		}
		eval_buf_printf(b,
				"<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
				"text-anchor=\"middle\">",
				M_LEFT + slot * g + slot / 2, M_TOP + (int)plot_h + 14);
		eval_buf_html(b, c->labels[g] ? c->labels[g] : "");
		eval_buf_puts(b, "</text>");
	}
	eval_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>",
			M_LEFT, M_TOP + plot_h, CHART_W - M_RIGHT, M_TOP + plot_h);
	legend(b, c);
	eval_buf_puts(b, "</svg>\n");
}
