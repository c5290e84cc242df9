/*  lfd_cli: command registry, option parsing and main() for `lfd`. */
#include "runtime/cli/lfd_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/lfd_log.h"
#include "core/lfd_util.h"
#include "ingest/lfd_keypoints.h"

#define MAX_CMDS 128
static const lfd_cmd *g_cmds[MAX_CMDS];
static int g_ncmds;

void lfd_cmd_register(const lfd_cmd *cmd)
{
    if (g_ncmds < MAX_CMDS)
        g_cmds[g_ncmds++] = cmd;
}

static int cmp_cmd(const void *a, const void *b)
{
    return strcmp((*(const lfd_cmd *const *)a)->name, (*(const lfd_cmd *const *)b)->name);
}

int lfd_cli_error(const lfd_cmd *cmd, const lfd_err *err)
{
    fprintf(stderr, "lfd %s: %s\n", cmd->name, err->msg[0] ? err->msg : lfd_status_str(err->code));
    return LFD_EXIT_ERROR;
}

int lfd_cli_usage_error(const lfd_cmd *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "lfd %s: %s (see 'lfd %s --help')\n", cmd->name, msg, cmd->name);
    return LFD_EXIT_ERROR;
}

void lfd_cmd_help(const lfd_cmd *cmd, const lfd_opt *opts)
{
    printf("usage: lfd %s %s\n\n%s\n", cmd->name, cmd->usage ? cmd->usage : "", cmd->summary);
    if (cmd->details)
        printf("\n%s\n", cmd->details);
    printf("\noptions:\n");
    for (const lfd_opt *o = opts; o && o->name; o++) {
        if (o->type == LFD_OPT_ALIAS)
            continue;
        char left[96];
        /* an option that takes a value shows a placeholder even when its
           table gives none (check's --friction showed none) */
        const char *mv = o->type == LFD_OPT_FLAG ? NULL
                         : o->metavar && o->metavar[0] ? o->metavar : "VALUE";
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, mv ? " " : "",
                     mv ? mv : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, mv ? " " : "", mv ? mv : "");
        /* a left column wider than 30 puts the help on its own line, not run
           into the placeholder ("--slide-warn m/frame at 30 fps warn when ...") */
        if (strlen(left) > 30)
            printf("  %s\n  %-30s %s\n", left, "", o->help);
        else
            printf("  %-30s %s\n", left, o->help);
    }
    printf("  %-30s %s\n", "-h, --help", "show this help and exit");
}

static const char *type_name(lfd_opt_type t)
{
    switch (t) {
    case LFD_OPT_FLAG: return "flag";
    case LFD_OPT_STR: return "str";
    case LFD_OPT_INT: return "int";
    case LFD_OPT_DOUBLE: return "double";
    case LFD_OPT_STRS: return "strs";
    case LFD_OPT_ALIAS: return "alias";
    }
    return "?";
}

/* the option named name in opts, aliases included; NULL if none */
static const lfd_opt *find_opt(const lfd_opt *opts, const char *name, size_t nl)
{
    for (const lfd_opt *p = opts; p && p->name; p++)
        if (strlen(p->name) == nl && !strncmp(p->name, name, nl))
            return p;
    return NULL;
}

/* --output, the old spelling of --out, is accepted (with the deprecation
   warning) by every command that has --out, without each table listing it:
   only train, motion synth and policy import did, and the README promised it
   everywhere.  A table that names "output" itself wins. */
static const lfd_opt output_alias = {"output", 0, LFD_OPT_ALIAS, NULL, "out", NULL};

static int implies_output_alias(const lfd_opt *opts)
{
    const lfd_opt *out = find_opt(opts, "out", 3);
    return out && out->type != LFD_OPT_ALIAS && !find_opt(opts, "output", 6);
}

