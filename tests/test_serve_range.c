/*  Issue 19, item 3: prev_action and current are bounded.  Whatever finite
    value a client sends as its previous command (act's prev_action, hello's
    or reset's current), every action the server answers -- and every hold
    pose -- is inside the policy's joint range [act_lo, act_hi]; the joints
    whose starting point was moved into range are flagged (filter flag 16,
    filter.start_clamped).  The C client's own filter applies the same rule
    to the same input and so agrees with the server. */
#include <math.h>
#include <string.h>

#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

static uint8_t rbuf[1 << 16], tbuf[1 << 16];

/* sends one request; decodes the act reply's actions into got (chunk *
   act_dim); returns the reply type */
static int act_raw(th_raw *r, const lfd_buf *b, float *got, int n, lfd_rep *rep)
{
    int k = th_raw_call(r, b->data, b->len, rbuf, sizeof rbuf, 5);
    lfd_err err;
    if (k <= 0 || lfd_rep_decode(rep, rbuf, (size_t)k, &err) != LFD_OK)
        return -1;
    if (rep->type == LFD_MSG_ACT && lfd_nd_get_f32(&rep->actions, got, (size_t)n, 0, &err))
        return -1;
    return rep->type;
}

static void check_in_range(const float *a, int chunk, int na, const lfd_policy *p,
                           const char *what)
{
    for (int k = 0; k < chunk; k++)
        for (int j = 0; j < na; j++) {
            float v = a[k * na + j];
            if (!(v >= p->act_lo[j] && v <= p->act_hi[j])) {
                lfd_test_fail_at(__FILE__, __LINE__, "%s: step %d joint %d is %g, range [%g, %g]",
                                 what, k, j, v, p->act_lo[j], p->act_hi[j]);
                return;
            }
        }
}

