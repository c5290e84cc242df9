/*  Fuzz smoke tests: every fuzz target (tests/fuzz/fuzz_*.c) registered
    through LFD_FUZZ gets a test fuzz_smoke_<name> that replays its seed corpus
    (tests/fuzz/corpus/<name>/) and LFD_FUZZ_ITERS (default 20000)
    deterministic mutations of it: bit flips, interesting bytes, truncation,
    duplication, insertion, deletion and splicing.  The real coverage-guided
    runs are `make fuzz` (libFuzzer); this keeps every parser under hostile
    input in every `make test` and `make asan`. */
#include <dirent.h>
#include <stdlib.h>

#include "core/lfd_io.h"
#include "tests/fuzz/lfd_fuzz.h"
#include "tests/lfd_test.h"

#define MAX_TARGETS 64
#define MAX_SEEDS 64
#define SMOKE_MAX_INPUT (256u << 10)

static struct {
    char name[64];
    lfd_fuzz_fn fn;
} g_targets[MAX_TARGETS];
static int g_ntargets;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct {
    uint8_t *data;
    size_t len;
} seed;

static int load_seeds(const char *name, seed *s, int max)
{
    char dir[512];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        lfd_err err;
        if (lfd_file_read(path, SMOKE_MAX_INPUT, &s[n].data, &s[n].len, &err) == LFD_OK)
            n++;
    }
    closedir(d);
    return n;
}

static size_t mutate(uint8_t *buf, size_t len, const seed *seeds, int nseeds)
{
    static const uint8_t interesting[] = {0x00, 0xff, 0x7f, 0x80, 0xc0, 0xc1, 0xdc, 0xdd,
                                          0xde, 0xdf, 0xdb, 0xc6, '-', '.', 'e', ',', '\n',
                                          '\r', '"', '\\', '{', '[', '9'};
    int ops = 1 + (int)(rnd() % 4);
    for (int k = 0; k < ops; k++) {
        size_t pos = len ? rnd() % len : 0;
        switch (rnd() % 7) {
        case 0: /* flip a bit */
            if (len)
                buf[pos] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1: /* interesting byte */
            if (len)
                buf[pos] = interesting[rnd() % sizeof interesting];
            break;
        case 2: /* truncate */
            len = pos;
            break;
        case 3: { /* duplicate a chunk */
            size_t n = len ? 1 + rnd() % (len - pos < 64 ? len - pos : 64) : 0;
            if (len + n <= SMOKE_MAX_INPUT && n) {
                memmove(buf + pos + n, buf + pos, len - pos);
                len += n;
            }
            break;
        }
        case 4: { /* insert random bytes */
            size_t n = 1 + rnd() % 8;
            if (len + n <= SMOKE_MAX_INPUT) {
                memmove(buf + pos + n, buf + pos, len - pos);
                for (size_t i = 0; i < n; i++)
                    buf[pos + i] = (uint8_t)rnd();
                len += n;
            }
            break;
        }
        case 5: { /* delete a chunk */
            size_t n = len - pos ? 1 + rnd() % (len - pos) : 0;
            memmove(buf + pos, buf + pos + n, len - pos - n);
            len -= n;
            break;
        }
        case 6: { /* splice the tail of another seed */
            const seed *o = &seeds[rnd() % (uint64_t)nseeds];
            if (o->len) {
                size_t from = rnd() % o->len, n = o->len - from;
                if (pos + n > SMOKE_MAX_INPUT)
                    n = SMOKE_MAX_INPUT - pos;
                memcpy(buf + pos, o->data + from, n);
                len = pos + n;
            }
            break;
        }
        }
    }
    return len;
}

static void smoke(const char *name, lfd_fuzz_fn fn)
{
    seed seeds[MAX_SEEDS];
    int nseeds = load_seeds(name, seeds, MAX_SEEDS);
    if (nseeds == 0)
        lfd_test_fail_at(__FILE__, __LINE__, "no seed corpus in tests/fuzz/corpus/%s", name);
    int iters = getenv("LFD_FUZZ_ITERS") ? atoi(getenv("LFD_FUZZ_ITERS")) : 20000;
    uint8_t *buf = malloc(SMOKE_MAX_INPUT);
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < nseeds; i++)
        fn(seeds[i].data, seeds[i].len);
    fn((const uint8_t *)"", 0);
    for (int it = 0; it < iters && nseeds; it++) {
        const seed *s = &seeds[it % nseeds];
        memcpy(buf, s->data, s->len);
        size_t len = mutate(buf, s->len, seeds, nseeds);
        fn(buf, len);
    }
    free(buf);
    for (int i = 0; i < nseeds; i++)
        free(seeds[i].data);
}

/* one test per target, registered when the target registers */
#define THUNKS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19)
#define THUNK(i) static void thunk_##i(void) { smoke(g_targets[i].name, g_targets[i].fn); }
THUNKS(THUNK)
#define THUNK_REF(i) thunk_##i,
static lfd_test_fn g_thunks[] = {THUNKS(THUNK_REF)};

void lfd_fuzz_register(const char *name, lfd_fuzz_fn fn)
{
    int i = g_ntargets;
    if (i >= (int)(sizeof g_thunks / sizeof g_thunks[0]))
        return;
    snprintf(g_targets[i].name, sizeof g_targets[i].name, "%s", name);
    g_targets[i].fn = fn;
    g_ntargets++;
    static char names[MAX_TARGETS][80];
    snprintf(names[i], sizeof names[i], "fuzz_smoke_%s", name);
    lfd_test_register(names[i], g_thunks[i], __FILE__);
}