static void print_opt_row(const lfd_cmd *cmd, const lfd_opt *o)
{
    printf("opt\t%s\t%s\t%c\t%s\t%s\t%s\n", cmd->name, o->name, o->short_name ? o->short_name : '-',
           type_name(o->type), o->metavar ? o->metavar : "-", o->help ? o->help : "");
}

/* the machine-readable option table behind `--help-options` */
static void print_opt_table(const lfd_cmd *cmd, const lfd_opt *opts)
{
    for (const lfd_opt *o = opts; o && o->name; o++)
        print_opt_row(cmd, o);
    if (implies_output_alias(opts))
        print_opt_row(cmd, &output_alias);
}

/* The option an alias entry stands for (its long name is in metavar), after
   printing the deprecation warning; NULL for a table error. */
static const lfd_opt *resolve_alias(const lfd_cmd *cmd, const lfd_opt *opts, const lfd_opt *a,
                                    const char *given)
{
    for (const lfd_opt *p = opts; p && p->name; p++)
        if (p->type != LFD_OPT_ALIAS && a->metavar && !strcmp(p->name, a->metavar)) {
            fprintf(stderr, "lfd %s: %s is deprecated, use --%s\n", cmd->name, given, p->name);
            return p;
        }
    return NULL;
}

/* the long names the last lfd_args_parse() set (lfd_args_given) */
static const char *g_given[128];
static int g_ngiven;

int lfd_args_given(const char *name)
{
    for (int i = 0; i < g_ngiven; i++)
        if (!strcmp(g_given[i], name))
            return 1;
    return 0;
}

static int set_opt(const lfd_cmd *cmd, const lfd_opt *o, const char *val)
{
    if (g_ngiven < (int)(sizeof g_given / sizeof g_given[0]))
        g_given[g_ngiven++] = o->name;
    char *end;
    switch (o->type) {
    case LFD_OPT_ALIAS:
        return LFD_EXIT_ERROR;
    case LFD_OPT_FLAG:
        *(int *)o->dest = 1;
        return 0;
    case LFD_OPT_STR:
        *(const char **)o->dest = val;
        return 0;
    case LFD_OPT_STRS: {
        lfd_strlist *l = o->dest;
        if (l->n >= (int)(sizeof l->v / sizeof l->v[0]))
            return lfd_cli_usage_error(cmd, "--%s given too many times", o->name);
        l->v[l->n++] = val;
        return 0;
    }
    case LFD_OPT_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (*val == '\0' || *end != '\0' || errno || v < -2147483647L || v > 2147483647L)
            return lfd_cli_usage_error(cmd, "--%s needs an integer, got '%s'", o->name, val);
        *(int *)o->dest = (int)v;
        return 0;
    }
    case LFD_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (*val == '\0' || *end != '\0' || errno)
            return lfd_cli_usage_error(cmd, "--%s needs a number, got '%s'", o->name, val);
        *(double *)o->dest = v;
        return 0;
    }
    }
    return LFD_EXIT_ERROR;
}

