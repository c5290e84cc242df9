/*  Tests for the msgpack cursor, the ndarray codec, the JSON writer/parser and
    provenance maps (core/lfd_mp, lfd_ndarray, lfd_json, lfd_prov). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_json.h"
#include "core/lfd_mp.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_prov.h"
#include "core/lfd_util.h"
#include "tests/lfd_test.h"

TEST(mp_scalars_all_widths)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 1 << 20);
    lfd_packer_init(&pk, &b);
    int64_t ints[] = {0, 5, 127, 128, 255, 256, 65535, 65536, 4294967296LL, -1, -32, -33,
                      -128, -129, -32768, -32769, -2147483648LL, -2147483649LL, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        msgpack_pack_int64(&pk, ints[i]);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_double(&pk, -2.25);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    char big[70000];
    memset(big, 'x', sizeof big);
    lfd_mp_pack_strn(&pk, big, 31);
    lfd_mp_pack_strn(&pk, big, 200);
    lfd_mp_pack_strn(&pk, big, 70000);
    msgpack_pack_bin(&pk, 3);
    msgpack_pack_bin_body(&pk, "abc", 3);
    CHECK(lfd_buf_ok(&b));

    lfd_mpr r;
    lfd_err err = {0};
    lfd_mpr_init(&r, b.data, b.len);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int64_t v;
        CHECK_OK(lfd_mpr_int(&r, INT64_MIN, INT64_MAX, &v, &err), &err);
        CHECK(v == ints[i]);
    }
    lfd_mp_item it;
    CHECK_OK(lfd_mpr_next(&r, &it, &err), &err);
    CHECK(it.type == LFD_MP_UINT && it.u == UINT64_MAX);
    double d;
    CHECK_OK(lfd_mpr_f64(&r, &d, &err), &err);
    CHECK_NEAR(d, 1.5, 0);
    CHECK_OK(lfd_mpr_f64(&r, &d, &err), &err);
    CHECK_NEAR(d, -2.25, 0);
    CHECK_OK(lfd_mpr_next(&r, &it, &err), &err);
    CHECK(it.type == LFD_MP_NIL);
    int bv;
    CHECK_OK(lfd_mpr_bool(&r, &bv, &err), &err);
    CHECK(bv == 1);
    size_t lens[] = {31, 200, 70000};
    for (int i = 0; i < 3; i++) {
        const uint8_t *p;
        uint32_t n;
        CHECK_OK(lfd_mpr_bytes(&r, &p, &n, &err), &err);
        CHECK_EQ_INT(n, lens[i]);
    }
    char s[8];
    CHECK_OK(lfd_mpr_cstr(&r, s, sizeof s, &err), &err);
    CHECK_STR(s, "abc");
    CHECK_EQ_INT(lfd_mpr_left(&r), 0);
    /* reading past the end is an error, not a crash */
    CHECK(lfd_mpr_next(&r, &it, &err) == LFD_EPARSE);
    lfd_buf_free(&b);
}

