/*  lfd_lineage: consent records and the lineage of every artifact.

    Demonstrations recorded by people at home are personal, biometric data.
    Each carries a provenance record (a sidecar `<file>.prov.json` for human
    recordings, the "provenance" map inside motion and policy files) with
    these keys, all optional to lfd's parsers but required by consent checks:

      "contributor_id": "anon-7f3a"          pseudonymous id of the person
      "consent": {"scopes": ["robot-training", "commercial", ...],
                  "date": "2026-01-05",       when consent was given
                  "expires": "2027-01-05"}    optional; absent = no expiry
      "capture": {...}                        free-form capture context
      "licence": "CC-BY-4.0"

    Every artifact lfd makes also records what it was made from:

      "lineage": [ {"kind": "human"|"motion"|..., "name": "walk.bvh",
                    "sha256": "<content hash of that input file>",
                    "contributor_id": "anon-7f3a" (if the input had one),
                    "lineage": [ ...that input's own lineage... ]}, ... ]
      "contributors": ["anon-7f3a", ...]   the artifact's own contributor and
                                           every contributor anywhere below

    so `lfd lineage FILE` can print the whole tree from the file alone, and a
    data team can find everything that used one person's data.  Nesting is
    bounded by LFD_MP_MAX_DEPTH; the contributor list by
    LFD_LINEAGE_MAX_CONTRIB.
*/
#ifndef LFD_LINEAGE_H
#define LFD_LINEAGE_H

#include <stdio.h>

#include "core/lfd_err.h"
#include "core/lfd_prov.h"

#define LFD_CONSENT_MAX_SCOPES 16
#define LFD_CONTRIB_MAX 128
#define LFD_LINEAGE_MAX_CONTRIB 4096

typedef struct lfd_consent {
    char contributor[LFD_CONTRIB_MAX];
    int nscopes;
    char scopes[LFD_CONSENT_MAX_SCOPES][48];
    char date[16];    /* YYYY-MM-DD */
    char expires[16]; /* YYYY-MM-DD or "" */
    char licence[64];
} lfd_consent;

/* Reads the consent record of a provenance map.  LFD_EDENIED, naming what
   is missing, when there is no contributor_id or no consent map with scopes
   and date; LFD_EPARSE for malformed values (dates must be YYYY-MM-DD). */
int lfd_consent_read(const lfd_prov *prov, lfd_consent *c, lfd_err *err);

/* A comma-separated purpose list declares something: LFD_EARG for an empty
   list or an empty item ("," or "a,,b"), which would skip the check.  The
   commands call it on --purpose before any work, so a bad argument is a
   usage error and not a refusal of the data; lfd_consent_allows calls it too. */
int lfd_purposes_check(const char *purposes, lfd_err *err);

/* Whether consent covers every purpose in a comma-separated list (each must
   be one of the scopes) on date today (YYYY-MM-DD): LFD_OK or LFD_EDENIED
   with the reason (purpose not consented, expired on ..., given after ...). */
int lfd_consent_allows(const lfd_consent *c, const char *purposes, const char *today,
                       lfd_err *err);

/* Why lfd_consent_allows refused, as a value: tallies of refusals must not
   be read off the message, which holds the contributor's id (an id such as
   "p-expired" made a purpose refusal count as an expiry). */
typedef enum lfd_consent_why {
    LFD_CONSENT_COVERED = 0,   /* LFD_OK */
    LFD_CONSENT_NOT_YET_VALID, /* dated after today */
    LFD_CONSENT_EXPIRED,       /* expired before today */
    LFD_CONSENT_NOT_COVERED,   /* a purpose is not among the scopes */
    LFD_CONSENT_BAD_PURPOSES,  /* the purpose list declares nothing (LFD_EARG) */
} lfd_consent_why;
/* lfd_consent_allows, and why (not NULL) says which of the above */
int lfd_consent_allows_why(const lfd_consent *c, const char *purposes, const char *today,
                           lfd_consent_why *why, lfd_err *err);

/* Today's UTC date as YYYY-MM-DD; the environment variable LFD_TODAY
   overrides it (tests, reproducing a past decision). */
void lfd_today(char out[16]);

/* Appends an input to out's "lineage" list (not thread-safe: it uses static
   scratch lists): its kind, name, content hash,
   its contributor_id and its own lineage (copied from in_prov, which may be
   NULL), and merges every contributor into out's "contributors" list. */
int lfd_lineage_add_input(lfd_prov *out, const char *kind, const char *name,
                          const char *sha256, const lfd_prov *in_prov, lfd_err *err);

/* Every contributor id an artifact used: its own contributor_id and its
   "contributors" list, de-duplicated.  Returns the count (<= max). */
int lfd_lineage_contributors(const lfd_prov *prov, char (*ids)[LFD_CONTRIB_MAX], int max);

/* 1 if contributor id is among those lfd_lineage_contributors lists (own
   contributor_id or the "contributors" list), else 0.  Allocates nothing. */
int lfd_lineage_used_by(const lfd_prov *prov, const char *id);

/* 1 if any input anywhere in prov's lineage has this kind (e.g. "human":
   the artifact was made from a recording of a person), 0 if none, or a
   negative status for a malformed lineage. */
int lfd_lineage_has_kind(const lfd_prov *prov, const char *kind, lfd_err *err);

/* Prints the lineage tree of an artifact (name given by the caller) as
   indented text. */
int lfd_lineage_print(const lfd_prov *prov, const char *name, FILE *fp, lfd_err *err);

#endif