int lfd_args_parse(const lfd_cmd *cmd, const lfd_opt *opts, int argc, char **argv,
                   char ***pos, int *npos, int min_pos, int max_pos)
{
    static char *posbuf[256];
    int np = 0, only_pos = 0;
    g_ngiven = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (np >= (int)(sizeof posbuf / sizeof posbuf[0]))
                return lfd_cli_usage_error(cmd, "too many arguments");
            posbuf[np++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            lfd_cmd_help(cmd, opts);
            return LFD_ARGS_HELP;
        }
        if (!strcmp(a, "--help-options")) {
            print_opt_table(cmd, opts);
            return LFD_ARGS_HELP;
        }
        const lfd_opt *o = NULL;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            o = find_opt(opts, name, nl);
            if (!o && nl == 6 && !strncmp(name, "output", 6) && implies_output_alias(opts))
                o = &output_alias;
            if (!o)
                return lfd_cli_usage_error(cmd, "unknown option '--%.*s'", (int)nl, name);
            if (eq) {
                if (o->type == LFD_OPT_FLAG)
                    return lfd_cli_usage_error(cmd, "--%s takes no value", o->name);
                val = eq + 1;
            }
        } else {
            for (const lfd_opt *p = opts; p && p->name; p++)
                if (p->short_name && p->short_name == a[1] && a[2] == '\0')
                    o = p;
            if (!o)
                return lfd_cli_usage_error(cmd, "unknown option '%s'", a);
        }
        if (o->type == LFD_OPT_ALIAS) {
            char given[64];
            if (a[1] == '-')
                snprintf(given, sizeof given, "--%s", o->name);
            else
                snprintf(given, sizeof given, "-%c", a[1]);
            if (!(o = resolve_alias(cmd, opts, o, given)))
                return lfd_cli_usage_error(cmd, "option '%s' names no option", given);
            if (val && o->type == LFD_OPT_FLAG)
                return lfd_cli_usage_error(cmd, "--%s takes no value", o->name);
        }
        if (o->type != LFD_OPT_FLAG && !val) {
            if (i + 1 >= argc)
                return lfd_cli_usage_error(cmd, "--%s needs a value (%s)", o->name,
                                           o->metavar ? o->metavar : "VALUE");
            val = argv[++i];
        }
        int rc = set_opt(cmd, o, val);
        if (rc)
            return rc;
    }
    if (np < min_pos)
        return lfd_cli_usage_error(cmd, "missing argument: usage: lfd %s %s", cmd->name,
                                   cmd->usage ? cmd->usage : "");
    if (max_pos >= 0 && np > max_pos)
        return lfd_cli_usage_error(cmd, "unexpected argument '%s'", posbuf[max_pos]);
    *pos = posbuf;
    *npos = np;
    return 0;
}

int lfd_cli_is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int lfd_cli_is_human_file(const char *path)
{
    return lfd_util_has_suffix(path, ".bvh") || lfd_util_has_suffix(path, ".BVH") ||
           lfd_util_has_suffix(path, ".npy") || lfd_util_has_suffix(path, ".jsonl");
}

int lfd_cli_check_out_parent(const lfd_cmd *cmd, const char *out)
{
    char dir[4096];
    const char *slash = strrchr(out, '/');
    if (!slash)
        return 0; /* the working folder */
    /* "/x" lives in "/"; "a//b" in "a" */
    size_t n = (size_t)(slash - out);
    while (n > 1 && out[n - 1] == '/')
        n--;
    if (n == 0)
        n = 1;
    if (n >= sizeof dir) {
        fprintf(stderr, "lfd %s: %s: path too long\n", cmd->name, out);
        return LFD_EXIT_ERROR;
    }
    memcpy(dir, out, n);
    dir[n] = '\0';
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "lfd %s: %s: folder %s does not exist (make it first; nothing was written)\n",
                cmd->name, out, dir);
        return LFD_EXIT_ERROR;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "lfd %s: %s: %s is not a folder (nothing was written)\n", cmd->name, out, dir);
        return LFD_EXIT_ERROR;
    }
    return 0;
}

int lfd_cli_check_not_input(const lfd_cmd *cmd, const char *out, char *const *ins, int nin)
{
    struct stat so, si;
    if (stat(out, &so) != 0)
        return 0; /* a file that does not exist yet is no input */
    for (int i = 0; i < nin; i++)
        if (stat(ins[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
            fprintf(stderr, "lfd %s: %s is the input %s: writing it would replace the input "
                            "(give another output name; nothing was written)\n",
                    cmd->name, out, ins[i]);
            return LFD_EXIT_ERROR;
        }
    return 0;
}

/* a's folder resolved (links, "." and "..") and its last part, into buf */
static int resolve_out(const char *a, char *buf, size_t n)
{
    char dir[4096], real[4096];
    const char *slash = strrchr(a, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == a)
        snprintf(dir, sizeof dir, "/");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - a), a) >= (int)sizeof dir)
        return -1;
    if (!realpath(dir, real))
        return -1;
    return snprintf(buf, n, "%s/%s", real, slash ? slash + 1 : a) < (int)n ? 0 : -1;
}