TEST(mp_rejects_lies_and_depth)
{
    lfd_err err = {0};
    lfd_mpr r;
    /* array32 claiming 4 billion elements with 2 bytes of data */
    uint8_t lie[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
    lfd_mpr_init(&r, lie, sizeof lie);
    uint32_t n;
    CHECK(lfd_mpr_array(&r, &n, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "only 2 bytes left");
    /* str32 longer than the buffer */
    uint8_t s32[] = {0xdb, 0x00, 0x10, 0x00, 0x00, 'a'};
    lfd_mpr_init(&r, s32, sizeof s32);
    CHECK(lfd_mpr_skip(&r, &err) == LFD_EPARSE);
    /* 40 nested arrays exceed the skip depth cap */
    uint8_t deep[41];
    memset(deep, 0x91, 40);
    deep[40] = 0x00;
    lfd_mpr_init(&r, deep, sizeof deep);
    CHECK(lfd_mpr_skip(&r, &err) == LFD_ELIMIT);
    /* never-used type byte */
    uint8_t c1[] = {0xc1};
    lfd_mpr_init(&r, c1, 1);
    CHECK(lfd_mpr_skip(&r, &err) == LFD_EPARSE);
    /* a fixed buffer refuses to grow */
    uint8_t mem[8];
    lfd_buf fb;
    lfd_buf_init_fixed(&fb, mem, sizeof mem);
    CHECK(lfd_buf_append(&fb, "12345678", 8) == 0);
    CHECK(lfd_buf_append(&fb, "9", 1) == -1);
    CHECK(!lfd_buf_ok(&fb));
}

static void round_trip(lfd_dtype dt, const void *data, int ndim, const uint64_t *shape)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 1 << 24);
    lfd_packer_init(&pk, &b);
    lfd_nd_pack(&pk, dt, ndim, shape, data);
    lfd_mpr r;
    lfd_err err = {0};
    lfd_mpr_init(&r, b.data, b.len);
    lfd_ndview v;
    CHECK_OK(lfd_nd_read(&r, &lfd_nd_caps_file, &v, &err), &err);
    CHECK(v.dtype == dt);
    CHECK_EQ_INT(v.ndim, ndim);
    for (int d = 0; d < ndim; d++)
        CHECK_EQ_INT(v.shape[d], shape[d]);
    CHECK(memcmp(v.data, data, v.nbytes) == 0);
    CHECK_EQ_INT(lfd_mpr_left(&r), 0);
    lfd_buf_free(&b);
}

/* lfd_mpr_next's inline forms and lfd_mpr_next_any agree on every first
   byte, at every length cut, on the same item, position and status. */
TEST(mp_inline_reader_agrees_with_the_full_one)
{
    uint8_t buf[64];
    uint64_t s = 12345;
    int compared = 0, inline_ok = 0;
    for (int c = 0; c < 256; c++)
        for (int rep = 0; rep < 6; rep++) {
            buf[0] = (uint8_t)c;
            for (size_t i = 1; i < sizeof buf; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                buf[i] = (uint8_t)(s >> 56);
            }
            /* small lengths and counts, so that both ends of each check come up */
            if (rep & 1)
                buf[1] = (uint8_t)(rep * 3);
            for (size_t len = 0; len <= 40; len++) {
                lfd_mpr a, b;
                lfd_mpr_init(&a, buf, len);
                lfd_mpr_init(&b, buf, len);
                lfd_mp_item ia, ib;
                memset(&ia, 0x55, sizeof ia);
                memset(&ib, 0x55, sizeof ib);
                lfd_err ea = {0}, eb = {0};
                int ra = lfd_mpr_next(&a, &ia, &ea), rb = lfd_mpr_next_any(&b, &ib, &eb);
                CHECK_EQ_INT(ra, rb);
                CHECK(a.p == b.p);
                if (ra == LFD_OK) {
                    CHECK_EQ_INT(ia.type, ib.type);
                    CHECK_EQ_INT(ia.b, ib.b);
                    CHECK(ia.i == ib.i && ia.u == ib.u && ia.len == ib.len && ia.n == ib.n);
                    CHECK(memcmp(&ia.f, &ib.f, sizeof ia.f) == 0);
                    CHECK(ia.ptr == ib.ptr);
                    CHECK_EQ_INT(ia.ext_type, ib.ext_type);
                    inline_ok++;
                } else {
                    CHECK_STR(ea.msg, eb.msg);
                }
                compared++;
            }
        }
    CHECK_EQ_INT(compared, 256 * 6 * 41);
    CHECK(inline_ok > 1000);
}

/* lfd_mpw_* write the same bytes as msgpack-c's packer at every size
   boundary of every form, and lfd_nd_write the same as lfd_nd_pack. */
