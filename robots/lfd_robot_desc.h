/*  lfd_robot_desc: the description file's raw entries and its parser,
    internal to robots/ (the format is docs/robots.md; lfd_robot.h is the
    public interface).

    lfd_robot_desc_parse() turns the text into raw entries exactly as
    written, each remembering its line, and checks syntax and values only;
    lfd_robot.c then resolves every entry against the compiled MJCF so that
    each error can name the file, the line and the item. */
#ifndef LFD_ROBOT_DESC_H
#define LFD_ROBOT_DESC_H

#include "robots/lfd_robot.h"

/* raw entries as written, with their lines; resolved against the model later */
typedef struct raw_joint {
    char name[LFD_NAME_MAX];
    int line;
    int has_vel, has_torque, has_acc, has_kp, has_kd, has_default, has_range;
    double vel, torque, acc, kp, kd, def, lo, hi;
    int model_id;     /* the MuJoCo joint it names */
} raw_joint;

typedef struct raw_foot {
    int line;
    char body[LFD_NAME_MAX];
    double sole[4], z;
} raw_foot;

typedef struct raw_hand {
    int line;
    char body[LFD_NAME_MAX];
    double offset[3];
} raw_hand;

typedef struct raw_pair {
    int line;
    char b1[LFD_NAME_MAX], b2[LFD_NAME_MAX];
} raw_pair;

typedef struct raw_map {
    int line;
    int human;
    char body[LFD_NAME_MAX];
    double pos_w, rot_w, offset[3], rot[4], scale;
} raw_map;

typedef struct raw_desc {
    const char *path;   /* for messages */
    char name[LFD_NAME_MAX];
    char mjcf[LFD_ROBOT_PATH_MAX];
    int mjcf_line;
    char source[LFD_ROBOT_SOURCE_MAX];
    int njoints;
    raw_joint joints[LFD_ROBOT_MAX_JOINTS];
    raw_foot feet[2];     /* line 0: absent */
    raw_hand hands[2];
    int npairs;
    raw_pair *pairs;      /* LFD_ROBOT_MAX_EXCLUDE */
    int nmap;
    raw_map map[LFD_ROBOT_MAX_MAP];
} raw_desc;

/* Parses a description's text (modified in place: lines and tokens are cut
   into it) into rd, which the caller zeroes and gives a pairs array of
   LFD_ROBOT_MAX_EXCLUDE entries and a path for messages. */
int lfd_robot_desc_parse(raw_desc *rd, char *text, lfd_err *err);

/* The joint torque limit actuator a can give (gear x forcerange, and for a
   motor gear x gain x ctrlrange), or INFINITY (lfd_robot.c). */
double lfd_robot_act_torque_limit(const mjModel *m, int a);
/* Actuator a's force range (or, for a motor, its control range) when it is
   not symmetric about zero, else NULL; *what names which ("forcerange",
   "ctrlrange").  lfd's torque limits are symmetric, so such an actuator
   needs torque= in its description (the loader refuses it without; lfd
   robot init writes the weaker side). */
const double *lfd_robot_act_asym_range(const mjModel *m, int a, const char **what);

#endif
