/*  Fuzz target: protocol messages (runtime/lfd_proto).  Every input is
    decoded as a request (what the server does with bytes from the network)
    and as a reply (what a client does with bytes from a server); whatever
    decodes is then used the way the server and client use it: name lists
    walked and compared, arrays copied out, a previous command made the
    safety filter's starting point (the actions must stay in range), and
    requests re-encoded and decoded again to the same fields.  Run with the
    dictionary tests/fuzz/proto.dict (tests/fuzz/run.sh passes it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lfd_proto.h"
#include "tests/fuzz/lfd_fuzz.h"

static void use_names(const lfd_names *l)
{
    static const char table[4][LFD_PROTO_NAME_MAX] = {"a0", "a1", "a2", "a3"};
    char why[256];
    for (uint32_t i = 0; l->present && i < l->n && i < 8; i++) {
        const uint8_t *s;
        uint32_t n;
        if (lfd_names_get(l, i, &s, &n) != LFD_OK)
            abort(); /* validated lists must be walkable */
    }
    if (l->present)
        lfd_names_match(l, "names", table[0], LFD_PROTO_NAME_MAX, 4, why, sizeof why);
}

/* The server's use of a previous command (act's prev_action, hello's or
   reset's current): read as it reads it (finite only), made the safety
   filter's starting point for a joint range like a knee's; whatever it
   holds, the filtered actions and the hold pose stay inside the range
   (issue 19). */
static void use_prev(const lfd_ndview *v, const lfd_ndview *vel)
{
    enum { N = 8 };
    static const float lo[N] = {-0.87f, -2, -1, -3, 0, -0.1f, -1e-3f, -5};
    static const float hi[N] = {0.52f, 2, 1, 3, 1, 0.1f, 1e-3f, 5};
    static const float vm[N] = {8, 8, 1, 20, 4, 0.5f, 1, 30};
    static const float am[N] = {0, 50, 0, 100, 10, 0, 5, 0};
    static float st_mem[2 * N];
    lfd_filter_limits lim = {N, lo, hi, vm, am};
    lfd_filter_state st = {N, N, 0, 0, st_mem, st_mem + N};
    float prev[N], pv[N], a[N] = {0, 0.3f, -5, 9, 0.5f, 0, 0, 1};
    if (lfd_proto_get_vec(v, prev, N, 1, "prev", NULL) != LFD_OK)
        return;
    int has_vel = vel && lfd_proto_get_vec(vel, pv, N, 1, "vel", NULL) == LFD_OK;
    lfd_filter_state_reset(&st, N, prev, has_vel ? pv : NULL);
    float hold[N];
    lfd_filter_hold_pose(&lim, &st, NULL, hold);
    for (int k = 0; k < 3; k++) {
        if (k == 1)
            a[2] = NAN;
        lfd_filter_step(&lim, &st, a, 0.02, NULL, NULL, NULL);
        for (int i = 0; i < N; i++)
            if (!(a[i] >= lo[i] && a[i] <= hi[i]) || !(hold[i] >= lo[i] && hold[i] <= hi[i]))
                abort();
    }
}

static void use_vec(const lfd_ndview *v)
{
    static float buf[LFD_PROTO_MAX_DIM * 4];
    if (v->count <= sizeof buf / sizeof buf[0] && (v->ndim == 1 || v->ndim == 2))
        lfd_proto_get_vec(v, buf, (int)v->count, 1, "v", NULL);
    lfd_proto_get_vec(v, buf, 3, 0, "v", NULL);
}

LFD_FUZZ(proto)
{
    lfd_req rq;
    lfd_proto_error pe;
    lfd_err err;
    if (lfd_req_decode(&rq, data, size, &pe, &err) == LFD_OK) {
        if (pe != LFD_PE_NONE)
            abort();
        use_names(&rq.obs_names);
        use_names(&rq.act_names);
        use_names(&rq.obs_units);
        use_names(&rq.act_units);
        if (rq.has_obs)
            use_vec(&rq.obs);
        if (rq.has_prev_action) {
            use_vec(&rq.prev_action);
            use_prev(&rq.prev_action, rq.has_prev_velocity ? &rq.prev_velocity : NULL);
        }
        if (rq.has_current) {
            use_vec(&rq.current);
            use_prev(&rq.current, NULL);
        }
        /* an act re-encodes to the same observation */
        static float obs[LFD_PROTO_MAX_DIM];
        static uint8_t mem[1 << 16];
        if (rq.type == LFD_MSG_ACT && rq.obs.count <= LFD_PROTO_MAX_DIM && rq.obs.ndim == 1 &&
            lfd_proto_get_vec(&rq.obs, obs, (int)rq.obs.count, 0, "obs", NULL) == LFD_OK) {
            lfd_buf b;
            lfd_req back;
            lfd_buf_init_fixed(&b, mem, sizeof mem);
            if (lfd_proto_encode_act_req(&b, rq.seq, rq.t_s, obs, (int)rq.obs.count, NULL, NULL,
                                         0, NULL) == LFD_OK) {
                if (lfd_req_decode(&back, b.data, b.len, &pe, &err) != LFD_OK ||
                    back.seq != rq.seq || back.obs.count != rq.obs.count)
                    abort();
            }
        }
    } else if (pe == LFD_PE_NONE || pe >= LFD_PE_COUNT) {
        abort(); /* a refused request always carries its error code */
    }
    lfd_rep rep;
    if (lfd_rep_decode(&rep, data, size, &err) == LFD_OK) {
        use_names(&rep.obs_names);
        use_names(&rep.act_names);
        use_names(&rep.policies);
        if (rep.type == LFD_MSG_ACT) {
            static float acts[LFD_PROTO_MAX_DIM * 256];
            if (rep.actions.count <= sizeof acts / sizeof acts[0])
                lfd_nd_get_f32(&rep.actions, acts, (size_t)rep.actions.count, 0, NULL);
        }
        if (rep.has_limits) {
            use_vec(&rep.act_lo);
            use_vec(&rep.default_action);
        }
    }
    return 0;
}
