/*  `lfd lineage`: what an artifact was made from, and everything that used
    one person's data (core/lfd_lineage.h). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_motion.h"
#include "core/lfd_util.h"
#include "policies/lfd_policy.h"
#include "runtime/cli/lfd_cli.h"

/* The provenance of any lfd artifact: a motion's provenance map, a policy's
   lineage map, or a human recording's sidecar (FILE.prov.json, or FILE when
   it is the sidecar itself).  kind names what it is. */
static int load_prov(const char *path, lfd_prov *p, const char **kind, lfd_err *err)
{
    lfd_prov_init(p);
    if (lfd_util_has_suffix(path, ".lfdm")) {
        lfd_motion m;
        int rc = lfd_motion_read(&m, path, err);
        if (rc)
            return rc;
        *p = m.prov;
        lfd_prov_init(&m.prov);
        lfd_motion_free(&m);
        *kind = "motion";
        return LFD_OK;
    }
    if (lfd_util_has_suffix(path, ".lfdp")) {
        lfd_policy *pol;
        int rc = lfd_policy_load(&pol, path, err);
        if (rc)
            return rc;
        *p = pol->lineage;
        lfd_prov_init(&pol->lineage);
        lfd_policy_free(&pol);
        *kind = "policy";
        return LFD_OK;
    }
    char side[4200];
    if (lfd_util_has_suffix(path, ".prov.json"))
        snprintf(side, sizeof side, "%s", path);
    else
        snprintf(side, sizeof side, "%s.prov.json", path);
    int rc = lfd_prov_read_json_file(p, side, err);
    if (rc) {
        lfd_prov_free(p); /* part of it may have been read */
        return rc;
    }
    /* a sidecar naming a human input is a motion's (a CSV's, written by
       lfd_motion_write_csv); a recording's names the person only */
    lfd_err ke = {0};
    *kind = lfd_lineage_has_kind(p, "human", &ke) > 0 ? "motion" : "recording";
    return rc;
}

typedef struct scan_ctx {
    const char *id;
    int found, unreadable;
} scan_ctx;

static int scan_one(void *ctx, const char *path_in, const char *rel, const struct stat *st)
{
    (void)rel;
    scan_ctx *c = ctx;
    if (!S_ISREG(st->st_mode) ||
        !(lfd_util_has_suffix(path_in, ".lfdm") || lfd_util_has_suffix(path_in, ".lfdp") ||
          lfd_util_has_suffix(path_in, ".prov.json")))
        return 0;
    lfd_prov p;
    const char *kind = "?";
    lfd_err err = {0};
    if (load_prov(path_in, &p, &kind, &err)) {
        fprintf(stderr, "lfd lineage: skipping %s\n", err.msg);
        c->unreadable++;
        return 0;
    }
    if (lfd_lineage_used_by(&p, c->id)) {
        /* a sidecar stands for the recording beside it */
        int len = (int)strlen(path_in);
        if (lfd_util_has_suffix(path_in, ".prov.json"))
            len -= (int)strlen(".prov.json");
        printf("%-9s %.*s\n", kind, len, path_in);
        c->found++;
    }
    lfd_prov_free(&p);
    return 0;
}

static int run_lineage(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *who = NULL;
    int json = 0;
    lfd_opt opts[] = {
        {"contributor", 'c', LFD_OPT_STR, &who, "ID",
         "list every artifact under DIR that used this contributor's data"},
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print the provenance of FILE as JSON"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    lfd_err err = {0};
    if (who) {
        struct stat st;
        if (stat(pos[0], &st) != 0 || !S_ISDIR(st.st_mode))
            return lfd_cli_usage_error(cmd, "%s is not a folder", pos[0]);
        scan_ctx sc = {who, 0, 0};
        lfd_walk_files(pos[0], LFD_WALK_FOLLOW_LINKS | LFD_WALK_HIDDEN | LFD_WALK_ONCE, scan_one, &sc, &err); /* unreadable folders are passed over */
        fprintf(stderr, "%d artifact%s under %s used data of contributor %s%s\n", sc.found,
                sc.found == 1 ? "" : "s", pos[0], who,
                sc.unreadable ? " (some files could not be read: see above)" : "");
        return LFD_EXIT_OK;
    }
    lfd_prov p;
    const char *kind;
    if ((rc = load_prov(pos[0], &p, &kind, &err)))
        return lfd_cli_error(cmd, &err);
    if (json) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        rc = lfd_prov_to_json(&p, &jw, &err);
        lfd_jw_finish(&jw);
    } else {
        printf("%s: ", kind);
        rc = lfd_lineage_print(&p, pos[0], stdout, &err);
        static char ids[LFD_LINEAGE_MAX_CONTRIB][LFD_CONTRIB_MAX];
        int n = lfd_lineage_contributors(&p, ids, LFD_LINEAGE_MAX_CONTRIB);
        printf("contributors (%d):", n);
        for (int i = 0; i < n; i++)
            printf(" %s", ids[i]);
        printf("\n");
    }
    lfd_prov_free(&p);
    return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_lineage, "lineage", "print what an artifact was made from, or find a person's data",
            "FILE | --contributor ID DIR",
            "FILE is a motion (.lfdm), a policy (.lfdp) or a human recording with a\n"
            "FILE.prov.json sidecar.  With --contributor, every motion, policy and\n"
            "recording under DIR whose lineage includes that contributor is listed: what\n"
            "to delete or retrain when consent is withdrawn.",
            run_lineage)