int lfd_cli_same_path(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ra[8300], rb[8300];
    if (resolve_out(a, ra, sizeof ra) || resolve_out(b, rb, sizeof rb))
        return !strcmp(a, b);
    return !strcmp(ra, rb);
}

int lfd_cli_check_preset(const lfd_cmd *cmd, const char *preset)
{
    if (!preset || lfd_kp_preset_find(preset))
        return 0;
    char names[512];
    size_t len = 0;
    names[0] = '\0';
    for (int i = 0; i < lfd_kp_npresets() && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                lfd_kp_preset_at(i)->id);
    return lfd_cli_usage_error(cmd, "unknown preset '%s' (%s)", preset, names);
}

int lfd_cli_range_error(const lfd_cmd *cmd, const char *flag, double value, const char *range)
{
    return lfd_cli_usage_error(cmd, "--%s %g is out of range: %s", flag, value, range);
}

static void main_help(void)
{
    printf("lfd %s: learning from demonstration for humanoid robots\n\n"
           "usage: lfd <command> [options]      lfd <command> --help\n\ncommands:\n",
           LFD_VERSION);
    for (int i = 0; i < g_ncmds; i++)
        printf("  %-18s %s\n", g_cmds[i]->name, g_cmds[i]->summary);
    printf("\nexit codes: 0 success or pass, 1 verdict fail/reject, 2 error.\n"
           "environment: LFD_LOG=error|warn|info|debug sets how much is printed on stderr.\n");
}

/* Number of leading argv words that match cmd->name word by word, or 0. */
static int match_words(const char *name, int argc, char **argv)
{
    int used = 0;
    const char *p = name;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (used >= argc || strlen(argv[used]) != n || strncmp(argv[used], p, n))
            return 0;
        used++;
        p = sp ? sp + 1 : p + n;
    }
    return used;
}

int main(int argc, char **argv)
{
    lfd_log_init();
    qsort(g_cmds, (size_t)g_ncmds, sizeof g_cmds[0], cmp_cmd);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        main_help();
        return LFD_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("lfd %s\n", LFD_VERSION);
        return LFD_EXIT_OK;
    }
    const lfd_cmd *best = NULL;
    int best_words = 0;
    for (int i = 0; i < g_ncmds; i++) {
        int w = match_words(g_cmds[i]->name, argc - 1, argv + 1);
        if (w > best_words) {
            best = g_cmds[i];
            best_words = w;
        }
    }
    if (!best) {
        /* a group word alone ("lfd motion") lists its subcommands: asked for
           with --help, on stdout and exit 0; else it is a usage error (no
           subcommand, or an unknown one), the list on stderr and exit 2 */
        int help = argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"));
        FILE *to = help ? stdout : stderr;
        int shown = 0;
        size_t n = strlen(argv[1]);
        for (int i = 0; i < g_ncmds; i++)
            if (!strncmp(g_cmds[i]->name, argv[1], n) && g_cmds[i]->name[n] == ' ') {
                if (!shown++) {
                    if (!help && argc > 2)
                        fprintf(stderr, "lfd %s: unknown subcommand '%s'\n", argv[1], argv[2]);
                    else if (!help)
                        fprintf(stderr, "lfd %s: needs a subcommand\n", argv[1]);
                    fprintf(to, "lfd %s: subcommands:\n", argv[1]);
                }
                fprintf(to, "  lfd %-18s %s\n", g_cmds[i]->name, g_cmds[i]->summary);
            }
        if (shown)
            return help ? LFD_EXIT_OK : LFD_EXIT_ERROR;
        fprintf(stderr, "lfd: unknown command '%s' (see 'lfd --help')\n", argv[1]);
        return LFD_EXIT_ERROR;
    }
    return best->run(best, argc - 1 - best_words, argv + 1 + best_words);
}
