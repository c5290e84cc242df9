/*  Fuzz target: the robot description parser (lfd_robot_desc_lint: every
    syntax and value check of the loader, without compiling an MJCF). */
#include "robots/lfd_robot.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(robot_desc)
{
    lfd_err err;
    lfd_robot_desc_lint((const char *)data, size, "fuzz.robot", &err);
    return 0;
}
