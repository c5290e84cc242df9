/*  A minimal robot controller against `lfd serve`, using only the client
    library (build/liblfdclient.a and runtime/lfd_client.h):
        cc -std=c11 -I. examples/client_minimal.c build/liblfdclient.a \
           -lzmq -lpthread -lm -o client_minimal
        ./client_minimal tcp://127.0.0.1:5555 walk 70 19
    Declares observations o0..o<N-1> and joints a0..a<M-1> (the schema of the
    test policies; a real controller lists its own: against a policy trained
    by lfd train or lfd demo, whose names are the robot's, the hello answers
    schema_mismatch).  A policy with that schema: `make bench` writes one,
    build/bench-serve-policy.lfdp ("walk", 70 observations, 19 joints), to
    serve with `build/lfd serve build/bench-serve-policy.lfdp -b
    tcp://127.0.0.1:5555`.  It asks for ten chunks for
    the observation o_i = 0.1 (i + 1), prints the first action of the last
    one, then runs the real-time mode for 200 ticks at 1 kHz and prints a
    summary.  tests/test_serve_link.c builds and runs it;
    tests/test_arm64_client.c cross-builds it for arm64 and runs it under
    qemu against an x86 `lfd serve`. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/lfd_client.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s ENDPOINT POLICY OBS_DIM ACT_DIM\n", argv[0]);
        return 2;
    }
    int no = atoi(argv[3]), na = atoi(argv[4]);
    if (no < 1 || na < 1 || no > 512 || na > 512)
        return 2;
    static char on[512][16], an[512][16];
    static const char *onp[512], *anp[512];
    for (int i = 0; i < no; i++) {
        snprintf(on[i], sizeof on[i], "o%d", i);
        onp[i] = on[i];
    }
    for (int j = 0; j < na; j++) {
        snprintf(an[j], sizeof an[j], "a%d", j);
        anp[j] = an[j];
    }
    lfd_client_config cfg;
    lfd_client_config_init(&cfg);
    cfg.endpoint = argv[1];
    cfg.policy = argv[2];
    cfg.obs_dim = no;
    cfg.obs_names = onp;
    cfg.act_dim = na;
    cfg.act_names = anp;
    cfg.timeout_s = 5;
    lfd_client *c;
    lfd_err err;
    if (lfd_client_new(&c, &cfg, &err)) {
        fprintf(stderr, "client_minimal: %s\n", err.msg);
        return 1;
    }
    const lfd_client_policy *info = lfd_client_policy_info(c);
    float *obs = calloc((size_t)no, sizeof(float));
    float *chunk = calloc((size_t)(info->chunk * na), sizeof(float));
    float *a = calloc((size_t)na, sizeof(float));
    for (int i = 0; i < no; i++)
        obs[i] = 0.1f * (float)(i + 1);
    lfd_act_info ai;
    int rc = 0;
    for (int k = 0; k < 10 && !rc; k++)
        rc = lfd_client_act(c, obs, NULL, chunk, &ai, &err);
    if (!rc) {
        printf("first action:");
        for (int j = 0; j < na && j < 8; j++)
            printf(" %.6f", chunk[j]);
        printf("\n");
    }
    if (!rc)
        rc = lfd_client_start(c, NULL, &err);
    int ok = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int t = 0; t < 200 && !rc; t++) {
        next.tv_nsec += 1000000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        double now = lfd_client_now_s();
        lfd_client_put_obs(c, obs, now);
        ok += lfd_client_get_action(c, now, a, NULL) == LFD_TICK_OK;
    }
    lfd_client_stop(c);
    if (rc)
        fprintf(stderr, "client_minimal: %s\n", err.msg);
    else
        printf("client_minimal ok: policy %s (%.12s), chunk %d, server infer %.1f us, "
               "%d of 200 ticks fresh\n",
               info->name, info->hash, info->chunk, ai.timing.infer_us, ok);
    free(obs);
    free(chunk);
    free(a);
    lfd_client_free(&c);
    return rc ? 1 : 0;
}
