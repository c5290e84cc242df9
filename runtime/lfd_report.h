/*  lfd_report: what a corpus run says, for the person who decides whether
    the recordings are good enough.

    Reads a batch run's RUN/corpus.jsonl (lfd_batch_merge; merged first when
    it is missing) and counts:
      corpus      recordings, hours and frames read; robot motions made
      qa          verdicts, and every finding by its check name and severity
                  (rejections, warnings, notes, and any kind lfd_qa adds)
      consent     refusals by reason (missing sidecar, expired, purpose not
                  covered, withdrawn, ...)
      errors      unreadable files, robots that failed to load, stage errors
      check       per robot: verdicts, and clips failing by check group with
                  their share of frames
      worst       the clips with the largest share of failing frames, linked
                  to their plots and check reports
      contributors  per pseudonymous contributor id: recordings, hours,
                  rejected, refused, failing
    as JSON (lfd_report_json) or one self-contained HTML page with inline
    SVG charts and no script, font or image from the network
    (lfd_report_html).
*/
#ifndef LFD_REPORT_H
#define LFD_REPORT_H

#include <stdio.h>

#include "core/lfd_err.h"

typedef struct lfd_report lfd_report;

/* Builds the report of run_dir (free with lfd_report_free). */
int lfd_report_build(lfd_report **out, const char *run_dir, lfd_err *err);
void lfd_report_free(lfd_report **r);

/* Writes the figures as one JSON object. */
void lfd_report_json(const lfd_report *r, FILE *fp);

/* Writes the HTML page atomically to path; links to plots are made
   relative to path's folder. */
int lfd_report_html(const lfd_report *r, const char *path, lfd_err *err);

#endif
