/*  Tests for retargeting (retarget/lfd_retarget) on synthetic motions with
    known answers: self-retargeting of robot motions, a standing and a walking
    generated person, upper-body mode, smoothing, bad input and the command. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lfd_json.h"
#include "core/lfd_quat.h"
#include "retarget/lfd_retarget.h"
#include "retarget/lfd_retarget_int.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_synth.h"
#include "robots/lfd_robot.h"
#include "sim/lfd_check.h"
#include "tests/lfd_test.h"

static lfd_robot *load(const char *name)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, name, &err), &err);
    if (!r)
        SKIP("robot not loadable");
    return r;
}

/* frame f of a robot motion: the default pose lifted off the floor, every
   joint swinging inside its range */
static void swing_pose(const lfd_robot *r, int f, double fps, double *qt)
{
    memcpy(qt, r->qpos_default, (size_t)r->nq * sizeof(double));
    qt[2] += 0.3;
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        double mid = 0.5 * (J->range_lo + J->range_hi), half = 0.5 * (J->range_hi - J->range_lo);
        double centre = J->default_q + 0.3 * (mid - J->default_q);
        double v = centre + 0.25 * half * sin(2 * M_PI * 0.4 * f / fps + j);
        /* elbows stay bent so the arm's twist is defined by hand and elbow */
        if (strstr(J->name, "elbow"))
            v = 0.5 * (J->range_lo + J->range_hi) + 0.1 * half * sin(f / fps + j);
        /* no target observes a wrist (human data has no hand frame): G1's
           3-DoF wrists stay at their default, where the posture pull holds them */
        if (strstr(J->name, "wrist"))
            v = J->default_q;
        qt[J->qpos_adr] = fmin(fmax(v, J->range_lo + 0.05), J->range_hi - 0.05);
    }
}

/* a robot motion played through its own map and retargeted back gives its
   joint angles back */
static void self_retarget(const char *name)
{
    lfd_robot *r = load(name);
    lfd_err err = {0};
    lfd_retarget_calib c;
    CHECK_OK(lfd_retarget_calib_from_robot(r, &c, &err), &err);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.max_iters = 20;
    /* the swings below pass the arms through the body (lfd check finds up to
       75 mm deep on g1); this test measures the IK's accuracy, so the
       clearance that refuses such poses is off (retarget_keeps_arms_clear) */
    o.no_clearance = 1;
    lfd_retargeter *rt;
    lfd_retarget_stream *s;
    CHECK_OK(lfd_retargeter_new(&rt, r, &c, &o, &err), &err);
    /* the edges measured on the robot itself scale by one */
    CHECK_NEAR(lfd_retargeter_root_scale(rt), 1.0, 1e-9);
    CHECK_NEAR(lfd_retargeter_scale(rt, LFD_CJ_L_KNEE), 1.0, 1e-9);
    double fps = 60;
    CHECK_OK(lfd_retarget_stream_new(&s, rt, fps, &err), &err);
    mjData *d = mj_makeData(r->m);
    double *q = malloc((size_t)r->nq * sizeof(double)), *qt = malloc((size_t)r->nq * sizeof(double));
    double cpos[3 * LFD_CJ_COUNT], seg[7 * LFD_SEG_COUNT];
    double sum = 0, worst = 0;
    int n = 0;
    for (int f = 0; f < 120; f++) {
        swing_pose(r, f, fps, qt);
        qt[0] = 0.2 * f / fps;
        lfd_retarget_input_from_robot(r, d, qt, cpos, seg);
        lfd_retarget_input in = {cpos, seg, NULL, NULL, NULL};
        lfd_retarget_info info;
        CHECK_OK(lfd_retarget_stream_push(s, &in, q, &info, &err), &err);
        if (getenv("LFD_TEST_DEBUG") && f % 30 == 0)
            for (int e = 0; e < r->nmap; e++)
                fprintf(stderr, "f %d map %s err %.4f rot %.4f\n", f, lfd_cjoint_name(r->map[e].human),
                        info.ik.pos_err_m[e], info.ik.rot_err_rad[e]);
        if (f < 10)
            continue; /* the first frames may settle */
        for (int j = 0; j < r->njoints; j++) {
            double e = fabs(q[r->joints[j].qpos_adr] - qt[r->joints[j].qpos_adr]);
            if (getenv("LFD_TEST_DEBUG") && e > 0.05)
                fprintf(stderr, "f %d %s %.3f\n", f, r->joints[j].name, e);
            sum += e;
            worst = fmax(worst, e);
            n++;
        }
    }
    double mean = sum / n;
    fprintf(stderr, "%s self-retargeting: joint error mean %.4f rad, worst %.4f rad\n", name, mean,
            worst);
    CHECK(mean < 0.02);
    CHECK(worst < 0.25);
    free(q);
    free(qt);
    mj_deleteData(d);
    lfd_retarget_stream_free(&s);
    lfd_retargeter_free(&rt);
    lfd_robot_free(&r);
}

TEST(retarget_self_retargeting_h1) { self_retarget("h1"); }
TEST(retarget_self_retargeting_g1) { self_retarget("g1"); }

/* a source of nframes at fps posed by pose(r, f, fps, qpos) is retargeted
   with the clearance pairs on: the result is free of self-collision by lfd
   check's measure, the source is not (source_min_m deep at least); the
   hands' mean error against their targets (m) into *hand_err */
typedef void (*pose_fn)(const lfd_robot *r, int f, double fps, double *qt);
static void clear_of(const char *name, pose_fn pose, int nframes, double source_min_m, double *hand_err)
{
    lfd_robot *r = load(name);
    lfd_err err = {0};
    lfd_retarget_calib c;
    CHECK_OK(lfd_retarget_calib_from_robot(r, &c, &err), &err);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    lfd_retargeter *rt;
    lfd_retarget_stream *s;
    CHECK_OK(lfd_retargeter_new(&rt, r, &c, &o, &err), &err);
    double fps = 60;
    CHECK_OK(lfd_retarget_stream_new(&s, rt, fps, &err), &err);
    mjData *d = mj_makeData(r->m);
    lfd_motion src, out;
    CHECK_OK(lfd_robot_motion_alloc(r, &src, nframes, fps, 0, &err), &err);
    CHECK_OK(lfd_robot_motion_alloc(r, &out, nframes, fps, 0, &err), &err);
    double cpos[3 * LFD_CJ_COUNT], seg[7 * LFD_SEG_COUNT];
    *hand_err = 0;
    for (int f = 0; f < nframes; f++) {
        double *qt = lfd_motion_frame(&src, f), *q = lfd_motion_frame(&out, f);
        pose(r, f, fps, qt);
        lfd_retarget_input_from_robot(r, d, qt, cpos, seg);
        lfd_retarget_input in = {cpos, seg, NULL, NULL, NULL};
        lfd_retarget_info info;
        CHECK_OK(lfd_retarget_stream_push(s, &in, q, &info, &err), &err);
        for (int e = 0; e < r->nmap; e++)
            if (r->map[e].human == LFD_CJ_L_WRIST || r->map[e].human == LFD_CJ_R_WRIST)
                *hand_err += info.ik.pos_err_m[e] / (2.0 * nframes);
    }
    lfd_check_opts co;
    lfd_check_opts_init(&co);
    co.checks = 1u << LFD_CG_SELF;
    lfd_check_report *rs = NULL, *ro = NULL;
    CHECK_OK(lfd_check_report_new(&rs, &err), &err);
    CHECK_OK(lfd_check_report_new(&ro, &err), &err);
    CHECK_OK(lfd_check_run(r, &src, &co, rs, &err), &err);
    CHECK_OK(lfd_check_run(r, &out, &co, ro, &err), &err);
    fprintf(stderr, "%s: self-collision source %.1f mm, retargeted %.1f mm; hand error %.1f mm\n", name,
            1000 * rs->self_depth_max_m, 1000 * ro->self_depth_max_m, 1000 * *hand_err);
    CHECK(rs->self_depth_max_m > source_min_m);  /* the source does collide */
    CHECK(ro->self_depth_max_m < co.self_fail_m); /* the result does not */
    lfd_check_report_free(&rs);
    lfd_check_report_free(&ro);
    lfd_motion_free(&src);
    lfd_motion_free(&out);
    mj_deleteData(d);
    lfd_retarget_stream_free(&s);
    lfd_retargeter_free(&rt);
    lfd_robot_free(&r);
}

