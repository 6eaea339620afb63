/* DSSE's pre-authentication encoding against the DSSE specification's
 * worked example, the envelope parser's refusals, and the TOML strings
 * guestimg install writes. */
#include "harness.h"

#include "common/err.h"
#include "common/util.h"
#include "release/install.h"
#include "release/provenance.h"

#include <string.h>

TEST(pae_is_the_spec_example)
{
    /* secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world") */
    size_t n;
    _cleanup_free_ uint8_t *p = dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &n);
    const char *want = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    CHECK_EQ_U64(n, strlen(want));
    CHECK_MEM(p, want, n);
}

TEST(pae_counts_bytes_not_characters)
{
    size_t n;
    _cleanup_free_ uint8_t *p = dsse_pae("t", (const uint8_t *)"\xc3\xa9\0x", 4, &n);
    CHECK_EQ_U64(n, strlen("DSSEv1 1 t 4 ") + 4);
    CHECK_MEM(p, "DSSEv1 1 t 4 \xc3\xa9\0x", n);
}

static void refused(const char *text, const char *msg)
{
    struct dsse_envelope e;
    CHECK_EQ_INT(dsse_parse(text, strlen(text), "p.json", &e) < 0, 1);
    CHECK_STR(err_msg(), msg);
}

TEST(envelopes_that_are_not)
{
    struct dsse_envelope e;
    const char *good = "{\"payload\":\"aGk=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AAE=\",\"keyid\":\"k\"}]}";
    CHECK_EQ_INT(dsse_parse(good, strlen(good), "p.json", &e), 0);
    CHECK_EQ_U64(e.payload_len, 2);
    CHECK_MEM(e.payload, "hi", 2);
    CHECK_EQ_U64(e.nsigs, 1);
    CHECK_EQ_U64(e.sig_lens[0], 2);
    dsse_free(&e);
    refused("{", "p.json:1: invalid JSON: string or '}' expected near end of file");
    refused("{\"payload\":\"\",\"payload\":\"\"}", "p.json:1: invalid JSON: duplicate object key near '\"payload\"'");
    refused("[]", "p.json: not a JSON object");
    refused("{\"payload\":1}", "p.json: payload: missing or not a string");
    refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}",
            "p.json: signatures: missing, not an array or empty");
    refused("{\"payload\":\"a\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\"}]}", "p.json: payload: not base64");
    refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\",\"x\":1}]}",
            "p.json: signatures[0]: not an object with a string 'sig' (and 'keyid')");
    refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\"}],\"more\":0}",
            "p.json: unknown key 'more'");
}

TEST(toml_strings_escape_quotes_backslashes_and_controls)
{
    _cleanup_free_ char *a = toml_string("a\"b\\c\nd\x7f");
    CHECK_STR(a, "\"a\\\"b\\\\c\\u000ad\\u007f\"");
    _cleanup_free_ char *b = toml_string("");
    CHECK_STR(b, "\"\"");
}
