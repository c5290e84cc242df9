/*  `lfd report`: the corpus report of a batch run (runtime/lfd_report.h). */
#include <stdio.h>
#include <string.h>

#include "core/lfd_io.h"
#include "runtime/cli/lfd_cli.h"
#include "runtime/lfd_report.h"

static int run_report(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *out = NULL;
    int json = 0;
    lfd_opt opts[] = {
        {"out", 'o', LFD_OPT_STR, &out, "FILE", "write the report here (HTML; with --json, JSON)"},
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "the figures as JSON (stdout unless -o)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    if (!json && !out)
        return lfd_cli_usage_error(cmd, "give -o report.html (or --json)");
    lfd_err err = {0};
    lfd_report *r;
    if (lfd_report_build(&r, pos[0], &err))
        return lfd_cli_error(cmd, &err);
    if (json && !out) {
        lfd_report_json(r, stdout);
    } else if (json) {
        lfd_atomic_file af;
        if ((rc = lfd_atomic_open(&af, out, &err)) == LFD_OK) {
            lfd_report_json(r, af.fp);
            rc = lfd_atomic_commit(&af, &err);
        }
    } else {
        rc = lfd_report_html(r, out, &err);
        if (rc == LFD_OK)
            fprintf(stderr, "lfd report: %s\n", out);
    }
    lfd_report_free(&r);
    return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_report, "report", "the corpus report of a batch run: one HTML page, or --json",
            "RUN -o report.html | RUN --json [-o report.json]",
            "Reads RUN/corpus.jsonl (running `lfd batch merge RUN` first when it is missing)\n"
            "and reports: hours and frames processed; QA verdicts and their reasons by kind;\n"
            "consent refusals by reason; unreadable input and errors; check verdicts per\n"
            "robot by failing check; the worst clips, linked to their plots; counts per\n"
            "contributor (pseudonymous ids).  The HTML page is self-contained: inline CSS and\n"
            "SVG charts, no script and nothing fetched from the network.",
            run_report)