/* the same swinging source, whose arms pass through the torso and hips, is
   retargeted with the clearance pairs on: no self-collision in the result,
   and the hands still follow */
static void keeps_arms_clear(const char *name)
{
    double hand_err;
    clear_of(name, swing_pose, 120, 0.02, &hand_err);
    CHECK(hand_err < 0.08);
}

TEST(retarget_keeps_arms_clear_h1) { keeps_arms_clear("h1"); }
TEST(retarget_keeps_arms_clear_g1) { keeps_arms_clear("g1"); }

/* G1's left arm as at frame 970 of CMU's dance retargeted onto G1 at 30 fps
   before the clearance pairs held an arm's hand off the same arm's
   shoulder (lfd check: left_shoulder_roll_link / left_rubber_hand 33.9 mm
   deep), eased in over 0.5 s from the default pose and held */
static void hand_at_shoulder_pose(const lfd_robot *r, int f, double fps, double *qt)
{
    static const struct {
        const char *joint;
        double q;
    } arm[] = {{"left_shoulder_pitch_joint", -0.5286}, {"left_shoulder_roll_joint", 0.8568},
               {"left_shoulder_yaw_joint", -1.9341},   {"left_elbow_joint", -1.0451},
               {"left_wrist_roll_joint", -0.2322},     {"left_wrist_pitch_joint", -1.5896},
               {"left_wrist_yaw_joint", -0.5726}};
    memcpy(qt, r->qpos_default, (size_t)r->nq * sizeof(double));
    double t = fmin(f / (0.5 * fps), 1), w = 0.5 * (1 - cos(M_PI * t));
    for (size_t i = 0; i < sizeof arm / sizeof arm[0]; i++) {
        int j = lfd_robot_find_joint(r, arm[i].joint);
        CHECK(j >= 0);
        if (j >= 0)
            qt[r->joints[j].qpos_adr] += w * (arm[i].q - r->joints[j].default_q);
    }
}

/* that hand bent back into its own shoulder: its retarget keeps it out */
TEST(retarget_keeps_a_hand_out_of_its_own_shoulder_g1)
{
    double hand_err;
    clear_of("g1", hand_at_shoulder_pose, 90, 0.02, &hand_err);
    CHECK(hand_err < 0.03); /* and the hand still follows */
}

TEST(retarget_standing_human_stands)
{
    lfd_robot *r = load("h1");
    lfd_human h;
    lfd_err err = {0};
    lfd_synth_opts so = {.task = LFD_SYNTH_STAND, .seconds = 3, .fps = 60};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    lfd_motion m;
    lfd_retarget_report rep;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
    CHECK_EQ_INT(m.nframes, h.nframes);
    CHECK_STR(m.robot, "h1");
    CHECK_EQ_INT(rep.range_violations, 0);
    CHECK(rep.peak_vel_ratio < 0.2);
    CHECK(rep.foot_slide_max_m < 0.002);
    CHECK(rep.floor_pen_max_m < 0.002);
    CHECK(rep.contact_phases == 2);
    /* the robot stands: pelvis at its standing height, upright, not wandering */
    for (int f = 0; f < m.nframes; f++) {
        const double *q = lfd_motion_frame(&m, f);
        double id[4] = {1, 0, 0, 0};
        CHECK(q[2] > 0.85 && q[2] < 1.10);
        CHECK(lfd_quat_angle(q + 3, id) < 0.2);
        CHECK(hypot(q[0], q[1]) < 0.05);
    }
    lfd_motion_free(&m);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

TEST(retarget_walking_alternates_contacts)
{
    lfd_robot *r = load("h1");
    lfd_human h;
    lfd_err err = {0};
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 4, .fps = 60};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    lfd_retarget_calib c;
    lfd_retargeter *rt;
    lfd_retarget_stream *s;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    CHECK_OK(lfd_retarget_calib_from_human(r, &h, &c, &err), &err);
    CHECK_OK(lfd_retargeter_new(&rt, r, &c, &o, &err), &err);
    CHECK_OK(lfd_retarget_stream_new(&s, rt, h.fps, &err), &err);
    double *q = malloc((size_t)r->nq * sizeof(double));
    double cpos[3 * LFD_CJ_COUNT];
    int last_single = -1, switches = 0, prev_pin[2] = {0, 0};
    double swing_max[2] = {0, 0}, pin_start[2][3] = {{0}}, slide = 0;
    for (int f = 0; f < h.nframes; f++) {
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++)
            memcpy(cpos + 3 * cj, lfd_human_cpos(&h, f, cj), 3 * sizeof(double));
        lfd_retarget_input in = {cpos, lfd_human_seg(&h, f, 0), h.contact + 2 * f, NULL, NULL};
        lfd_retarget_info info;
        CHECK_OK(lfd_retarget_stream_push(s, &in, q, &info, &err), &err);
        /* single support alternates left, right, left ... */
        if (info.pinned[0] != info.pinned[1]) {
            int side = info.pinned[0] ? 0 : 1;
            if (last_single >= 0 && side != last_single)
                switches++;
            last_single = side;
        }
        for (int k = 0; k < 2; k++) {
            if (!info.pinned[k])
                swing_max[k] = fmax(swing_max[k], info.foot_pos[k][2]);
            /* a planted foot rolls onto its toe before it lifts: the edge
               it stands on stays (foot_flat), not the ankle */
            if (info.pinned[k] && !prev_pin[k])
                memcpy(pin_start[k], info.foot_flat[k], sizeof pin_start[k]);
            if (info.pinned[k])
                slide = fmax(slide, hypot(info.foot_flat[k][0] - pin_start[k][0],
                                          info.foot_flat[k][1] - pin_start[k][1]));
            prev_pin[k] = info.pinned[k];
        }
        CHECK(info.lowest_sole_z_m > -0.005);
    }
    /* 4 s of walking: several steps each side, swing feet lifted, stance feet fixed */
    CHECK(switches >= 4);
    CHECK(swing_max[0] > 0.1 && swing_max[1] > 0.1);
    CHECK(slide < 0.01);
    /* and the robot went forward about as far as the scaled person (1 m/s) */
    CHECK(q[0] > 0.6 * 4 * lfd_retargeter_root_scale(rt) * 0.9);
    free(q);
    lfd_retarget_stream_free(&s);
    lfd_retargeter_free(&rt);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

