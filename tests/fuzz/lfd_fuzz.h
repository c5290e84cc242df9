/*  lfd_fuzz: one source per fuzz target, two ways to run it.

    A target is written once with LFD_FUZZ(name) { ... } taking (data, size)
    and must never crash, hang, leak or read out of bounds whatever the bytes.
    - `make fuzz` compiles each tests/fuzz/fuzz_<name>.c with clang's
      libFuzzer (-DLFD_LIBFUZZER) under ASan + UBSan and runs it for
      FUZZ_SECONDS, seeded from tests/fuzz/corpus/<name>/.
    - The unit-test binary compiles the same targets without libFuzzer; the
      test fuzz_smoke_<name> (tests/test_fuzz_smoke.c) replays the seed corpus
      and a few thousand deterministic mutations of it, so every `make test`
      and `make asan` exercises every parser on hostile input.
*/
#ifndef LFD_FUZZ_H
#define LFD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

typedef int (*lfd_fuzz_fn)(const uint8_t *data, size_t size);

/* For readers that take a path: writes the bytes to this process's own file
   (in /dev/shm when there) named lfd-fuzz-<pid><ext>; returns its path, or
   NULL when it cannot be written.  The caller unlinks it. */
static inline const char *lfd_fuzz_file(const uint8_t *data, size_t size, const char *ext)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/lfd-fuzz-%d%s",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid(), ext);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return NULL;
    fwrite(data, 1, size, fp);
    fclose(fp);
    return path;
}

#ifdef LFD_LIBFUZZER
#define LFD_FUZZ(name)                                                              \
    static int lfd_fuzz_##name(const uint8_t *data, size_t size);                   \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                   \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                    \
    {                                                                               \
        lfd_fuzz_##name(data, size);                                                \
        return 0;                                                                   \
    }                                                                               \
    static int lfd_fuzz_##name(const uint8_t *data, size_t size)
#else
void lfd_fuzz_register(const char *name, lfd_fuzz_fn fn);
#define LFD_FUZZ(name)                                                              \
    static int lfd_fuzz_##name(const uint8_t *data, size_t size);                   \
    __attribute__((constructor)) static void lfd_fuzz_reg_##name(void)              \
    {                                                                               \
        lfd_fuzz_register(#name, lfd_fuzz_##name);                                  \
    }                                                                               \
    static int lfd_fuzz_##name(const uint8_t *data, size_t size)
#endif

#endif