TEST(mp_direct_writer_matches_msgpack_c)
{
    static uint8_t ma[1 << 20], mb[1 << 20];
    static char text[70000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    lfd_buf a, b;
    lfd_buf_init_fixed(&a, ma, sizeof ma);
    lfd_buf_init_fixed(&b, mb, sizeof mb);
    msgpack_packer pk;
    lfd_packer_init(&pk, &b);
    const uint64_t us[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295ull,
                           4294967296ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        lfd_mpw_u64(&a, us[i]);
        msgpack_pack_uint64(&pk, us[i]);
        lfd_mpw_u64(&a, (uint32_t)us[i]);
        msgpack_pack_uint32(&pk, (uint32_t)us[i]);
    }
    const int64_t is[] = {0, 5, 127, 128, -1, -32, -33, -128, -129, -32768, -32769,
                          INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN, INT64_MAX, 70000};
    for (size_t i = 0; i < sizeof is / sizeof is[0]; i++) {
        lfd_mpw_i64(&a, is[i]);
        msgpack_pack_int64(&pk, is[i]);
        if (is[i] >= INT32_MIN && is[i] <= INT32_MAX) {
            lfd_mpw_i64(&a, is[i]);
            msgpack_pack_int(&pk, (int)is[i]);
        }
    }
    const double ds[] = {0.0, -0.0, 1.5, -3e300, 1e-310, INFINITY, NAN};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        lfd_mpw_f64(&a, ds[i]);
        msgpack_pack_double(&pk, ds[i]);
    }
    lfd_mpw_bool(&a, 1);
    msgpack_pack_true(&pk);
    lfd_mpw_bool(&a, 0);
    msgpack_pack_false(&pk);
    const size_t ns[] = {0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536, 69999};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        lfd_mpw_map(&a, (uint32_t)ns[i]);
        msgpack_pack_map(&pk, ns[i]);
        lfd_mpw_array(&a, (uint32_t)ns[i]);
        msgpack_pack_array(&pk, ns[i]);
        lfd_mpw_str(&a, text, ns[i]);
        lfd_mp_pack_strn(&pk, text, ns[i]);
        lfd_mpw_bin(&a, text, ns[i]);
        msgpack_pack_bin(&pk, ns[i]);
        msgpack_pack_bin_body(&pk, text, ns[i]);
    }
    float v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (float)i * 0.25f;
    uint64_t shape[2] = {3, 4};
    lfd_nd_write(&a, LFD_DT_F32, 2, shape, v);
    lfd_nd_pack(&pk, LFD_DT_F32, 2, shape, v);
    lfd_nd_write(&a, LFD_DT_U8, 1, shape + 1, text);
    lfd_nd_pack(&pk, LFD_DT_U8, 1, shape + 1, text);
    CHECK(lfd_buf_ok(&a) && lfd_buf_ok(&b));
    CHECK(a.len > 200000);
    CHECK_EQ_INT((long long)a.len, (long long)b.len);
    CHECK(memcmp(a.data, b.data, a.len) == 0);
    /* a write past a fixed buffer fails it, as the packer's does */
    uint8_t small[8];
    lfd_buf c;
    lfd_buf_init_fixed(&c, small, sizeof small);
    lfd_mpw_str(&c, text, 7);
    CHECK(lfd_buf_ok(&c));
    lfd_mpw_f64(&c, 1.0);
    CHECK(!lfd_buf_ok(&c));
    CHECK_EQ_INT((long long)c.len, 8);
}

TEST(ndarray_round_trips_every_dtype)
{
    uint64_t shape[3] = {2, 3, 4};
    float f4[24];
    double f8[24];
    int32_t i4[24];
    int64_t i8[24];
    uint8_t u1[24];
    for (int i = 0; i < 24; i++) {
        f4[i] = (float)i * 0.25f - 3;
        f8[i] = i * 1e-7 - 1e300 * (i == 5);
        i4[i] = i * 100000 - 7;
        i8[i] = (int64_t)i << 40;
        u1[i] = (uint8_t)(i * 11);
    }
    round_trip(LFD_DT_F32, f4, 3, shape);
    round_trip(LFD_DT_F64, f8, 3, shape);
    round_trip(LFD_DT_I32, i4, 3, shape);
    round_trip(LFD_DT_I64, i8, 3, shape);
    round_trip(LFD_DT_U8, u1, 3, shape);
    uint64_t empty[2] = {0, 5};
    round_trip(LFD_DT_F32, f4, 2, empty);
    round_trip(LFD_DT_F64, f8, 0, shape); /* a scalar: rank 0, one element */
}