TEST(retarget_upper_body_holds_legs_and_moves_arms)
{
    lfd_robot *r = load("h1");
    lfd_human h;
    lfd_err err = {0};
    lfd_synth_opts so = {.task = LFD_SYNTH_WIPE, .seconds = 6, .fps = 30};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    lfd_motion m;
    lfd_retarget_report rep;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.upper_body = 1;
    o.progress = 0;
    CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
    int elbow = lfd_robot_find_joint(r, "right_elbow");
    int sh = lfd_robot_find_joint(r, "right_shoulder_pitch");
    double lo = 1e9, hi = -1e9;
    for (int f = 0; f < m.nframes; f++) {
        const double *q = lfd_motion_frame(&m, f);
        for (int i = 0; i < 7; i++)
            CHECK_NEAR(q[i], r->qpos_default[i], 0);
        for (int j = 0; j < r->njoints; j++)
            if (strstr(r->joints[j].name, "hip") || strstr(r->joints[j].name, "knee") ||
                strstr(r->joints[j].name, "ankle"))
                CHECK_NEAR(q[r->joints[j].qpos_adr], r->joints[j].default_q, 0);
        double v = q[r->joints[sh].qpos_adr];
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    CHECK(elbow >= 0);
    CHECK(hi - lo > 0.3); /* the reach moves the shoulder */
    CHECK(rep.hand_err_mean_m < 0.05);
    CHECK_EQ_INT(rep.range_violations, 0);
    lfd_motion_free(&m);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

TEST(retarget_provenance_consent_and_measurements)
{
    lfd_robot *r = load("g1");
    lfd_human h;
    lfd_err err = {0};
    lfd_synth_opts so = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    snprintf(h.path, sizeof h.path, "/data/alice_kitchen.bvh");
    snprintf(h.sha256, sizeof h.sha256, "%064d", 1);
    CHECK_OK(lfd_prov_set_str(&h.prov, "contributor_id", "anon-9", &err), &err);
    CHECK_OK(lfd_prov_set_num(&h.prov, "height_m", 1.81, &err), &err);
    CHECK_OK(lfd_prov_set_str(&h.prov, "licence", "CC-BY-4.0", &err), &err);
    {
        /* a nested capture record: its location goes, its other fields stay */
        static const char js[] = "{\"capture\": {\"context\": \"kitchen\", \"rig\": {\"fps\": 30, "
                                 "\"location\": [48.1, 11.6]}, \"location\": \"Munich\"}}";
        lfd_json_doc *doc = NULL;
        lfd_prov tmp;
        lfd_prov_init(&tmp);
        CHECK_OK(lfd_json_parse(js, sizeof js - 1, "capture", &doc, &err), &err);
        CHECK_OK(lfd_prov_from_json(&tmp, lfd_json_root(doc), &err), &err);
        const lfd_prov_entry *c = lfd_prov_get(&tmp, "capture");
        CHECK(c != NULL);
        if (c)
            CHECK_OK(lfd_prov_set_raw(&h.prov, "capture", c->val, c->len, &err), &err);
        lfd_prov_free(&tmp);
        lfd_json_free(&doc);
    }
    lfd_motion m;
    lfd_retarget_report rep;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
    char s[64];
    CHECK_OK(lfd_prov_get_str(&m.prov, "contributor_id", s, sizeof s, &err), &err);
    CHECK_STR(s, "anon-9");
    CHECK_OK(lfd_prov_get_str(&m.prov, "licence", s, sizeof s, &err), &err);
    CHECK(lfd_prov_get(&m.prov, "height_m") == NULL); /* identifying: dropped */
    {
        lfd_buf b;
        lfd_buf_init(&b, 1 << 20);
        lfd_jw jw;
        lfd_jw_init_buf(&jw, &b, 0);
        CHECK_OK(lfd_prov_to_json(&m.prov, &jw, &err), &err);
        lfd_jw_finish(&jw);
        lfd_buf_append(&b, "", 1);
        const char *t = (const char *)b.data;
        CHECK_CONTAINS(t, "\"context\":\"kitchen\"");
        CHECK_CONTAINS(t, "\"fps\":30");
        CHECK(strstr(t, "location") == NULL);
        CHECK(strstr(t, "Munich") == NULL);
        lfd_buf_free(&b);
    }
    CHECK(lfd_prov_get(&m.prov, "retarget") != NULL);
    CHECK(lfd_prov_get(&m.prov, "lineage") != NULL);
    /* the capture location is dropped too: the motion starts at the origin */
    CHECK(hypot(m.qpos[0], m.qpos[1]) < 0.05);
    lfd_motion_free(&m);
    o.keep_measurements = 1;
    CHECK_OK(lfd_retarget_human(r, &h, &o, &m, &rep, &err), &err);
    CHECK(lfd_prov_get(&m.prov, "height_m") != NULL);
    lfd_motion_free(&m);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

TEST(retarget_smoothing_is_zero_phase)
{
    enum { N = 600 };
    double x[N], fs = 120;
    for (int i = 0; i < N; i++)
        x[i] = sin(2 * M_PI * 1.0 * i / fs) + 0.3 * sin(2 * M_PI * 40.0 * i / fs);
    lfd_err e = {0};
    CHECK_OK(lfd_filtfilt_lowpass(x, N, 1, 6.0, fs, &e), &e);
    /* the 1 Hz part stays in phase and amplitude, the 40 Hz part is gone */
    double err = 0;
    for (int i = 60; i < N - 60; i++)
        err = fmax(err, fabs(x[i] - sin(2 * M_PI * 1.0 * i / fs)));
    CHECK(err < 0.01);
}

TEST(retarget_bad_input)
{
    lfd_err err = {0};
    lfd_robot *r = load("h1");
    lfd_retarget_calib c;
    CHECK_OK(lfd_retarget_calib_from_robot(r, &c, &err), &err);
    lfd_retargeter *rt;
    lfd_retarget_stream *s;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    CHECK_OK(lfd_retargeter_new(&rt, r, &c, &o, &err), &err);
    CHECK_OK(lfd_retarget_stream_new(&s, rt, 30, &err), &err);
    /* NaN in the input is refused */
    double cpos[3 * LFD_CJ_COUNT] = {0}, seg[7 * LFD_SEG_COUNT] = {0}, q[64];
    for (int k = 0; k < LFD_SEG_COUNT; k++)
        seg[7 * k + 3] = 1;
    cpos[7] = NAN;
    lfd_retarget_input in = {cpos, seg, NULL, NULL, NULL};
    CHECK(lfd_retarget_stream_push(s, &in, q, NULL, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "NaN");
    lfd_retarget_stream_free(&s);
    lfd_retargeter_free(&rt);
    lfd_robot_free(&r);

    /* a floating robot without feet cannot be placed on the floor */
    const char *dir = lfd_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/nofeet.xml", dir);
    FILE *fp = fopen(path, "w");
    fputs("<mujoco><worldbody><body name=\"pelvis\" pos=\"0 0 1\"><freejoint/>"
          "<geom type=\"box\" size=\"0.1 0.1 0.1\"/><body name=\"leg\" pos=\"0 0 -0.2\">"
          "<joint name=\"knee_joint\" axis=\"0 1 0\" limited=\"true\" range=\"-1 1\"/>"
          "<geom type=\"capsule\" fromto=\"0 0 0 0 0 -0.4\" size=\"0.03\"/></body></body>"
          "</worldbody><actuator><motor joint=\"knee_joint\" ctrllimited=\"true\" "
          "ctrlrange=\"-10 10\"/></actuator></mujoco>\n", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/nofeet.robot", dir);
    fp = fopen(path, "w");
    fputs("lfd-robot 1\nname nofeet\nmjcf nofeet.xml\nsource test\n"
          "joint knee_joint vel=5 kp=10 kd=1 default=0\n"
          "map pelvis body=pelvis\nmap l_knee body=leg\n", fp);
    fclose(fp);
    CHECK_OK(lfd_robot_load(&r, path, &err), &err);
    if (r) {
        CHECK_OK(lfd_retarget_calib_from_robot(r, &c, &err), &err);
        CHECK(lfd_retargeter_new(&rt, r, &c, &o, &err) == LFD_EMISMATCH);
        CHECK_CONTAINS(err.msg, "no feet");
        lfd_robot_free(&r);
    }

    /* a human with NaN, and a CLI run that fails, leave no output file */
    lfd_human h;
    lfd_synth_opts so = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    r = load("h1");
    h.nonfinite = 1;
    lfd_motion m;
    lfd_retarget_report rep;
    CHECK(lfd_retarget_human(r, &h, &o, &m, &rep, &err) == LFD_ENUMERIC);
    lfd_human_free(&h);
    lfd_robot_free(&r);
    char bad[512], out[512], cmd[2048], txt[4096];
    snprintf(bad, sizeof bad, "%s/bad.bvh", dir);
    snprintf(out, sizeof out, "%s/never.lfdm", dir);
    fp = fopen(bad, "w");
    fputs("HIERARCHY\nROOT Foo\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n}\n"
          "MOTION\nFrames: 1\nFrame Time: 0.033\n0 0 0\n", fp);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "retarget %s --robot h1 -o %s", bad, out);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, txt, sizeof txt), 2);
    CHECK(access(out, F_OK) != 0);
}

TEST(retarget_cli_single_batch_and_json)
{
    const char *dir = lfd_test_tmpdir();
    char walk[512], wipe[512], cmd[2048], out[1 << 15];
    snprintf(walk, sizeof walk, "%s/walk.bvh", dir);
    snprintf(wipe, sizeof wipe, "%s/wipe.bvh", dir);
    snprintf(cmd, sizeof cmd, "human synth --task walk --seconds 2 -o %s", walk);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "human synth --task wipe --seconds 3 -o %s", wipe);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    /* one file, with the report */
    snprintf(cmd, sizeof cmd, "retarget %s --robot g1 -o %s/walk.lfdm --fps 50", walk, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(cmd, out, sizeof out), 0);
    CHECK_CONTAINS(out, "worst foot slide");
    lfd_motion m;
    lfd_err err = {0};
    char path[600];
    snprintf(path, sizeof path, "%s/walk.lfdm", dir);
    CHECK_OK(lfd_motion_read(&m, path, &err), &err);
    CHECK_NEAR(m.fps, 50, 1e-9);
    CHECK_EQ_INT(m.njoints, 29);
    lfd_motion_free(&m);
    /* two files in parallel into a folder, JSON reports */
    snprintf(cmd, sizeof cmd, "LFD_LOG=error %s retarget %s %s --robot h1 -o %s --json",
             lfd_test_lfd_bin(), walk, wipe, dir);
    FILE *fp = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, fp);
    out[n] = '\0';
    CHECK_EQ_INT(WEXITSTATUS(pclose(fp)), 0);
    lfd_json_doc *doc;
    CHECK_OK(lfd_json_parse(out, n, "stdout", &doc, &err), &err);
    const lfd_json *arr = lfd_json_root(doc);
    CHECK(arr && arr->type == LFD_JSON_ARR && arr->count == 2);
    for (int i = 0; arr && i < arr->count; i++) {
        const lfd_json *rep = lfd_json_get(lfd_json_at(arr, i), "report");
        CHECK(rep != NULL);
        CHECK_NEAR(lfd_json_get(rep, "range_violations")->num, 0, 0);
    }
    lfd_json_free(&doc);
    snprintf(path, sizeof path, "%s/wipe.h1.lfdm", dir);
    CHECK(access(path, F_OK) == 0);
}

