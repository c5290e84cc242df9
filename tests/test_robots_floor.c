/*  A floating robot whose MJCF has no ground is never simulated falling into
    the void (issue 21, "Robots people bring"): lfd adds a plane at z = 0 for
    simulation and says so.  The fixture is the built-in H1 with its floor
    line removed, as a Menagerie robot file without its scene would be. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "robots/lfd_mj.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"
#include "tests/test_robots_fixture.h"

/* writes DIR/h1nofloor.xml (h1.xml without its floor geom) and
   DIR/h1nofloor.robot; returns 0 on success */
static int write_h1_without_floor(char *desc, size_t descsz)
{
    lfd_err err = {0};
    char dir[LFD_ROBOT_PATH_MAX], path[LFD_ROBOT_PATH_MAX + 64];
    if (lfd_robot_builtin_dir(dir, sizeof dir, &err))
        return -1;
    uint8_t *xml = NULL, *rob = NULL;
    size_t xn = 0, rn = 0;
    snprintf(path, sizeof path, "%s/h1/h1.xml", dir);
    if (lfd_file_read(path, 1 << 20, &xml, &xn, &err))
        return -1;
    snprintf(path, sizeof path, "%s/h1/h1.robot", dir);
    if (lfd_file_read(path, 1 << 20, &rob, &rn, &err)) {
        free(xml);
        return -1;
    }
    /* drop the line holding the floor geom, and point the description at the copy */
    char *x = (char *)xml, *f = strstr(x, "<geom name=\"floor\"");
    char *r = (char *)rob, *mj = strstr(r, "\nmjcf h1.xml");
    int rc = -1;
    if (f && mj) {
        char *ls = f, *le = strchr(f, '\n');
        while (ls > x && ls[-1] != '\n')
            ls--;
        memmove(ls, le + 1, strlen(le + 1) + 1);
        const char *tmp = lfd_test_tmpdir();
        char xp[1024];
        if (!fx_write(tmp, "h1nofloor.xml", x, xp, sizeof xp)) {
            size_t n = strlen(r) + 64;
            char *nr = malloc(n);
            if (nr) {
                snprintf(nr, n, "%.*s\nmjcf h1nofloor.xml%s", (int)(mj - r), r, mj + 12);
                rc = fx_write(tmp, "h1nofloor.robot", nr, desc, descsz);
                free(nr);
            }
        }
    }
    free(xml);
    free(rob);
    return rc;
}

TEST(robots_floor_added_when_the_mjcf_has_none)
{
    char desc[1024];
    if (write_h1_without_floor(desc, sizeof desc))
        lfd_test_fail_at(__FILE__, __LINE__, "cannot write the fixture");
    lfd_robot *r = NULL, *h1 = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, desc, &err), &err);
    CHECK_OK(lfd_robot_load(&h1, "h1", &err), &err);
    if (!r || !h1)
        goto out;
    CHECK(r->floor_added);
    CHECK(!h1->floor_added);
    CHECK(lfd_mj_has_ground(r->m));
    CHECK(mj_name2id(r->m, mjOBJ_GEOM, "lfd_floor") >= 0);
    CHECK_EQ_INT(r->nq, h1->nq);
    CHECK_EQ_INT(r->m->nbody, h1->m->nbody);
    CHECK_NEAR(r->qpos_default[2], h1->qpos_default[2], 1e-9);
    /* stands under lfd's controller for 1.5 s, as with its own floor (without
       ground it drops about 11 m in that time) */
    mjData *d = mj_makeData(r->m);
    lfd_robot_ff *ff = NULL;
    CHECK_OK(lfd_robot_ff_new(&ff, r, &err), &err);
    if (d && ff) {
        memcpy(d->qpos, r->qpos_default, (size_t)r->nq * sizeof(double));
        mj_forward(r->m, d);
        double z0 = d->qpos[2], zmin = z0;
        int steps = (int)(1.5 / r->m->opt.timestep);
        for (int i = 0; i < steps; i++) {
            lfd_robot_ff_control(ff, d->qpos, d->qvel, r->qpos_default, NULL, NULL, NULL, d->ctrl,
                                 NULL, NULL);
            mj_step(r->m, d);
            zmin = fmin(zmin, d->qpos[2]);
        }
        if (!(zmin > z0 - 0.03))
            lfd_test_fail_at(__FILE__, __LINE__, "root fell from %.3f to %.3f m", z0, zmin);
    }
    lfd_robot_ff_free(&ff);
    if (d)
        mj_deleteData(d);
    /* and the command says so */
    static char out[1 << 16];
    char args[1200];
    snprintf(args, sizeof args, "robot info %s", desc);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "no ground");
out:
    lfd_robot_free(&r);
    lfd_robot_free(&h1);
}
