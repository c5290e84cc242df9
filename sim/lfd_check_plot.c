/*  lfd_check_plot: an SVG of a checked motion (`lfd check --plot`,
    lfd_check.h).

    One panel per joint in a grid: the joint's trajectory (blue) against its
    hard range limits (red lines) and soft limits (orange dashes); the
    frames of every finding about that joint are shaded (red: fail, orange:
    warn) and the samples past a hard limit are drawn as red dots.  When the
    report carries series (opts.series), panels for the ZMP margin and the
    external help follow, with their thresholds.  Plain SVG 1.1 text, no
    fonts beyond the viewer's sans-serif; written atomically. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_util.h"
#include "sim/lfd_check_int.h"

#define PW 300.0 /* panel width, px */
#define PH 120.0 /* panel height */
#define PAD 30.0
#define COLS 4

typedef struct panel {
    FILE *fp;
    double x0, y0;        /* top-left of the plot area */
    double lo, hi;        /* value range */
    int n;                /* frames */
} panel;

static double px(const panel *p, double f) { return p->x0 + (p->n > 1 ? f / (p->n - 1) : 0) * PW; }
static double py(const panel *p, double v)
{
    double t = (v - p->lo) / (p->hi - p->lo);
    t = t < -0.05 ? -0.05 : t > 1.05 ? 1.05 : t;
    return p->y0 + PH * (1 - t);
}

static void hline(const panel *p, double v, const char *colour, int dashed)
{
    fprintf(p->fp,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='1'%s/>\n",
            p->x0, py(p, v), p->x0 + PW, py(p, v), colour, dashed ? " stroke-dasharray='4,3'" : "");
}

static void shade(const panel *p, int first, int last, int sev)
{
    double a = px(p, first), b = px(p, last);
    if (b - a < 1.5)
        b = a + 1.5;
    fprintf(p->fp, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' opacity='0.25'/>\n",
            a, p->y0, b - a, PH, sev == LFD_CHECK_FAIL ? "#d62728" : "#ff9f1c");
}

/* s as XML character data: & < > ' " escaped, a byte that starts no
   well-formed UTF-8 character written as U+FFFD (found by review: a motion
   named walk&run<1>.lfdm gave an SVG no XML reader accepts) */
static void svg_text(FILE *fp, const char *s)
{
    lfd_util_xml_text(fp, s, 0, NULL);
}

static void frame_box(const panel *p, const char *title)
{
    fprintf(p->fp,
            "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#888'/>\n"
            "<text x='%.1f' y='%.1f' font-size='11' font-family='sans-serif'>",
            p->x0, p->y0, PW, PH, p->x0, p->y0 - 4);
    svg_text(p->fp, title);
    fputs("</text>\n", p->fp);
}

static void polyline(const panel *p, const double *v, int stride, const char *colour)
{
    fprintf(p->fp, "<polyline fill='none' stroke='%s' stroke-width='1.2' points='", colour);
    for (int f = 0; f < p->n; f++) {
        double y = v[(size_t)f * (size_t)stride];
        if (isfinite(y))
            fprintf(p->fp, "%.1f,%.1f ", px(p, f), py(p, y));
    }
    fprintf(p->fp, "'/>\n");
}