/* g1 and a retargeter calibrated on a synthetic person standing for 1 s at
   30 fps; the caller frees the three */
static void g1_stand_retargeter(lfd_robot **r, lfd_human *h, lfd_retargeter **rt)
{
    lfd_err err = {0};
    *r = load("g1");
    *rt = NULL;
    lfd_synth_opts so = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30};
    CHECK_OK(lfd_synth_human(h, &so, &err), &err);
    lfd_retarget_calib c;
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    CHECK_OK(lfd_retarget_calib_from_human(*r, h, &c, &err), &err);
    CHECK_OK(lfd_retargeter_new(rt, *r, &c, &o, &err), &err);
}

/* A planted foot rolls about its toe edge (heel-off) or heel edge (heel
   strike): that edge stays where the flat foot has it, pitch 0 is the flat
   pin itself, and unrolling gives the pin back. */
TEST(retarget_rolling_foot_keeps_its_edge)
{
    lfd_robot *r;
    lfd_human h;
    lfd_retargeter *rt;
    g1_stand_retargeter(&r, &h, &rt);
    const double pin[3] = {0.3, -0.1, 0.07};
    for (int side = 0; side < 2 && rt; side++)
        for (int i = -4; i <= 8; i++) {
            double th = 0.1 * i, yaw = 0.7;
            /* the human's foot: heading yaw, pitched th (toe down > 0) */
            double hq[4], qy[4] = {cos(0.5 * yaw), 0, 0, sin(0.5 * yaw)},
                          qp[4] = {cos(0.5 * th), 0, sin(0.5 * th), 0}, q[4], ankle[3], back[3];
            lfd_quat_mul(hq, qy, qp);
            lfd_rt_roll_quat(hq, 1, q);
            lfd_rt_roll_ankle(rt, side, pin, q, ankle);
            lfd_rt_unroll_ankle(rt, side, ankle, q, back);
            for (int a = 0; a < 3; a++)
                CHECK_NEAR(back[a], pin[a], 1e-12);
            /* the edge it stands on: front for toe down, heel for toe up */
            const double *rel = rt->pivot_rel[side][th > 0 ? 1 : 0];
            double e_roll[3], e_flat[3];
            lfd_quat_rotate(e_roll, q, rel);
            lfd_quat_rotate(e_flat, qy, rel);
            for (int a = 0; a < 3; a++)
                CHECK_NEAR(ankle[a] + e_roll[a], pin[a] + e_flat[a], 1e-9);
            if (i == 0)
                for (int a = 0; a < 3; a++)
                    CHECK_NEAR(ankle[a], pin[a], 1e-12);
            /* a rolled foot's ankle rises */
            if (i != 0)
                CHECK(ankle[2] > pin[2] + 1e-4);
            /* allow 0: flat */
            double qf[4];
            lfd_rt_roll_quat(hq, 0, qf);
            CHECK_NEAR(lfd_quat_angle(qf, qy), 0, 1e-9);
        }
    /* rolled sideways too (a leg without an ankle roll, H1, rolls its sole
       with its hip): the foot stands on the lower of its long edges, and
       the corner of that edge at the pitch's pivot stays where the flat
       foot has it; no roll leaves the pitch's pivot as above */
    for (int side = 0; side < 2 && rt; side++)
        for (int i = -2; i <= 2; i++)
            for (int j = -1; j <= 1; j++) {
                double ph = 0.1 * i, th = 0.3 * j, yaw = -0.4;
                double qy[4] = {cos(0.5 * yaw), 0, 0, sin(0.5 * yaw)},
                       qp[4] = {cos(0.5 * th), 0, sin(0.5 * th), 0},
                       qx[4] = {cos(0.5 * ph), sin(0.5 * ph), 0, 0}, t[4], q[4], ankle[3], back[3];
                lfd_quat_mul(t, qy, qp);
                lfd_quat_mul(q, t, qx);
                lfd_rt_roll_ankle(rt, side, pin, q, ankle);
                lfd_rt_unroll_ankle(rt, side, ankle, q, back);
                for (int a = 0; a < 3; a++)
                    CHECK_NEAR(back[a], pin[a], 1e-12);
                /* the lower long edge: the sole's side axis points down on it */
                double lw[3], rel[3], e_roll[3], e_flat[3];
                lfd_quat_rotate(lw, q, rt->pivot_lat[side]);
                for (int a = 0; a < 3; a++)
                    rel[a] = rt->pivot_rel[side][th > 0 ? 1 : 0][a] +
                             (lw[2] > 0 ? -1 : 1) * rt->pivot_lat[side][a];
                lfd_quat_rotate(e_roll, q, rel);
                lfd_quat_rotate(e_flat, qy, rel);
                for (int a = 0; a < 3; a++)
                    CHECK_NEAR(ankle[a] + e_roll[a], pin[a] + e_flat[a], 1e-9);
                /* that corner is the sole's lowest point */
                double lo = INFINITY;
                for (int u = 0; u < 2; u++)
                    for (int v = -1; v <= 1; v += 2) {
                        double rr[3], w[3];
                        for (int a = 0; a < 3; a++)
                            rr[a] = rt->pivot_rel[side][u][a] + v * rt->pivot_lat[side][a];
                        lfd_quat_rotate(w, q, rr);
                        lo = fmin(lo, ankle[2] + w[2]);
                    }
                CHECK_NEAR(lo, ankle[2] + e_roll[2], 1e-9);
                CHECK_NEAR(lo, pin[2] + e_flat[2], 1e-9);
            }
    lfd_retargeter_free(&rt);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* the smallest clearance of the arms' IK's pairs at frame k, relative to
   what each may have (its margin, or 0 where the stance has it closer) */
static double arms_min_clearance(const lfd_retargeter *rt, lfd_ik_ws *ws, const lfd_motion *m, int k)
{
    double margin[LFD_IK_MAX_PAIRS], lo = INFINITY;
    lfd_ik_pair_margins_at(rt->ik_arms, ws, lfd_motion_frame(m, k), margin);
    for (int i = 0; i < rt->ik_arms->npair; i++)
        lo = fmin(lo, margin[i] - fmin(0, rt->ik_arms->pairs[i].margin_m));
    return lo;
}

/* The arms' clearance guard (the last step): a standing g1 whose left arm
   swings smoothly into its body and out again over 20 frames at 30 fps.
   After the guard no pair is inside the body on any frame, the frames more
   than ARMS_GUARD_S from an arm in the body are untouched, the hands move
   under 3 cm (2.3: the hand is what touches the hip here), and the
   correction is eased in and out: the joints'
   largest acceleration stays within the input's plus 30 rad/s^2 (corrected
   on the frames in the body alone, the arm kicked out: 287 rad/s^2 on H1's
   xia walk).  A motion with no arm in the body comes back unchanged. */
TEST(retarget_arms_guard_takes_an_arm_out_of_the_body)
{
    lfd_robot *r;
    lfd_human h;
    lfd_retargeter *rt;
    g1_stand_retargeter(&r, &h, &rt);
    lfd_err err = {0};
    lfd_motion m, m0;
    lfd_ik_ws *ws = NULL;
    int n = 41, sh = -1;
    for (int j = 0; r && j < r->njoints; j++)
        if (!strcmp(r->joints[j].name, "left_shoulder_roll_joint"))
            sh = r->joints[j].qpos_adr;
    CHECK(rt && sh >= 0);
    if (!rt || sh < 0)
        goto out;
    CHECK_OK(lfd_ik_ws_new(&ws, rt->ik_arms, &err), &err);
    CHECK_OK(lfd_motion_alloc(&m, n, 1, r->njoints, 0, &err), &err);
    m.fps = 30;
    for (int k = 0; k < n; k++)
        memcpy(lfd_motion_frame(&m, k), r->qpos_default, (size_t)r->nq * sizeof(double));
    /* untouched without an arm in the body */
    CHECK_OK(lfd_motion_copy(&m0, &m, &err), &err);
    CHECK_EQ_INT(lfd_rt_arms_guard(rt, &m, &err), 0);
    CHECK(!memcmp(m.qpos, m0.qpos, (size_t)n * (size_t)r->nq * sizeof(double)));
    lfd_motion_free(&m0);
    /* the shoulder's roll that puts the arm 8 mm into the body */
    double amp = 0, dir = 0;
    for (int sgn = -1; sgn <= 1 && dir == 0; sgn += 2)
        for (double a = 0.02; a < 1.0; a += 0.02) {
            double *q = lfd_motion_frame(&m, 0);
            q[sh] = r->qpos_default[sh] + sgn * a;
            int in = arms_min_clearance(rt, ws, &m, 0) < -0.008;
            q[sh] = r->qpos_default[sh];
            if (in) {
                amp = a;
                dir = sgn;
                break;
            }
        }
    CHECK(dir != 0);
    for (int k = 0; k < n; k++) {
        double t = (k - 10) / 20.0; /* frames 10-30: a raised cosine, its top at 20 */
        lfd_motion_frame(&m, k)[sh] += t > 0 && t < 1 ? dir * amp * 0.5 * (1 - cos(2 * M_PI * t)) : 0;
    }
    CHECK_OK(lfd_motion_copy(&m0, &m, &err), &err);
    int first = -1, last = -1;
    for (int k = 0; k < n; k++)
        if (arms_min_clearance(rt, ws, &m, k) < -ARMS_GUARD_TOL_M) {
            first = first < 0 ? k : first;
            last = k;
        }
    CHECK(first > 10 && last < 30 && last > first);
    int changed = lfd_rt_arms_guard(rt, &m, &err);
    int w = (int)ceil(ARMS_GUARD_S * m.fps);
    CHECK(changed > last - first && changed <= last - first + 1 + 2 * w);
    double worst = INFINITY, hand = 0, acc0 = 0, acc1 = 0;
    mjData *d0 = mj_makeData(r->m), *d1 = mj_makeData(r->m);
    for (int k = 0; k < n; k++) {
        worst = fmin(worst, arms_min_clearance(rt, ws, &m, k));
        if (k < first - w || k > last + w)
            CHECK(!memcmp(lfd_motion_frame(&m, k), lfd_motion_frame(&m0, k), (size_t)r->nq * sizeof(double)));
        memcpy(d0->qpos, lfd_motion_frame(&m0, k), (size_t)r->nq * sizeof(double));
        memcpy(d1->qpos, lfd_motion_frame(&m, k), (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d0);
        mj_kinematics(r->m, d1);
        for (int side = 0; side < 2; side++) {
            int e = rt->entry_of[side ? LFD_CJ_R_WRIST : LFD_CJ_L_WRIST];
            double p0[3], p1[3];
            lfd_rt_map_point(r->m, d0, &r->map[e], p0);
            lfd_rt_map_point(r->m, d1, &r->map[e], p1);
            hand = fmax(hand, lfd_v3_dist(p0, p1));
        }
        if (k > 0 && k + 1 < n)
            for (int j = 0; j < r->njoints; j++) {
                int a = r->joints[j].qpos_adr;
                acc0 = fmax(acc0, fabs(lfd_motion_frame(&m0, k + 1)[a] - 2 * lfd_motion_frame(&m0, k)[a] +
                                       lfd_motion_frame(&m0, k - 1)[a]) * 900);
                acc1 = fmax(acc1, fabs(lfd_motion_frame(&m, k + 1)[a] - 2 * lfd_motion_frame(&m, k)[a] +
                                       lfd_motion_frame(&m, k - 1)[a]) * 900);
            }
    }
    fprintf(stderr, "arms guard: shoulder roll %+.2f rad into the body at frames %d-%d; %d frames changed, "
                    "clearance after %.1f mm at worst, hands moved %.1f mm, joint acceleration %.0f -> %.0f rad/s^2\n",
            dir * amp, first, last, changed, 1000 * worst, 1000 * hand, acc0, acc1);
    CHECK(worst >= -ARMS_GUARD_TOL_M);
    CHECK(hand < 0.03);
    CHECK(acc1 <= acc0 + 30);
    mj_deleteData(d0);
    mj_deleteData(d1);
    lfd_motion_free(&m0);
    lfd_motion_free(&m);
out:
    lfd_ik_ws_free(&ws);
    lfd_retargeter_free(&rt);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The floor step's corrections are smoothed over the clip (issue 15, the
   120 Hz walks): a standing g1 whose root dips smoothly 4 mm into the
   floor and out over 0.5 s.  Corrected frame by frame (the step without
   its work array), the frames under the 1 mm tolerance are left alone and
   the next ones are put back on the floor: the sole's height bends
   sharply there.  Smoothed, the soles end no deeper than 1.5 mm and their
   height's largest second difference is under half the raw one. */
static void floor_dip(const lfd_retargeter *rt, const lfd_robot *r, mjData *d, double z0,
                      double *work, double *depth, double *d2)
{
    lfd_err err = {0};
    lfd_motion m;
    int n = 60;
    CHECK_OK(lfd_robot_motion_alloc(r, &m, n, 120, 0, &err), &err);
    for (int k = 0; k < n; k++) {
        double *q = lfd_motion_frame(&m, k), s = sin(M_PI * k / (n - 1));
        memcpy(q, r->qpos_default, (size_t)r->nq * sizeof(double));
        q[2] = z0 - 0.004 * s * s;
    }
    CHECK_OK(lfd_rt_floor_step(rt, &m, work, &err), &err);
    double h[60];
    *depth = *d2 = 0;
    for (int k = 0; k < n; k++) {
        memcpy(d->qpos, lfd_motion_frame(&m, k), (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d);
        h[k] = lfd_rt_lowest_sole(r, d);
        *depth = fmax(*depth, -h[k]);
        if (k >= 2)
            *d2 = fmax(*d2, fabs(h[k] - 2 * h[k - 1] + h[k - 2]));
    }
    lfd_motion_free(&m);
}

TEST(retarget_floor_step_lifts_smoothly)
{
    lfd_robot *r;
    lfd_human h;
    lfd_retargeter *rt;
    g1_stand_retargeter(&r, &h, &rt);
    double *work = malloc(4 * 60 * sizeof(double));
    mjData *d = mj_makeData(r->m);
    if (rt && work && d) {
        /* the default pose with its soles on the floor */
        memcpy(d->qpos, r->qpos_default, (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d);
        double z0 = d->qpos[2] - lfd_rt_lowest_sole(r, d), dep_raw, d2_raw, dep, d2;
        floor_dip(rt, r, d, z0, NULL, &dep_raw, &d2_raw);
        floor_dip(rt, r, d, z0, work, &dep, &d2);
        fprintf(stderr, "floor step on a 4 mm dip: raw depth %.4f m, sole d2 %.5f m; smoothed "
                        "depth %.4f m, sole d2 %.5f m\n", dep_raw, d2_raw, dep, d2);
        CHECK(dep <= 0.0015);
        CHECK(d2 < 0.5 * d2_raw);
    }
    free(work);
    if (d)
        mj_deleteData(d);
    lfd_retargeter_free(&rt);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The feet step holds a planted foot's whole correction up to its lift-off
   and fades it out in the swing after it.  Fading it out in the last stance
   frames (as it did) half-released the foot while the heel rose and the
   foot rolled onto its toe: this 4 s procedural walk at 30 fps slid
   0.86 cm on g1 and 0.97 cm on h1 (G1's bandai2 walk 1.7 cm in a phase's
   last frame).  Now 0.2 and 0.4 cm, and the fade in the swing adds no
   acceleration spike (p99 57-58 rad/s^2, under lfd's 60; faded out over
   0.07 s instead of 0.15 s, h1's was 61). */
/* lfd's procedural walk (4 s at 120 Hz) onto r at 30 fps without the
   dynamics filter, its swinging feet kept clear_m up (0: the default, off) */
static void procedural_walk_30(const lfd_robot *r, double clear_m, lfd_motion *m, lfd_retarget_report *rep)
{
    lfd_human h;
    lfd_err err = {0};
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 4, .fps = 120};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    o.fps = 30;
    o.zmp_filter = 0;
    o.swing_clear_m = clear_m;
    CHECK_OK(lfd_retarget_human(r, &h, &o, m, rep, &err), &err);
    lfd_human_free(&h);
}

static void feet_hold_to_lift_off(const char *robot, double acc_p99_max)
{
    lfd_robot *r = load(robot);
    if (!r)
        return;
    lfd_motion m;
    lfd_retarget_report rep;
    procedural_walk_30(r, 0, &m, &rep); /* the feet step alone */
    fprintf(stderr, "procedural walk on %s at 30 fps: slide %.4f m over %d phases, acc p99 %.1f rad/s^2\n",
            robot, rep.foot_slide_max_m, rep.contact_phases, rep.acc_p99_rad_s2);
    CHECK(rep.contact_phases >= 6);
    CHECK(rep.foot_slide_max_m < 0.008);
    CHECK(rep.acc_p99_rad_s2 < acc_p99_max);
    lfd_motion_free(&m);
    lfd_robot_free(&r);
}

TEST(retarget_planted_feet_hold_to_the_lift_off_g1) { feet_hold_to_lift_off("g1", 60); }
/* H1's landing correction is made in the last 0.15 s of the swing (its legs
   cannot set the foot's roll; docs/retarget.md part 22): the planted feet
   slide 0.1 cm instead of 0.4, and the landing knee turns faster, p99 65
   rad/s^2 instead of 58 on this walk without the dynamics filter (61 -> 67
   with it; the shared walks stay at 57 or under) */
TEST(retarget_planted_feet_hold_to_the_lift_off_h1) { feet_hold_to_lift_off("h1", 70); }

/* H1's legs cannot set their foot's roll (no ankle roll): the hips roll
   the sole, and while the feet step's correction ramped in after a
   touch-down the foot's flat-foot point moved under the planted foot: lfd's
   procedural walk (6 s at 120 Hz, the whole default pipeline, 30 fps)
   slid 1.29 cm on H1.  Such a leg's correction now ramps in over the end
   of the swing, before the touch-down: 0.51 cm, under lfd's 1 cm.  No
   planted foot is lifted doing it, and the swinging feet still clear the
   floor. */
TEST(retarget_h1_landing_correction_comes_before_the_touch_down)
{
    lfd_robot *r = load("h1");
    if (!r)
        return;
    lfd_human h;
    lfd_err err = {0};
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 6, .fps = 120};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    lfd_retarget_opts o;
    lfd_retarget_opts_init(&o);
    o.progress = 0;
    o.fps = 30;
    lfd_motion m;
    lfd_retarget_report rep;
    if (lfd_retarget_human(r, &h, &o, &m, &rep, &err) == LFD_OK) {
        fprintf(stderr, "procedural walk on h1, defaults at 30 fps: slide %.4f m over %d phases, planted feet "
                        "up to %.4f m, %d of %d swings under 1 cm\n",
                rep.foot_slide_max_m, rep.contact_phases, rep.pin_lift_max_m, rep.swings_low, rep.swings);
        CHECK(rep.contact_phases >= 8);
        CHECK(rep.foot_slide_max_m <= LFD_RETARGET_WARN_SLIDE_M);
        CHECK(rep.pin_lift_max_m <= LFD_RETARGET_PIN_LIFT_CAP_M);
        CHECK(rep.swings > 0 && rep.swings_low == 0);
        lfd_motion_free(&m);
    } else {
        CHECK_OK(-1, &err);
    }
    lfd_human_free(&h);
    lfd_robot_free(&r);
}

/* The swing clearance (--swing-clearance-m, docs/retarget.md part 14).
   lfd's procedural walk onto G1 at 30 fps, the feet and swing steps alone
   (no dynamics filter): without the step, the whole-clip smoothing, which
   caps a swinging knee's acceleration, flattens the knee's bend and the
   swinging foot runs along the floor (its lowest sole corner under 5 mm
   while it moves faster than 1 m/s, up to 3.7 m/s); with it, that corner
   is above 1 cm while the foot moves faster than 1 m/s and above 2 cm
   faster than 2 m/s (36 mm at the swing's fastest, 8 mm as it lands at
   0.6 m/s), the planted feet slide no more than without, and the legs do
   not move while both feet are planted and still (the lift stays inside
   the swing).  The report counts the swings and those whose foot passes
   under 1 cm in the middle half of the swing: all without, none with, and
   lfd check's slide warnings name the skimming feet. */
/* per frame and foot: the lowest sole corner's height and the foot's horizontal speed */
static void feet_track(const lfd_robot *r, const lfd_motion *m, mjData *d, double *lo, double *v)
{
    double prev[2][3] = {{0}};
    for (int k = 0; k < m->nframes; k++) {
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)r->nq * sizeof(double));
        mj_kinematics(r->m, d);
        for (int s = 0; s < 2; s++) {
            const double *p = d->xpos + 3 * r->feet[s].body_id;
            lo[2 * k + s] = lfd_rt_foot_lowest(r, d, s);
            v[2 * k + s] = k ? hypot(p[0] - prev[s][0], p[1] - prev[s][1]) * m->fps : 0;
            memcpy(prev[s], p, sizeof prev[s]);
        }
    }
}

TEST(retarget_swing_clearance_lifts_the_swinging_foot)
{
    lfd_robot *r = load("g1");
    if (!r)
        return;
    lfd_motion m0, m1;
    lfd_retarget_report rep0, rep1;
    procedural_walk_30(r, 0, &m0, &rep0);
    procedural_walk_30(r, LFD_RETARGET_SWING_CLEAR_M, &m1, &rep1);
    mjData *d = mj_makeData(r->m);
    int n = m0.nframes;
    double *lo0 = malloc(8 * (size_t)n * sizeof(double));
    if (d && lo0 && m1.nframes == n) {
        double *v0 = lo0 + 2 * n, *lo1 = v0 + 2 * n, *v1 = lo1 + 2 * n;
        feet_track(r, &m0, d, lo0, v0);
        feet_track(r, &m1, d, lo1, v1);
        /* the lowest corner of a foot moving faster than 1 and than 2 m/s */
        double low0 = 1, low1[2] = {1, 1}, still = 0;
        int fast = 0;
        for (int k = 0; k < n; k++)
            for (int s = 0; s < 2; s++) {
                if (v0[2 * k + s] > 1)
                    low0 = fmin(low0, lo0[2 * k + s]);
                for (int i = 0; i < 2; i++)
                    if (v1[2 * k + s] > 1 + i)
                        low1[i] = fmin(low1[i], lo1[2 * k + s]);
                fast += v1[2 * k + s] > 1;
            }
        /* frames with both feet down and still in both motions: the legs as they were */
        for (int k = 0; k < n; k++) {
            int down = 1;
            for (int s = 0; s < 2; s++)
                down &= lo0[2 * k + s] < 0.002 && v0[2 * k + s] < 0.05 && lo1[2 * k + s] < 0.002 &&
                        v1[2 * k + s] < 0.05;
            for (int j = 0; down && j < r->njoints; j++)
                if (lfd_rt_joint_leg_side(r, j) >= 0) {
                    int a = r->joints[j].qpos_adr;
                    still = fmax(still, fabs(lfd_motion_frame(&m1, k)[a] - lfd_motion_frame(&m0, k)[a]));
                }
        }
        fprintf(stderr, "procedural walk on g1 at 30 fps, feet moving > 1 m/s (%d foot-frames): lowest "
                        "sole corner %.1f mm without the swing clearance, %.1f mm with it (%.1f mm above 2 "
                        "m/s); slide %.2f / %.2f cm; acc p99 %.0f / %.0f rad/s^2; legs in double stance "
                        "moved %.4f rad\n",
                fast, 1000 * low0, 1000 * low1[0], 1000 * low1[1], 100 * rep0.foot_slide_max_m,
                100 * rep1.foot_slide_max_m,
                rep0.acc_p99_rad_s2, rep1.acc_p99_rad_s2, still);
        /* the report's swing figures say the same */
        fprintf(stderr, "report: %d swings, %d / %d under 1 cm, lowest in mid-swing %.1f / %.1f mm\n",
                rep1.swings, rep0.swings_low, rep1.swings_low, 1000 * rep0.swing_low_min_m,
                1000 * rep1.swing_low_min_m);
        CHECK(rep0.swings >= 6 && rep1.swings == rep0.swings);
        CHECK_EQ_INT(rep0.swings_low, rep0.swings);
        CHECK_EQ_INT(rep1.swings_low, 0);
        CHECK(rep0.swing_low_min_m < 0.005 && rep1.swing_low_min_m > 0.015);
        CHECK(fast > 20);
        CHECK(low0 < 0.005);
        /* lfd check names those slides for what they are */
        lfd_err err = {0};
        lfd_check_report *cr = NULL;
        lfd_check_opts co;
        lfd_check_opts_init(&co);
        co.checks = 1u << LFD_CG_FLOOR;
        CHECK_OK(lfd_check_report_new(&cr, &err), &err);
        int skims = 0;
        if (cr && lfd_check_run(r, &m0, &co, cr, &err) == LFD_OK)
            for (int i = 0; i < cr->nfindings; i++)
                skims += cr->finding[i].kind == LFD_CK_SLIDE && strstr(cr->finding[i].msg, "skimming") != NULL;
        CHECK(skims >= 4);
        lfd_check_report_free(&cr);
        CHECK(low1[0] > 0.01);
        CHECK(low1[1] > 0.02);
        CHECK(rep1.foot_slide_max_m <= rep0.foot_slide_max_m + 0.001);
        CHECK(still < 0.01);
    }
    free(lo0);
    if (d)
        mj_deleteData(d);
    lfd_motion_free(&m0);
    lfd_motion_free(&m1);
    lfd_robot_free(&r);
}

/* `lfd retarget --swing-clearance-m`: out of 0..0.2 m a usage error (exit
   2, no file written); in range the report prints the swings and the
   provenance records the clearance. */
TEST(retarget_cli_swing_clearance)
{
    lfd_err err = {0};
    lfd_bvh b;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 3, .fps = 30};
    CHECK_OK(lfd_synth_bvh(&b, &so, NULL, &err), &err);
    static char out[65536], args[4096], in[1024], mo[1024];
    snprintf(in, sizeof in, "%s/walk.bvh", lfd_test_tmpdir());
    snprintf(mo, sizeof mo, "%s/walk.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_bvh_write(&b, in, NULL, &err), &err);
    lfd_bvh_free(&b);
    static const char *bad[] = {"-0.01", "0.5", "nan"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "retarget %s --robot g1 -o %s --swing-clearance-m %s", in, mo, bad[i]);
        CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
        CHECK_CONTAINS(out, "--swing-clearance-m takes 0 to 0.2");
        CHECK(access(mo, F_OK) != 0);
    }
    snprintf(args, sizeof args, "retarget %s --robot g1 -o %s --swing-clearance-m 0.04 --no-zmp-filter", in, mo);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "swings ");
    CHECK_CONTAINS(out, "lowest sole corner in mid-swing");
    snprintf(args, sizeof args, "motion info %s", mo);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"swing_clear_m\": 0.04");
}


