/*  `lfd lineage`: what an artifact was made from, and everything that used
    one person's data (core/lfd_lineage.h). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    lfd_json_doc *doc;
    int rc = lfd_json_parse_file(&doc, side, err);
    if (rc)
        return rc;
    rc = lfd_prov_from_json(p, lfd_json_root(doc), err);
    lfd_json_free(&doc);
    *kind = "recording";
    return rc;
}

static int has_contributor(const lfd_prov *p, const char *id)
{
    static char ids[LFD_LINEAGE_MAX_CONTRIB][LFD_CONTRIB_MAX];
    int n = lfd_lineage_contributors(p, ids, LFD_LINEAGE_MAX_CONTRIB);
    for (int i = 0; i < n; i++)
        if (!strcmp(ids[i], id))
            return 1;
    return 0;
}

static int scan(const char *dir, const char *id, int depth, int *found, int *unreadable)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 32)
                scan(path, id, depth + 1, found, unreadable);
            continue;
        }
        if (!S_ISREG(st.st_mode) ||
            !(lfd_util_has_suffix(path, ".lfdm") || lfd_util_has_suffix(path, ".lfdp") || lfd_util_has_suffix(path, ".prov.json")))
            continue;
        lfd_prov p;
        const char *kind = "?";
        lfd_err err = {0};
        if (load_prov(path, &p, &kind, &err)) {
            fprintf(stderr, "lfd lineage: skipping %s\n", err.msg);
            (*unreadable)++;
            continue;
        }
        if (has_contributor(&p, id)) {
            /* a sidecar stands for the recording beside it */
            if (lfd_util_has_suffix(path, ".prov.json"))
                path[strlen(path) - strlen(".prov.json")] = '\0';
            printf("%-9s %s\n", kind, path);
            (*found)++;
        }
        lfd_prov_free(&p);
    }
    closedir(d);
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
        int found = 0, unreadable = 0;
        scan(pos[0], who, 0, &found, &unreadable);
        fprintf(stderr, "%d artifact%s under %s used data of contributor %s%s\n", found,
                found == 1 ? "" : "s", pos[0], who,
                unreadable ? " (some files could not be read: see above)" : "");
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