int lfd_check_plot_svg(const lfd_checker *c, const lfd_motion *m, const lfd_check_report *rep,
                       const char *title, const char *path, lfd_err *err)
{
    const lfd_robot *r = c->r;
    int rc = lfd_check_input(c, m, err);
    if (rc)
        return rc;
    int nj = r->njoints, extra = rep->s_zmp_margin && r->floating ? 2 : 0;
    int panels = nj + extra, rows = (panels + COLS - 1) / COLS;
    double W = COLS * (PW + 2 * PAD), H = rows * (PH + 2 * PAD) + 40;
    lfd_atomic_file af;
    if ((rc = lfd_atomic_open(&af, path, err)))
        return rc;
    FILE *fp = af.fp;
    fprintf(fp,
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
            "viewBox='0 0 %.0f %.0f'>\n<rect width='100%%' height='100%%' fill='white'/>\n"
            "<text x='10' y='22' font-size='15' font-family='sans-serif'>",
            W, H, W, H);
    svg_text(fp, title ? title : "motion");
    fputs(" (", fp);
    svg_text(fp, r->name);
    fprintf(fp,
            "): %s, %d frames at %.0f fps; blue: joint angle (rad), red: range limits, orange: "
            "soft limits, shaded: findings</text>\n",
            lfd_check_verdict_name(rep->verdict), m->nframes, m->fps);
    double *col = malloc((size_t)m->nframes * sizeof(double));
    if (!col) {
        lfd_atomic_abort(&af);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    for (int j = 0; j < nj; j++) {
        const lfd_robot_joint *jt = &r->joints[j];
        panel p = {fp, (j % COLS) * (PW + 2 * PAD) + PAD, (j / COLS) * (PH + 2 * PAD) + 40 + PAD,
                   0, 0, m->nframes};
        double lo = jt->range_lo, hi = jt->range_hi;
        for (int f = 0; f < m->nframes; f++) {
            col[f] = lfd_motion_frame(m, f)[jt->qpos_adr];
            lo = fmin(lo, col[f]);
            hi = fmax(hi, col[f]);
        }
        double span = hi - lo > 1e-6 ? hi - lo : 1;
        p.lo = lo - 0.05 * span;
        p.hi = hi + 0.05 * span;
        for (int i = 0; i < rep->nfindings; i++) {
            const lfd_check_finding *x = &rep->finding[i];
            if (x->joint == j && x->severity >= LFD_CHECK_WARN)
                shade(&p, x->first, x->last, x->severity);
        }
        frame_box(&p, jt->name);
        double mid = 0.5 * (jt->range_lo + jt->range_hi), half = 0.5 * (jt->range_hi - jt->range_lo);
        hline(&p, jt->range_lo, "#d62728", 0);
        hline(&p, jt->range_hi, "#d62728", 0);
        hline(&p, mid - rep->opts.range_soft * half, "#ff9f1c", 1);
        hline(&p, mid + rep->opts.range_soft * half, "#ff9f1c", 1);
        polyline(&p, col, 1, "#1f77b4");
        for (int f = 0; f < m->nframes; f++)
            if (col[f] > jt->range_hi || col[f] < jt->range_lo)
                fprintf(fp, "<circle cx='%.1f' cy='%.1f' r='1.8' fill='#d62728'/>\n", px(&p, f),
                        py(&p, col[f]));
    }
    if (extra) {
        const char *names[2] = {"ZMP margin to the support polygon (m)",
                                "external help (share of body weight)"};
        const double *series[2] = {rep->s_zmp_margin, rep->s_assist};
        int kinds[2] = {LFD_CK_ZMP, LFD_CK_ASSIST};
        for (int e = 0; e < 2; e++) {
            int k = nj + e;
            panel p = {fp, (k % COLS) * (PW + 2 * PAD) + PAD, (k / COLS) * (PH + 2 * PAD) + 40 + PAD,
                       0, 0, m->nframes};
            double lo = e ? 0 : -rep->opts.zmp_tol_m, hi = e ? rep->opts.assist_fail : 0.05;
            for (int f = 0; f < m->nframes && f < rep->series_frames; f++)
                if (isfinite(series[e][f])) {
                    lo = fmin(lo, series[e][f]);
                    hi = fmax(hi, series[e][f]);
                }
            double span = hi - lo > 1e-9 ? hi - lo : 1;
            p.lo = lo - 0.05 * span;
            p.hi = hi + 0.05 * span;
            p.n = rep->series_frames < m->nframes ? rep->series_frames : m->nframes;
            for (int i = 0; i < rep->nfindings; i++)
                if (rep->finding[i].kind == kinds[e] && rep->finding[i].severity >= LFD_CHECK_WARN)
                    shade(&p, rep->finding[i].first, rep->finding[i].last, rep->finding[i].severity);
            frame_box(&p, names[e]);
            if (e) {
                hline(&p, rep->opts.assist_warn, "#ff9f1c", 1);
                hline(&p, rep->opts.assist_fail, "#d62728", 0);
            } else {
                hline(&p, 0, "#888", 1);
                hline(&p, -rep->opts.zmp_tol_m, "#ff9f1c", 1);
            }
            polyline(&p, series[e], 1, "#1f77b4");
        }
    }
    free(col);
    fprintf(fp, "</svg>\n");
    return lfd_atomic_commit(&af, err);
}
