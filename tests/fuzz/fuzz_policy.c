/*  Fuzz target: the .lfdp policy file reader, as is and re-sealed with a
    correct checksum so the parsing behind the checksum is exercised.  A
    policy that loads must validate, run one step on a zero observation and
    re-encode. */
#include <stdlib.h>
#include <string.h>

#include "core/lfd_sha256.h"
#include "policies/lfd_policy.h"
#include "tests/fuzz/lfd_fuzz.h"

static void try_one(const uint8_t *d, size_t n)
{
    lfd_policy *p;
    lfd_err err;
    if (lfd_policy_decode(&p, d, n, "fuzz", &err) != LFD_OK)
        return;
    lfd_policy_ws *ws;
    lfd_buf out;
    if (lfd_policy_ws_new(&ws, p, &err) == LFD_OK) {
        float *obs = calloc((size_t)p->obs_dim, sizeof(float));
        float *chunk = calloc((size_t)p->chunk * (size_t)p->act_dim, sizeof(float));
        if (obs && chunk)
            lfd_policy_step(p, ws, obs, chunk, &err);
        free(obs);
        free(chunk);
        lfd_policy_ws_free(&ws);
    }
    if (lfd_policy_encode(p, &out, &err) != LFD_OK)
        abort(); /* a loaded policy must re-encode */
    lfd_buf_free(&out);
    lfd_policy_free(&p);
}

LFD_FUZZ(policy)
{
    try_one(data, size);
    if (size > (1u << 20))
        return 0;
    uint8_t *buf = malloc(size + 41);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    static const uint8_t head[9] = {0xa6, 's', 'h', 'a', '2', '5', '6', 0xc4, 0x20};
    memcpy(buf + size, head, 9);
    lfd_sha256_buf(buf, size, buf + size + 9);
    try_one(buf, size + 41);
    free(buf);
    return 0;
}