/* The guard runs again on what its easing left: a neighbour's eased
   correction can put an arm into the body on a frame that was clear (G1's
   dance at 30 fps: the left hand 19.6 mm into the torso at frame 467 after
   frame 466's correction).  A standing g1 whose left arm wanders through
   random poses within its ranges, each at most 15 mm into the body (a new
   one every 4 frames, cosine-blended, 60 frames at 30 fps), 20 such
   motions: with one pass the guard left an arm in the body on 10 frames of
   7 motions (30 mm deep at worst), with up to three on 2 frames of 2
   (6.2 mm at worst), and with the last step after them
   (arms_guard_last: a frame still inside gets its own correction whole)
   on none. */
static int wandering_arm_left_in(lfd_robot *r, lfd_retargeter *rt, lfd_ik_ws *ws, uint32_t seed,
                                 int *in_before, double *worst)
{
    lfd_err err = {0};
    lfd_motion m;
    int n = 60, nj = 0, adr[8];
    const lfd_robot_joint *J[8];
    for (int j = 0; j < r->njoints && nj < 8; j++)
        if (!strncmp(r->joints[j].name, "left_shoulder", 13) || !strcmp(r->joints[j].name, "left_elbow_joint")) {
            adr[nj] = r->joints[j].qpos_adr;
            J[nj++] = &r->joints[j];
        }
    CHECK_EQ_INT(nj, 4);
    CHECK_OK(lfd_motion_alloc(&m, n, 1, r->njoints, 0, &err), &err);
    if (nj != 4 || !m.qpos)
        return -1;
    m.fps = 30;
    double key[16][4];
    for (int c = 0; c < 16; c++)
        for (int tries = 0; tries < 1000; tries++) {
            double *q = lfd_motion_frame(&m, 0);
            memcpy(q, r->qpos_default, (size_t)r->nq * sizeof(double));
            for (int i = 0; i < nj; i++) {
                seed = seed * 1664525u + 1013904223u;
                key[c][i] = J[i]->range_lo + (J[i]->range_hi - J[i]->range_lo) * ((double)seed / 4294967296.0);
                q[adr[i]] = key[c][i];
            }
            if (arms_min_clearance(rt, ws, &m, 0) > -0.015)
                break;
        }
    for (int k = 0; k < n; k++) {
        double *q = lfd_motion_frame(&m, k);
        memcpy(q, r->qpos_default, (size_t)r->nq * sizeof(double));
        int c = k / 4;
        double t = (k % 4) / 4.0, s = 0.5 * (1 - cos(M_PI * t));
        for (int i = 0; i < nj; i++)
            q[adr[i]] = (1 - s) * key[c][i] + s * key[c + 1][i];
        *in_before += arms_min_clearance(rt, ws, &m, k) < -ARMS_GUARD_TOL_M;
    }
    CHECK(lfd_rt_arms_guard(rt, &m, &err) >= 0);
    int left = 0;
    for (int k = 0; k < n; k++) {
        double c = arms_min_clearance(rt, ws, &m, k);
        *worst = fmin(*worst, c);
        left += c < -ARMS_GUARD_TOL_M;
    }
    lfd_motion_free(&m);
    return left;
}