/* hand-packed ndarray with str keys in another order, big-endian data */
TEST(ndarray_accepts_str_keys_and_big_endian)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 1 << 16);
    lfd_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 5);
    lfd_mp_pack_cstr(&pk, "shape");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 2);
    lfd_mp_pack_cstr(&pk, "dtype");
    lfd_mp_pack_cstr(&pk, ">f4");
    lfd_mp_pack_cstr(&pk, "extra");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_nil(&pk);
    msgpack_pack_nil(&pk);
    lfd_mp_pack_cstr(&pk, "data");
    uint8_t be[8] = {0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0}; /* 1.5, -2.5 */
    msgpack_pack_bin(&pk, 8);
    msgpack_pack_bin_body(&pk, be, 8);
    lfd_mp_pack_cstr(&pk, "__ndarray__");
    msgpack_pack_true(&pk);
    lfd_mpr r;
    lfd_err err = {0};
    lfd_mpr_init(&r, b.data, b.len);
    lfd_ndview v;
    CHECK_OK(lfd_nd_read(&r, &lfd_nd_caps_file, &v, &err), &err);
    double out[2];
    CHECK_OK(lfd_nd_get_f64(&v, out, 2, 1, &err), &err);
    CHECK_NEAR(out[0], 1.5, 0);
    CHECK_NEAR(out[1], -2.5, 0);
    float of[2];
    CHECK_OK(lfd_nd_get_f32(&v, of, 2, 1, &err), &err);
    CHECK_NEAR(of[1], -2.5, 0);
    int64_t want[1] = {3};
    CHECK(lfd_nd_expect(&v, 1, want, "obs", &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "obs: shape (2), expected (3)");
    lfd_buf_free(&b);
}

static int read_bad(const char *dtype, const uint64_t *shape, int ndim, size_t nbytes,
                    const lfd_nd_caps *caps, lfd_err *err)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 1 << 20);
    lfd_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 4);
    lfd_mp_pack_cstr(&pk, "__ndarray__");
    msgpack_pack_true(&pk);
    lfd_mp_pack_cstr(&pk, "dtype");
    lfd_mp_pack_cstr(&pk, dtype);
    lfd_mp_pack_cstr(&pk, "shape");
    msgpack_pack_array(&pk, (size_t)ndim);
    for (int d = 0; d < ndim; d++)
        msgpack_pack_uint64(&pk, shape[d]);
    lfd_mp_pack_cstr(&pk, "data");
    static uint8_t zeros[4096];
    msgpack_pack_bin(&pk, nbytes);
    msgpack_pack_bin_body(&pk, zeros, nbytes);
    lfd_mpr r;
    lfd_mpr_init(&r, b.data, b.len);
    lfd_ndview v;
    int rc = lfd_nd_read(&r, caps, &v, err);
    lfd_buf_free(&b);
    return rc;
}

