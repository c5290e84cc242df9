/*  lfd_cli: the `lfd` command's registry and option parser.

    Each command lives in its own runtime/cli/cmd_<name>.c and registers
    itself with LFD_COMMAND(); main() dispatches on the longest registered
    name that matches the leading words ("motion info", "robots").  Commands
    are thin: they parse options with lfd_args_parse() and call one library
    function that tests can call directly.

    Exit codes, the same for every command:
      0  success (or a "pass" verdict)
      1  the work ran and its verdict is "fail" / "reject" (check, qa --strict)
      2  usage error or any error that stopped the work
*/
#ifndef LFD_CLI_H
#define LFD_CLI_H

#include <stddef.h>

#include "core/lfd_err.h"

enum { LFD_EXIT_OK = 0, LFD_EXIT_FAIL = 1, LFD_EXIT_ERROR = 2 };

typedef enum {
    LFD_OPT_FLAG,   /* int*, set to 1 */
    LFD_OPT_STR,    /* const char**  */
    LFD_OPT_INT,    /* int*          */
    LFD_OPT_DOUBLE, /* double*       */
    LFD_OPT_STRS,   /* lfd_strlist*: repeatable */
    LFD_OPT_ALIAS   /* an old spelling: name (and/or short_name) is accepted
                       for the option whose long name is in metavar, with a
                       one-line deprecation warning on stderr; dest and help
                       unused.  E.g. {"fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL}.
                       A renamed flag keeps its old name this way, so that each
                       flag name means one thing in every command
                       (tests/test_cli.c walks all the tables). */
} lfd_opt_type;

typedef struct lfd_strlist {
    int n;
    const char *v[64];
} lfd_strlist;

typedef struct lfd_opt {
    const char *name;    /* long name without dashes, e.g. "robot" */
    char short_name;     /* 0 for none */
    lfd_opt_type type;
    void *dest;
    const char *metavar; /* e.g. "NAME" (NULL for flags) */
    const char *help;
} lfd_opt;

typedef struct lfd_cmd {
    const char *name;     /* "motion info" */
    const char *summary;  /* one line for `lfd --help` */
    const char *usage;    /* "FILE [options]" (after the command name) */
    const char *details;  /* paragraphs printed by --help, may be NULL */
    int (*run)(const struct lfd_cmd *cmd, int argc, char **argv);
} lfd_cmd;

void lfd_cmd_register(const lfd_cmd *cmd);

#define LFD_COMMAND(ident, ...)                                                    \
    static const lfd_cmd ident = {__VA_ARGS__};                                    \
    __attribute__((constructor)) static void lfd_register_##ident(void)            \
    {                                                                              \
        lfd_cmd_register(&ident);                                                  \
    }

/* Parses argv (the words after the command name) against opts (terminated by
   an entry with name NULL).  Positional arguments are returned in pos/npos
   (pointing into argv).  Handles --help/-h.  Returns 0 to go on,
   LFD_ARGS_HELP after printing help, or LFD_EXIT_ERROR after printing a
   one-line usage error.  An LFD_OPT_ALIAS entry sets its target option and
   prints "lfd CMD: --old is deprecated, use --new" to stderr; help does not
   list aliases.  --output is accepted as the old spelling of --out in every
   table that has --out (lfd_cli.c adds it; tables need not list it).
   `--help-options` prints the table as tab-separated lines
   ("opt CMD LONG SHORT TYPE METAVAR HELP", aliases with TYPE "alias" and the
   target in METAVAR) for the test that checks one meaning per flag name.
   min_pos/max_pos bound the number of
   positionals (max_pos < 0: unbounded).  Use as
       if ((rc = lfd_args_parse(...))) return lfd_args_exit(rc); */
enum { LFD_ARGS_HELP = -1 };
static inline int lfd_args_exit(int rc) { return rc == LFD_ARGS_HELP ? LFD_EXIT_OK : rc; }
int lfd_args_parse(const lfd_cmd *cmd, const lfd_opt *opts, int argc, char **argv,
                   char ***pos, int *npos, int min_pos, int max_pos);

/* Prints the command's help (usage, details, options) to stdout. */
void lfd_cmd_help(const lfd_cmd *cmd, const lfd_opt *opts);

/* Prints "lfd <cmd>: <message>" to stderr and returns LFD_EXIT_ERROR. */
int lfd_cli_error(const lfd_cmd *cmd, const lfd_err *err);
int lfd_cli_usage_error(const lfd_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether the last lfd_args_parse() set the option with this long name (an
   alias counts for its target): tells a value given on the command line from
   the default it happens to equal (--out-fps 0 is an error; no --out-fps is
   "the input's rate"). */
int lfd_args_given(const char *name);

/* Guards every command runs on its paths before the work starts, so that a
   bad path stops it with nothing written.  Each prints "lfd CMD: ..." naming
   the path and returns LFD_EXIT_ERROR, or returns 0. */

/* OUT's parent folder exists and is a folder (OUT itself need not exist). */
int lfd_cli_check_out_parent(const lfd_cmd *cmd, const char *out);

/* OUT is not the same file as any of ins[0..nin) (same device and inode,
   which sees through links and ./ spellings): writing it would replace an
   input. */
int lfd_cli_check_not_input(const lfd_cmd *cmd, const char *out, char *const *ins, int nin);
/* 1 if the paths a and b name the same file, existing or to be written
   (their folders resolved: "X" and "./X" are one) */
int lfd_cli_same_path(const char *a, const char *b);

/* A keypoint preset named by --preset: 0 if none is given or it is known,
   else a usage error listing the presets.  It is checked whatever the
   input's format (a BVH took any name, unknown ones too: found by review). */
int lfd_cli_check_preset(const lfd_cmd *cmd, const char *preset);

/* A number option outside its range: "lfd CMD: --FLAG VALUE: allowed RANGE"
   (VALUE as given: nan, inf and negatives print as such); returns
   LFD_EXIT_ERROR. */
int lfd_cli_range_error(const lfd_cmd *cmd, const char *flag, double value, const char *range);

/* 1 when path is an existing folder. */
int lfd_cli_is_dir(const char *path);

/* The file-name extension of a human recording (.bvh, .npy, .jsonl), which a
   robot-motion command cannot read: 1 when path has one. */
int lfd_cli_is_human_file(const char *path);

#define LFD_VERSION "0.1.0"

#endif