TEST(serve_bounds_prev_action_and_current_to_the_joint_range)
{
    enum { NO = 4, NA = 3, NC = 2 };
    lfd_policy *p = th_mlp_policy("arm", NO, NA, NC, 8, 3, NULL);
    lfd_policy *ref = th_mlp_policy("arm", NO, NA, NC, 8, 3, NULL);
    /* a narrow, asymmetric range like the knee of issue 19 */
    p->act_lo[1] = ref->act_lo[1] = -0.87f;
    p->act_hi[1] = ref->act_hi[1] = 0.52f;
    lfd_server_config cfg;
    lfd_server_config_init(&cfg);
    cfg.bind = "tcp://127.0.0.1:*";
    th_server ts;
    if (th_server_start(&ts, &cfg, &p, 1, NULL)) {
        lfd_policy_free(&ref);
        return;
    }
    th_raw r;
    th_raw_open(&r, ts.endpoint, 0);
    lfd_buf b;
    lfd_err err = {0};
    lfd_rep rep;
    float got[NC * NA], obs[NO] = {0.1f, -0.2f, 0.3f, 0.0f};
    /* hello with current = range + 5 */
    float cur[NA];
    for (int j = 0; j < NA; j++)
        cur[j] = ref->act_hi[j] + 5;
    lfd_hello_req h = {.seq = 1, .policy = "arm", .obs_dim = NO, .act_dim = NA,
                       .obs_names = th_obs_names(), .act_names = th_act_names(), .current = cur};
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    CHECK_OK(lfd_proto_encode_hello_req(&b, &h, &err), &err);
    CHECK_EQ_INT(act_raw(&r, &b, got, 0, &rep), LFD_MSG_HELLO);
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, 2, 0, obs, NO, NULL, NULL, NA, NULL);
    CHECK_EQ_INT(act_raw(&r, &b, got, NC * NA, &rep), LFD_MSG_ACT);
    check_in_range(got, NC, NA, ref, "hello current = range + 5");
    CHECK_EQ_INT(rep.counts.start_clamped, NA);
    CHECK(rep.flags.data && (((const uint8_t *)rep.flags.data)[1] & LFD_FILTER_START));
    /* act with prev_action = 1e30 and -1e30 */
    const float huge[2] = {1e30f, -1e30f};
    uint64_t seq = 3;
    for (int s = 0; s < 2; s++) {
        float prev[NA] = {huge[s], huge[s], huge[s]};
        lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
        lfd_proto_encode_act_req(&b, seq++, 0, obs, NO, prev, NULL, NA, NULL);
        CHECK_EQ_INT(act_raw(&r, &b, got, NC * NA, &rep), LFD_MSG_ACT);
        CHECK_EQ_INT(rep.hold, 0);
        check_in_range(got, NC, NA, ref, "prev_action = +-1e30");
        CHECK_EQ_INT(rep.counts.start_clamped, NA);
        /* with a NaN observation the hold pose is inside the range too */
        float bad[NO] = {NAN, 0, 0, 0};
        lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
        lfd_proto_encode_act_req(&b, seq++, 0, bad, NO, prev, NULL, NA, NULL);
        CHECK_EQ_INT(act_raw(&r, &b, got, NC * NA, &rep), LFD_MSG_ACT);
        CHECK_EQ_INT(rep.hold, 1);
        check_in_range(got, NC, NA, ref, "hold after prev_action = +-1e30");
        for (int j = 0; j < NA; j++)
            CHECK_NEAR(got[j], s == 0 ? ref->act_hi[j] : ref->act_lo[j], 0);
        /* and flagged as on a filtered chunk (hold replies carried no flag
           16 and start_clamped 0: review) */
        CHECK_EQ_INT(rep.counts.start_clamped, NA);
        CHECK(rep.flags.data && (((const uint8_t *)rep.flags.data)[1] & LFD_FILTER_START));
    }
    /* reset with current = range - 5, then an act without prev_action */
    for (int j = 0; j < NA; j++)
        cur[j] = ref->act_lo[j] - 5;
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_simple_req(&b, LFD_MSG_RESET, seq++, 0, cur, NA, NULL);
    CHECK_EQ_INT(act_raw(&r, &b, got, 0, &rep), LFD_MSG_RESET);
    lfd_buf_init_fixed(&b, tbuf, sizeof tbuf);
    lfd_proto_encode_act_req(&b, seq++, 0, obs, NO, NULL, NULL, NA, NULL);
    CHECK_EQ_INT(act_raw(&r, &b, got, NC * NA, &rep), LFD_MSG_ACT);
    check_in_range(got, NC, NA, ref, "reset current = range - 5");
    th_raw_close(&r);

    /* the C client's own filter applies the same rule to the same input:
       refiltering the server's answer changes nothing */
    lfd_client_config cc;
    th_client_config(&cc, ts.endpoint, ref);
    lfd_client *c;
    CHECK_OK(lfd_client_new(&c, &cc, &err), &err);
    if (c) {
        float prev[NA] = {1e30f, 5.34f, -1e30f}, once[NC * NA];
        lfd_act_info ai;
        CHECK_OK(lfd_client_act(c, obs, prev, got, &ai, &err), &err);
        check_in_range(got, NC, NA, ref, "C client, prev_action out of range");
        CHECK_EQ_INT(ai.client_counts.clamped + ai.client_counts.vel_limited, 0);
        /* the client's refilter changed nothing: the server's answer was already
           what the client's filter makes of it */
        cc.filter = 0;
        lfd_client *raw;
        CHECK_OK(lfd_client_new(&raw, &cc, &err), &err);
        if (raw) {
            CHECK_OK(lfd_client_act(raw, obs, prev, once, NULL, &err), &err);
            CHECK(memcmp(got, once, sizeof got) == 0);
            lfd_client_free(&raw);
        }
        lfd_client_free(&c);
    }
    th_server_stop(&ts);
    lfd_policy_free(&ref);
}