TEST(ndarray_rejects_bad_arrays)
{
    lfd_err err = {0};
    uint64_t s2[2] = {2, 3};
    CHECK(read_bad("<f4", s2, 2, 24, &lfd_nd_caps_file, &err) == LFD_OK);
    CHECK(read_bad("<c8", s2, 2, 48, &lfd_nd_caps_file, &err) == LFD_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "dtype");
    CHECK(read_bad("<f4", s2, 2, 20, &lfd_nd_caps_file, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "need 24");
    /* overflowing shape product is caught before anything else */
    uint64_t huge[3] = {1ull << 40, 1ull << 40, 1ull << 40};
    CHECK(read_bad("<f8", huge, 3, 8, &lfd_nd_caps_file, &err) == LFD_ELIMIT);
    uint64_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(read_bad("<f8", s9, 9, 8, &lfd_nd_caps_file, &err) == LFD_ELIMIT);
    lfd_nd_caps tight = {2, 4, 64};
    CHECK(read_bad("<f4", s2, 2, 24, &tight, &err) == LFD_ELIMIT);
    /* NaN rejected on request */
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, 1 << 10);
    lfd_packer_init(&pk, &b);
    float nanv[2] = {1, NAN};
    uint64_t s1[1] = {2};
    lfd_nd_pack(&pk, LFD_DT_F32, 1, s1, nanv);
    lfd_mpr r;
    lfd_mpr_init(&r, b.data, b.len);
    lfd_ndview v;
    CHECK_OK(lfd_nd_read(&r, &lfd_nd_caps_file, &v, &err), &err);
    float out[2];
    CHECK(lfd_nd_get_f32(&v, out, 2, 1, &err) == LFD_ENUMERIC);
    lfd_buf_free(&b);
    /* every truncation of a valid array is an error, never a crash */
    lfd_buf_init(&b, 1 << 10);
    lfd_packer_init(&pk, &b);
    lfd_nd_pack(&pk, LFD_DT_F32, 1, s1, out);
    for (size_t cut = 0; cut < b.len; cut++) {
        lfd_mpr_init(&r, b.data, cut);
        CHECK(lfd_nd_read(&r, &lfd_nd_caps_file, &v, &err) != LFD_OK);
    }
    lfd_buf_free(&b);
}

/* What openpi's msgpack_numpy (bin keys, numpy dtype.str) writes, produced by
   the real numpy + msgpack Python packages when they are installed. */
TEST(ndarray_reads_python_msgpack_numpy)
{
    const char *dir = lfd_test_tmpdir();
    char cmd[1024], path[512];
    snprintf(path, sizeof path, "%s/np.msgpack", dir);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import msgpack, numpy as np\n"
             "a = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5\n"
             "d = {b'__ndarray__': True, b'data': a.tobytes(), b'dtype': a.dtype.str, "
             "b'shape': a.shape}\n"
             "open('%s', 'wb').write(msgpack.packb(d, use_bin_type=True))\" 2>/dev/null",
             path);
    if (system(cmd) != 0)
        SKIP("/usr/bin/python3 with numpy and msgpack not available (make deps installs them)");
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    lfd_mpr r;
    lfd_err err = {0};
    lfd_mpr_init(&r, buf, n);
    lfd_ndview v;
    CHECK_OK(lfd_nd_read(&r, &lfd_nd_caps_file, &v, &err), &err);
    double out[6];
    CHECK_OK(lfd_nd_get_f64(&v, out, 6, 1, &err), &err);
    CHECK_EQ_INT(v.shape[0], 2);
    CHECK_EQ_INT(v.shape[1], 3);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(out[i], 0.5 * i, 0);
}

