/*  Fuzz target: the JSON parser, and provenance built from what it parses. */
#include "core/lfd_json.h"
#include "core/lfd_prov.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(json)
{
    lfd_json_doc *doc;
    lfd_err err;
    if (lfd_json_parse((const char *)data, size, "fuzz.json", &doc, &err) == LFD_OK) {
        lfd_prov p;
        lfd_prov_init(&p);
        lfd_prov_from_json(&p, lfd_json_root(doc), &err);
        lfd_prov_free(&p);
        lfd_json_free(&doc);
    }
    return 0;
}