TEST(retarget_arms_guard_leaves_no_arm_in_the_body)
{
    lfd_robot *r;
    lfd_human h;
    lfd_retargeter *rt;
    g1_stand_retargeter(&r, &h, &rt);
    lfd_err err = {0};
    lfd_ik_ws *ws = NULL;
    CHECK(rt != NULL);
    if (!rt)
        goto out;
    CHECK_OK(lfd_ik_ws_new(&ws, rt->ik_arms, &err), &err);
    int before = 0, left = 0, motions_left = 0;
    double worst = INFINITY;
    for (uint32_t seed = 11; seed <= 30 && ws; seed++) {
        int l = wandering_arm_left_in(r, rt, ws, seed, &before, &worst);
        left += l > 0 ? l : 0;
        motions_left += l != 0;
    }
    fprintf(stderr, "arms guard, 20 wandering arms: %d frames in the body before, %d after (%d motions), "
                    "clearance %.1f mm at worst\n", before, left, motions_left, 1000 * worst);
    CHECK(before >= 40);
    CHECK_EQ_INT(left, 0);
    CHECK(worst > -ARMS_GUARD_TOL_M);
out:
    lfd_ik_ws_free(&ws);
    lfd_retargeter_free(&rt);
    lfd_human_free(&h);
    lfd_robot_free(&r);
}