TEST(json_parse_and_errors)
{
    const char *text = "{\n  \"name\": \"h1\\u00e9\\ud83d\\ude00\",\n  \"n\": -1.5e2,\n"
                       "  \"list\": [1, 2, {\"x\": null}, true, false],\n  \"empty\": {}\n}";
    lfd_json_doc *doc;
    lfd_err err = {0};
    CHECK_OK(lfd_json_parse(text, strlen(text), "t.json", &doc, &err), &err);
    const lfd_json *root = lfd_json_root(doc);
    CHECK_STR(lfd_json_get(root, "name")->str, "h1\xc3\xa9\xf0\x9f\x98\x80");
    CHECK_NEAR(lfd_json_get(root, "n")->num, -150, 0);
    const lfd_json *list = lfd_json_get(root, "list");
    CHECK_EQ_INT(list->count, 5);
    CHECK(lfd_json_at(list, 2)->type == LFD_JSON_OBJ);
    CHECK(lfd_json_get(lfd_json_at(list, 2), "x")->type == LFD_JSON_NULL);
    CHECK(lfd_json_at(list, 3)->b == 1);
    CHECK_EQ_INT(lfd_json_get(root, "list")->line, 4);
    lfd_json_free(&doc);
    CHECK(doc == NULL);

    const char *bad[] = {"{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "\"abc", "01", "[1.]",
                         "{\"a\": tru}", "[1] x", "\"\\x\"", "\"\\ud800\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(lfd_json_parse(bad[i], strlen(bad[i]), "bad.json", &doc, &err) == LFD_EPARSE);
        CHECK_CONTAINS(err.msg, "bad.json:1:");
    }
    const char *two = "{\n\"a\": [1,\n  2,, 3]}";
    CHECK(lfd_json_parse(two, strlen(two), "x.json", &doc, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "x.json:3:5");
    char deep[200];
    memset(deep, '[', sizeof deep);
    CHECK(lfd_json_parse(deep, sizeof deep, "deep", &doc, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "too deep");
}

/* Python's NaN / Infinity literals are named in the parse error (found by
   review: "unexpected character" left a JSON lines user guessing) */
TEST(json_parse_names_python_nan)
{
    lfd_json_doc *doc = NULL;
    lfd_err err = {0};
    const char *t = "{\"x\": [1.0, NaN]}";
    CHECK(lfd_json_parse(t, strlen(t), "k.jsonl", &doc, &err) != LFD_OK);
    CHECK_CONTAINS(err.msg, "NaN is not JSON");
    CHECK_CONTAINS(err.msg, "k.jsonl:1:");
    const char *u = "[Infinity]";
    CHECK(lfd_json_parse(u, strlen(u), "k", &doc, &err) != LFD_OK);
    CHECK_CONTAINS(err.msg, "Infinity is not JSON");
}

TEST(json_writer_escapes_and_nests)
{
    lfd_buf b;
    lfd_buf_init(&b, 1 << 16);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &b, 0);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "s", "a\"b\\c\n\x01");
    lfd_jw_knum(&jw, "nan", NAN);
    lfd_jw_key(&jw, "arr");
    lfd_jw_arr_begin(&jw);
    lfd_jw_int(&jw, -3);
    lfd_jw_num(&jw, 0.5);
    lfd_jw_arr_begin(&jw);
    lfd_jw_arr_end(&jw);
    lfd_jw_arr_end(&jw);
    lfd_jw_obj_end(&jw);
    lfd_buf_append(&b, "", 1);
    CHECK_STR((char *)b.data, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"nan\":null,\"arr\":[-3,0.5,[]]}");
    /* what the writer writes, the parser reads */
    lfd_json_doc *doc;
    lfd_err err = {0};
    CHECK_OK(lfd_json_parse((char *)b.data, b.len - 1, "w", &doc, &err), &err);
    CHECK_STR(lfd_json_get(lfd_json_root(doc), "s")->str, "a\"b\\c\n\x01");
    lfd_json_free(&doc);
    /* JSON is UTF-8: well-formed characters pass, a byte that starts none
       (Latin-1 'é', a character cut short) becomes \ufffd (found by review:
       lfd check --json of caf\xe9.lfdm wrote bytes JSON readers refuse) */
    lfd_buf_reset(&b);
    lfd_jw_init_buf(&jw, &b, 0);
    lfd_jw_str(&jw, "caf\xc3\xa9 caf\xe9 \xe2\x82");
    lfd_buf_append(&b, "", 1);
    CHECK_STR((char *)b.data, "\"caf\xc3\xa9 caf\\ufffd \\ufffd\\ufffd\"");
    CHECK_OK(lfd_json_parse((char *)b.data, b.len - 1, "w", &doc, &err), &err);
    lfd_json_free(&doc);
    lfd_buf_free(&b);
}

TEST(prov_carries_unknown_values_untouched)
{
    const char *text = "{\"contributor_id\": \"c-42\", \"consent\": {\"scope\": "
                       "[\"robot-training\"], \"expires\": \"2027-01-01\"}, \"n\": 3, "
                       "\"x\": 0.25}";
    lfd_json_doc *doc;
    lfd_err err = {0};
    CHECK_OK(lfd_json_parse(text, strlen(text), "p.json", &doc, &err), &err);
    lfd_prov p, q;
    lfd_prov_init(&p);
    CHECK_OK(lfd_prov_from_json(&p, lfd_json_root(doc), &err), &err);
    lfd_json_free(&doc);
    CHECK_EQ_INT(p.n, 4);
    char s[64];
    CHECK_OK(lfd_prov_get_str(&p, "contributor_id", s, sizeof s, &err), &err);
    CHECK_STR(s, "c-42");
    CHECK(lfd_prov_get_str(&p, "n", s, sizeof s, &err) != LFD_OK);
    CHECK_OK(lfd_prov_set_str(&p, "stage", "retarget", &err), &err);
    CHECK_OK(lfd_prov_set_int(&p, "n", 4, &err), &err);
    CHECK_EQ_INT(p.n, 5);
    /* pack, read back, pack again: identical bytes */
    lfd_buf b1, b2;
    msgpack_packer pk;
    lfd_buf_init(&b1, 1 << 20);
    lfd_packer_init(&pk, &b1);
    lfd_prov_pack(&p, &pk);
    lfd_mpr r;
    lfd_mpr_init(&r, b1.data, b1.len);
    lfd_prov_init(&q);
    CHECK_OK(lfd_prov_read(&q, &r, &err), &err);
    lfd_buf_init(&b2, 1 << 20);
    lfd_packer_init(&pk, &b2);
    lfd_prov_pack(&q, &pk);
    CHECK_EQ_INT(b1.len, b2.len);
    CHECK(memcmp(b1.data, b2.data, b1.len) == 0);
    CHECK(lfd_prov_remove(&q, "stage") == 1);
    CHECK(lfd_prov_get(&q, "stage") == NULL);
    lfd_buf_free(&b1);
    lfd_buf_free(&b2);
    lfd_prov_free(&p);
    lfd_prov_free(&q);
}

/* XML/HTML text: the one escaper behind the check's SVG and the run report's
   HTML (the report's own wrote control bytes and invalid UTF-8 through). */
TEST(core_xml_text_escapes_markup_controls_and_bad_utf8)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    CHECK(fp != NULL);
    if (!fp)
        return;
    lfd_util_xml_text(fp, "a<b>&'\"\x01\xc3\xa9\xff|x\x1fy", '\x1f', " / ");
    lfd_util_xml_text(fp, NULL, 0, NULL);
    fclose(fp);
    CHECK_STR(buf, "a&lt;b&gt;&amp;&#39;&quot; \xc3\xa9\xef\xbf\xbd|x / y");
    free(buf);
}

/* A number beyond the doubles' range is refused, not read as infinity
   (found by review: 1e400 parsed as inf, silently); one below it is 0. */
TEST(json_parse_refuses_out_of_range_numbers)
{
    lfd_json_doc *doc = NULL;
    lfd_err err = {0};
    const char *bad[] = {"1e400", "-1e400", "[1,\n 1e309]", "{\"x\": -2e308}"};
    const char *where[] = {"r.json:1:1:", "r.json:1:1:", "r.json:2:2:", "r.json:1:7:"};
    for (int i = 0; i < 4; i++) {
        CHECK(lfd_json_parse(bad[i], strlen(bad[i]), "r.json", &doc, &err) == LFD_EPARSE);
        CHECK_CONTAINS(err.msg, where[i]);
        CHECK_CONTAINS(err.msg, "number out of range");
    }
    const char *ok = "[1e-400, 1.7976931348623157e308]";
    CHECK_OK(lfd_json_parse(ok, strlen(ok), "ok.json", &doc, &err), &err);
    CHECK(lfd_json_at(lfd_json_root(doc), 0)->num == 0.0);
    CHECK(lfd_json_at(lfd_json_root(doc), 1)->num == 1.7976931348623157e308);
    lfd_json_free(&doc);
}

/* A member named twice, or a name holding \u0000, is refused with the
   file:line:col the parser gives elsewhere (found by review: lfd_json_get
   took the first "contributor_id", provenance loading the last, so one file
   said alice to one reader and bob to another; "x\u0000y" read as "x"). */
TEST(json_parse_refuses_duplicate_and_nul_member_names)
{
    lfd_json_doc *doc = NULL;
    lfd_err err = {0};
    const char *dup = "{\"contributor_id\": \"alice\",\n \"contributor_id\": \"bob\"}";
    CHECK(lfd_json_parse(dup, strlen(dup), "p.json", &doc, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "p.json:2:2: duplicate member name");
    CHECK_CONTAINS(err.msg, "contributor_id");
    const char *nul = "{\"x\\u0000y\": 1, \"x\": 2}";
    CHECK(lfd_json_parse(nul, strlen(nul), "n.json", &doc, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "n.json:1:2: member name contains \\u0000");
    /* in a large object too (checked once, sorted), naming the later one */
    char big[4096];
    size_t n = (size_t)snprintf(big, sizeof big, "{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\": %d\n", i ? "," : "", i, i);
    n += (size_t)snprintf(big + n, sizeof big - n, ",\"k37\": 0}");
    CHECK(lfd_json_parse(big, n, "b.json", &doc, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "b.json:101:");
    CHECK_CONTAINS(err.msg, "duplicate member name \"k37\"");
    /* equal names in different objects, and distinct names, are fine */
    big[n - 10] = '}';
    CHECK_OK(lfd_json_parse(big, n - 9, "b.json", &doc, &err), &err);
    CHECK_EQ_INT(lfd_json_root(doc)->count, 100);
    lfd_json_free(&doc);
    const char *ok = "{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}]}";
    CHECK_OK(lfd_json_parse(ok, strlen(ok), "ok.json", &doc, &err), &err);
    lfd_json_free(&doc);
}

/* A lone low surrogate is refused by the parser, and the writer replaces the
   three-byte forms RFC 3629 excludes (found by review: "\udc00" parsed and
   was written back as ED B0 80; surrogates ED A0 80, overlongs E0 80 80 and
   F4 90 80 80 beyond U+10FFFF passed lfd_util_utf8_len as characters). */
TEST(json_utf8_refuses_lone_surrogates_and_non_rfc3629_forms)
{
    lfd_json_doc *doc = NULL;
    lfd_err err = {0};
    const char *lone[] = {"\"\\udc00\"", "{\"note\": \"ab\\uDFFF\"}"};
    const char *where[] = {"s.json:1:2:", "s.json:1:13:"};
    for (int i = 0; i < 2; i++) {
        CHECK(lfd_json_parse(lone[i], strlen(lone[i]), "s.json", &doc, &err) == LFD_EPARSE);
        CHECK_CONTAINS(err.msg, where[i]);
        CHECK_CONTAINS(err.msg, "unpaired surrogate");
    }
    const char *pair = "\"\\ud800\\udc00\"";
    CHECK_OK(lfd_json_parse(pair, strlen(pair), "s.json", &doc, &err), &err);
    CHECK_STR(lfd_json_root(doc)->str, "\xf0\x90\x80\x80");
    lfd_json_free(&doc);

    const char *bad[] = {"\xed\xa0\x80", "\xed\xbf\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
                         "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(lfd_util_utf8_len((const unsigned char *)bad[i], strlen(bad[i])), 0);
        lfd_buf b;
        lfd_buf_init(&b, 1000);
        lfd_jw jw;
        lfd_jw_init_buf(&jw, &b, 0);
        lfd_jw_str(&jw, bad[i]);
        CHECK(b.len >= 8 && memcmp(b.data, "\"\\ufffd", 7) == 0);
        lfd_buf_free(&b);
    }
    /* the edges of the ranges are characters */
    const char *good[] = {"\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xf0\x90\x80\x80",
                          "\xf4\x8f\xbf\xbf", "\xef\xbf\xbe"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK_EQ_INT(lfd_util_utf8_len((const unsigned char *)good[i], strlen(good[i])),
                     strlen(good[i]));
}
