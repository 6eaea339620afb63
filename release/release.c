/* release.json in and out. One table per JSON object says what its keys
 * are, their types and limits, and where they live in the C structures;
 * both the writer and the strict parser walk the same tables, so the two
 * cannot drift apart. */
#include "release/release.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <string.h>

/* release.json lists a few dozen files; this bounds what a reader loads. */
#define RELEASE_JSON_MAX (64u << 20)

enum ftype {
    F_STR,      /* char *, any string (UTF-8, no NUL) */
    F_NAME,     /* char *, a plain file name */
    F_HEX,      /* char *, lower-case hex of min..max bytes */
    F_DIGEST,   /* char *, lower-case hex of 32 (SHA-256) or 48 (SHA-384) bytes */
    F_U64,      /* uint64_t in [min, max] */
    F_I64,      /* int64_t in [min, max] */
    F_BOOL,     /* bool */
    F_OBJECT,   /* nested object, fields in sub */
    F_ARRAY,    /* array of objects of elem_size bytes, pointer at off, count at count_off */
};

struct spec;

struct field {
    const char *key;
    enum ftype type;
    size_t off;
    uint64_t min, max;              /* integers; hex: byte counts */
    const struct spec *sub;         /* F_OBJECT, F_ARRAY */
    size_t elem_size, count_off;    /* F_ARRAY */
    bool optional;                  /* strings and arrays: may be absent (NULL, or no elements);
                                       objects: when has_off's bool says so; written only when present */
    size_t has_off;                 /* optional objects: the bool that says it is present */
};

struct spec {
    const struct field *fields;
    size_t n;
};

/* Designated members of a field; the macros below wrap them in braces. */
#define FIELD(k, t, s, m) .key = k, .type = t, .off = offsetof(s, m)
#define ELEMS(spec, s, elem, count) .sub = spec, .elem_size = sizeof(elem), .count_off = offsetof(s, count)
#define HEX(k, s, m, lo, hi) {FIELD(k, F_HEX, s, m), .min = lo, .max = hi}
#define STR(k, s, m) {FIELD(k, F_STR, s, m)}
#define OPT_STR(k, s, m) {FIELD(k, F_STR, s, m), .optional = true}
#define NAME(k, s, m) {FIELD(k, F_NAME, s, m)}
#define U64(k, s, m, lo, hi) {FIELD(k, F_U64, s, m), .min = lo, .max = hi}
#define BOOL(k, s, m) {FIELD(k, F_BOOL, s, m)}
#define OBJECT(k, s, m, spec) {FIELD(k, F_OBJECT, s, m), .sub = spec}
#define ARRAY(k, s, m, spec, elem, count) {FIELD(k, F_ARRAY, s, m), ELEMS(spec, s, elem, count)}
#define OPT_HEX(k, s, m, lo, hi) {FIELD(k, F_HEX, s, m), .min = lo, .max = hi, .optional = true}
#define OPT_OBJECT(k, s, m, has, spec) {FIELD(k, F_OBJECT, s, m), .sub = spec, .optional = true, .has_off = offsetof(s, has)}
#define OPT_ARRAY(k, s, m, spec, elem, count) {FIELD(k, F_ARRAY, s, m), ELEMS(spec, s, elem, count), .optional = true}

static const struct field tool_fields[] = {
    STR("name", struct release, tool_name),
    STR("version", struct release, tool_version),
};
static const struct spec tool_spec = {tool_fields, ARRAY_SIZE(tool_fields)};

static const struct field artifact_fields[] = {
    NAME("name", struct release_artifact, name),
    U64("size", struct release_artifact, size, 0, INT64_MAX),
    HEX("sha256", struct release_artifact, sha256, 32, 32),
};
static const struct spec artifact_spec = {artifact_fields, ARRAY_SIZE(artifact_fields)};

/* block sizes: powers of two the kernel accepts (512 bytes to 1 MiB) are
 * checked by verity itself; here only that they are sane numbers */
static const struct field verity_fields[] = {
    HEX("root_hash", struct release_verity, root_hash, 32, 32),
    HEX("salt", struct release_verity, salt, 0, 256),
    /* 2^40 blocks of 4 KiB: 4 PiB, far past any image; keeps sizes from overflowing */
    U64("data_blocks", struct release_verity, data_blocks, 1, 1ULL << 40),
    U64("data_block_size", struct release_verity, data_block_size, 512, 1u << 20),
    U64("hash_block_size", struct release_verity, hash_block_size, 512, 1u << 20),
    U64("hash_offset", struct release_verity, hash_offset, 0, 1ULL << 52),
    STR("layout", struct release_verity, layout),
};
static const struct spec verity_spec = {verity_fields, ARRAY_SIZE(verity_fields)};

static const struct field measurement_fields[] = {
    STR("mode", struct release_measurement, mode),
    STR("vmm_type", struct release_measurement, vmm_type),
    U64("vcpus", struct release_measurement, vcpus, 1, 4096),
    STR("vcpu_type", struct release_measurement, vcpu_type),
    U64("vcpu_sig", struct release_measurement, vcpu_sig, 0, UINT32_MAX),
    U64("guest_features", struct release_measurement, guest_features, 0, INT64_MAX),
    HEX("firmware_sha256", struct release_measurement, firmware_sha256, 32, 32),
    BOOL("kernel_hashes", struct release_measurement, kernel_hashes),
    {FIELD("digest", F_DIGEST, struct release_measurement, digest), .min = 32, .max = 48},
};
static const struct spec measurement_spec = {measurement_fields, ARRAY_SIZE(measurement_fields)};

static const struct field file_digest_fields[] = {
    STR("name", struct release_file_digest, name),
    HEX("sha256", struct release_file_digest, sha256, 32, 32),
};
static const struct spec file_digest_spec = {file_digest_fields, ARRAY_SIZE(file_digest_fields)};

static const struct field igvm_fields[] = {
    NAME("name", struct release_igvm, name),
    STR("variant", struct release_igvm, variant),
    HEX("digest", struct release_igvm, digest, 48, 48),
    STR("cmdline", struct release_igvm, cmdline),
    STR("boot_mode", struct release_igvm, boot_mode),
    U64("vtl", struct release_igvm, vtl, 0, 2),
    BOOL("svme", struct release_igvm, svme),
    BOOL("encrypted_page", struct release_igvm, encrypted_page),
    BOOL("pvalidate_opt", struct release_igvm, pvalidate_opt),
    OPT_ARRAY("acpi", struct release_igvm, acpi, &file_digest_spec, struct release_file_digest, nacpi),
    U64("guest_policy", struct release_igvm, guest_policy, 0, INT64_MAX),
    HEX("id_key_digest", struct release_igvm, id_key_digest, 48, 48),
    NAME("measurement_file", struct release_igvm, measurement_file),
};
static const struct spec igvm_spec = {igvm_fields, ARRAY_SIZE(igvm_fields)};

static const struct field kernel_provenance_fields[] = {
    STR("from", struct release_kernel_provenance, from),
    STR("source", struct release_kernel_provenance, source),
    HEX("source_sha256", struct release_kernel_provenance, source_sha256, 32, 32),
    OPT_STR("profile", struct release_kernel_provenance, profile),
    OPT_ARRAY("config_inputs", struct release_kernel_provenance, config_inputs, &file_digest_spec,
              struct release_file_digest, nconfig_inputs),
};
static const struct spec kernel_provenance_spec = {kernel_provenance_fields, ARRAY_SIZE(kernel_provenance_fields)};

static const struct field appraisal_fields[] = {
    U64("guest_policy", struct release_appraisal, guest_policy, 0, INT64_MAX),
    U64("vmpl", struct release_appraisal, vmpl, 0, 3),
    OPT_STR("min_tcb", struct release_appraisal, min_tcb),
    OPT_HEX("id_key_digest", struct release_appraisal, id_key_digest, 48, 48),
    OPT_HEX("author_key_digest", struct release_appraisal, author_key_digest, 48, 48),
};
static const struct spec appraisal_spec = {appraisal_fields, ARRAY_SIZE(appraisal_fields)};

static const struct field release_fields[] = {
    STR("schema", struct release, schema),
    STR("name", struct release, name),
    STR("version", struct release, version),
    {FIELD("epoch", F_I64, struct release, epoch), .min = 0, .max = 253402300799ULL},
    {.key = "tool", .type = F_OBJECT, .off = 0, .sub = &tool_spec},   /* its fields are struct release's own */
    HEX("manifest_sha256", struct release, manifest_sha256, 32, 32),
    HEX("lock_sha256", struct release, lock_sha256, 32, 32),
    NAME("image", struct release, image),
    NAME("kernel", struct release, kernel),
    OBJECT("kernel_provenance", struct release, kernel_provenance, &kernel_provenance_spec),
    U64("svn", struct release, svn, 0, UINT32_MAX),
    ARRAY("artifacts", struct release, artifacts, &artifact_spec, struct release_artifact, nartifacts),
    OBJECT("verity", struct release, verity, &verity_spec),
    STR("cmdline", struct release, cmdline),
    ARRAY("measurements", struct release, measurements, &measurement_spec, struct release_measurement,
          nmeasurements),
    OPT_OBJECT("appraisal", struct release, appraisal, has_appraisal, &appraisal_spec),
    OPT_ARRAY("igvm", struct release, igvms, &igvm_spec, struct release_igvm, nigvms),
};
static const struct spec release_spec = {release_fields, ARRAY_SIZE(release_fields)};

#define AT(base, off, type) ((type *)((char *)(base) + (off)))

/* ------------------------------------------------------------- writing --- */

static bool is_string(enum ftype t)
{
    return t == F_STR || t == F_NAME || t == F_HEX || t == F_DIGEST;
}

/* An optional field with nothing in it: left out of the JSON. */
static bool absent(const struct field *f, const void *base)
{
    if (!f->optional)
        return false;
    if (is_string(f->type))
        return !*AT(base, f->off, char *const);
    if (f->type == F_OBJECT)
        return !*AT(base, f->has_off, const bool);
    return f->type == F_ARRAY && !*AT(base, f->count_off, const size_t);
}

static json_t *object_to_json(const struct spec *s, const void *base)
{
    json_t *o = json_object();
    for (size_t i = 0; i < s->n; i++) {
        const struct field *f = &s->fields[i];
        json_t *v = NULL;
        if (absent(f, base))
            continue;
        switch (f->type) {
        case F_STR:
        case F_NAME:
        case F_HEX:
        case F_DIGEST: {
            const char *str = *AT(base, f->off, char *const);
            v = json_string(str ? str : "");
            break;
        }
        case F_U64:
            v = json_integer((json_int_t)*AT(base, f->off, const uint64_t));
            break;
        case F_I64:
            v = json_integer((json_int_t)*AT(base, f->off, const int64_t));
            break;
        case F_BOOL:
            v = json_boolean(*AT(base, f->off, const bool));
            break;
        case F_OBJECT:
            v = object_to_json(f->sub, AT(base, f->off, const char));
            break;
        case F_ARRAY: {
            const char *elems = *AT(base, f->off, char *const);
            size_t count = *AT(base, f->count_off, const size_t);
            v = json_array();
            for (size_t k = 0; k < count; k++)
                json_array_append_new(v, object_to_json(f->sub, elems + k * f->elem_size));
            break;
        }
        }
        if (!v)
            abort(); /* a string that is not UTF-8: a bug in the build, not input */
        json_object_set_new(o, f->key, v);
    }
    return o;
}

static int cmp_artifact(const void *a, const void *b)
{
    return strcmp(((const struct release_artifact *)a)->name, ((const struct release_artifact *)b)->name);
}

static int cmp_measurement(const void *a, const void *b)
{
    const struct release_measurement *x = a, *y = b;
    int c = strcmp(x->mode, y->mode);
    if (!c)
        c = strcmp(x->vmm_type, y->vmm_type);
    if (!c)
        c = strcmp(x->vcpu_type, y->vcpu_type);
    return c ? c : (x->vcpus > y->vcpus) - (x->vcpus < y->vcpus);
}

static int cmp_igvm(const void *a, const void *b)
{
    return strcmp(((const struct release_igvm *)a)->name, ((const struct release_igvm *)b)->name);
}

static void release_sort(struct release *r)
{
    if (r->nigvms)
        qsort(r->igvms, r->nigvms, sizeof(*r->igvms), cmp_igvm);
    if (r->nartifacts)
        qsort(r->artifacts, r->nartifacts, sizeof(*r->artifacts), cmp_artifact);
    if (r->nmeasurements)
        qsort(r->measurements, r->nmeasurements, sizeof(*r->measurements), cmp_measurement);
}

char *release_to_json(struct release *r)
{
    release_sort(r);
    json_t *j = object_to_json(&release_spec, r);
    char *s = json_canonical(j);
    json_decref(j);
    return s;
}

/* ------------------------------------------------------------- parsing --- */

bool release_is_file_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 255 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c == '/' || *c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static bool is_lower_hex(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
            return false;
    return true;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

struct parser {
    const char *what;
};

static int wrong_type(const struct parser *p, const char *path, const char *want, const json_t *v)
{
    return err_set(-EINVAL, "%s: %s must be %s, not %s", p->what, path, want, json_type_name(v));
}

static int parse_object(const struct parser *p, const char *path, json_t *o, const struct spec *s, void *base);

static int parse_string(const struct parser *p, const char *path, const struct field *f, json_t *v, void *base)
{
    if (!json_is_string(v))
        return wrong_type(p, path, "a string", v);
    const char *str = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(str) != len)
        return err_set(-EINVAL, "%s: %s contains a NUL character", p->what, path);
    if (f->type == F_NAME && !release_is_file_name(str))
        return err_set(-EINVAL, "%s: %s '%s' is not a plain file name", p->what, path, str);
    bool hex_ok = !(len % 2) && is_lower_hex(str);
    if (f->type == F_HEX && (!hex_ok || len / 2 < f->min || len / 2 > f->max)) {
        if (f->min == f->max)
            return err_set(-EINVAL, "%s: %s must be %llu bytes in lower-case hex", p->what, path,
                           (unsigned long long)f->min);
        return err_set(-EINVAL, "%s: %s must be %llu to %llu bytes in lower-case hex", p->what, path,
                       (unsigned long long)f->min, (unsigned long long)f->max);
    }
    if (f->type == F_DIGEST && (!hex_ok || (len != 64 && len != 96)))
        return err_set(-EINVAL, "%s: %s must be 32 or 48 bytes in lower-case hex", p->what, path);
    if (f->type == F_STR && !len)
        return err_set(-EINVAL, "%s: %s is empty", p->what, path);
    *AT(base, f->off, char *) = xstrdup(str);
    return 0;
}

static int parse_integer(const struct parser *p, const char *path, const struct field *f, json_t *v, void *base)
{
    if (!json_is_integer(v))
        return wrong_type(p, path, "an integer", v);
    json_int_t n = json_integer_value(v);
    if (n < 0 || (uint64_t)n < f->min || (uint64_t)n > f->max)
        return err_set(-ERANGE, "%s: %s %lld is outside %llu..%llu", p->what, path, (long long)n,
                       (unsigned long long)f->min, (unsigned long long)f->max);
    if (f->type == F_U64)
        *AT(base, f->off, uint64_t) = (uint64_t)n;
    else
        *AT(base, f->off, int64_t) = (int64_t)n;
    return 0;
}

static int parse_array(const struct parser *p, const char *path, const struct field *f, json_t *v, void *base)
{
    if (!json_is_array(v))
        return wrong_type(p, path, "an array", v);
    size_t count = json_array_size(v);
    char *elems = xcalloc(count, f->elem_size);
    *AT(base, f->off, char *) = elems;
    for (size_t k = 0; k < count; k++) {
        _cleanup_free_ char *sub = xasprintf("%s[%zu]", path, k);
        int r = parse_object(p, sub, json_array_get(v, k), f->sub, elems + k * f->elem_size);
        *AT(base, f->count_off, size_t) = k + 1; /* what release_free must free */
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_field(const struct parser *p, const char *path, const struct field *f, json_t *v, void *base)
{
    switch (f->type) {
    case F_STR:
    case F_NAME:
    case F_HEX:
    case F_DIGEST:
        return parse_string(p, path, f, v, base);
    case F_U64:
    case F_I64:
        return parse_integer(p, path, f, v, base);
    case F_BOOL:
        if (!json_is_boolean(v))
            return wrong_type(p, path, "a boolean", v);
        *AT(base, f->off, bool) = json_is_true(v);
        return 0;
    case F_OBJECT:
        return parse_object(p, path, v, f->sub, AT(base, f->off, char));
    case F_ARRAY:
        return parse_array(p, path, f, v, base);
    }
    return -EINVAL;
}

static char *join(const char *path, const char *key)
{
    return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int parse_object(const struct parser *p, const char *path, json_t *o, const struct spec *s, void *base)
{
    if (!json_is_object(o))
        return wrong_type(p, *path ? path : "the document", "an object", o);
    /* unknown keys first, in sorted order, so the message is stable */
    const char *key;
    json_t *v;
    size_t nk = json_object_size(o), k = 0;
    _cleanup_free_ const char **keys = xcalloc(nk, sizeof(char *));
    json_object_foreach(o, key, v) keys[k++] = key;
    qsort(keys, nk, sizeof(char *), cmp_str);
    for (k = 0; k < nk; k++) {
        bool known = false;
        for (size_t i = 0; i < s->n && !known; i++)
            known = !strcmp(s->fields[i].key, keys[k]);
        if (!known) {
            _cleanup_free_ char *full = join(path, keys[k]);
            return err_set(-EINVAL, "%s: unknown key %s", p->what, full);
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct field *f = &s->fields[i];
        _cleanup_free_ char *full = join(path, f->key);
        json_t *fv = json_object_get(o, f->key);
        if (!fv && f->optional)
            continue;
        if (!fv)
            return err_set(-EINVAL, "%s: missing key %s", p->what, full);
        if (f->type == F_OBJECT && f->optional)
            *AT(base, f->has_off, bool) = true;
        int r = parse_field(p, full, f, fv, base);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The keys that belong to one kind of kernel and to no other. */
static int check_kernel_provenance(const char *what, const struct release_kernel_provenance *k)
{
    bool profile = !strcmp(k->from, "profile");
    if (!profile && strcmp(k->from, "package") && strcmp(k->from, "file"))
        return err_set(-EINVAL, "%s: kernel_provenance.from '%s' is not profile, package or file", what, k->from);
    if (profile != !!k->profile || profile != !!k->nconfig_inputs)
        return err_set(-EINVAL, "%s: kernel_provenance: profile and config_inputs go with from 'profile', and "
                                "only with it", what);
    /* names a reproducer looks up under its kernel-configs directory: they stay inside it */
    for (size_t i = 0; i < k->nconfig_inputs; i++) {
        const char *name = k->config_inputs[i].name, *slash = strchr(name, '/');
        bool ok = slash && (!strncmp(name, "profiles/", 9) || !strncmp(name, "fragments/", 10)) &&
                  release_is_file_name(slash + 1);
        if (!ok)
            return err_set(-EINVAL, "%s: kernel_provenance.config_inputs[%zu].name '%s' is not profiles/NAME or "
                                    "fragments/NAME", what, i, name);
    }
    return 0;
}

/* An IGVM entry names artifacts of the release: the file, its ACPI tables
 * and its measurement file; its settings are igvmgen's values. */
static int check_igvm(const char *what, const struct release *r, size_t i)
{
    const struct release_igvm *g = &r->igvms[i];
    if (!release_artifact(r, g->name))
        return err_set(-EINVAL, "%s: igvm[%zu].name: %s is not among the artifacts", what, i, g->name);
    if (!release_artifact(r, g->measurement_file))
        return err_set(-EINVAL, "%s: igvm[%zu].measurement_file: %s is not among the artifacts", what, i,
                       g->measurement_file);
    if (strcmp(g->variant, "production") && strcmp(g->variant, "debug"))
        return err_set(-EINVAL, "%s: igvm[%zu].variant: '%s' is not production or debug", what, i, g->variant);
    if (strcmp(g->boot_mode, "x64") && strcmp(g->boot_mode, "x86"))
        return err_set(-EINVAL, "%s: igvm[%zu].boot_mode: '%s' is not x64 or x86", what, i, g->boot_mode);
    for (size_t k = 0; k < g->nacpi; k++)
        if (!release_artifact(r, g->acpi[k].name))
            return err_set(-EINVAL, "%s: igvm[%zu].acpi[%zu].name: %s is not among the artifacts", what, i, k,
                           g->acpi[k].name);
    for (size_t k = 0; k < i; k++)
        if (!strcmp(r->igvms[k].name, g->name))
            return err_set(-EINVAL, "%s: igvm[%zu].name: %s is listed twice", what, i, g->name);
    return 0;
}

/* What the tables cannot say: the schema version, unique artifact names,
 * that image and kernel are among them, the kernel's provenance. */
static int check_release(const char *what, const struct release *r)
{
    if (strcmp(r->schema, RELEASE_SCHEMA))
        return err_set(-EINVAL, "%s: schema '%s' is not supported (this guestimg reads %s)", what, r->schema,
                       RELEASE_SCHEMA);
    for (size_t i = 0; i < r->nartifacts; i++)
        for (size_t k = 0; k < i; k++)
            if (!strcmp(r->artifacts[i].name, r->artifacts[k].name))
                return err_set(-EINVAL, "%s: artifacts[%zu].name: %s is listed twice", what, i,
                               r->artifacts[i].name);
    if (!release_artifact(r, r->image))
        return err_set(-EINVAL, "%s: image: %s is not among the artifacts", what, r->image);
    if (!release_artifact(r, r->kernel))
        return err_set(-EINVAL, "%s: kernel: %s is not among the artifacts", what, r->kernel);
    int rc = check_kernel_provenance(what, &r->kernel_provenance);
    for (size_t i = 0; rc == 0 && i < r->nigvms; i++)
        rc = check_igvm(what, r, i);
    return rc;
}

int release_load(const char *path, struct release *r)
{
    memset(r, 0, sizeof(*r));
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    int rc = file_read_all(path, &text, &len, RELEASE_JSON_MAX);
    return rc < 0 ? rc : release_parse((const char *)text, len, path, r);
}

int release_parse(const char *text, size_t len, const char *what, struct release *r)
{
    memset(r, 0, sizeof(*r));
    json_t *j = json_parse_text(text, len, what);
    if (!j)
        return -EINVAL;
    struct parser p = {what};
    int rc = parse_object(&p, "", j, &release_spec, r);
    json_decref(j);
    if (rc == 0)
        rc = check_release(what, r);
    if (rc < 0)
        release_free(r);
    else
        release_sort(r);
    return rc;
}

/* ------------------------------------------------------------- freeing --- */

static void free_object(const struct spec *s, void *base)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct field *f = &s->fields[i];
        if (is_string(f->type)) {
            free(*AT(base, f->off, char *));
        } else if (f->type == F_OBJECT) {
            free_object(f->sub, AT(base, f->off, char));
        } else if (f->type == F_ARRAY) {
            char *elems = *AT(base, f->off, char *);
            size_t count = *AT(base, f->count_off, size_t);
            for (size_t k = 0; k < count; k++)
                free_object(f->sub, elems + k * f->elem_size);
            free(elems);
        }
    }
}

void release_free(struct release *r)
{
    free_object(&release_spec, r);
    memset(r, 0, sizeof(*r));
}

void release_kernel_provenance_free(struct release_kernel_provenance *k)
{
    free_object(&kernel_provenance_spec, k);
    memset(k, 0, sizeof(*k));
}

const struct release_artifact *release_artifact(const struct release *r, const char *name)
{
    for (size_t i = 0; name && i < r->nartifacts; i++)
        if (!strcmp(r->artifacts[i].name, name))
            return &r->artifacts[i];
    return NULL;
}

const struct release_artifact *release_artifact_by_sha256(const struct release *r, const char *sha256)
{
    for (size_t i = 0; sha256 && i < r->nartifacts; i++)
        if (!strcmp(r->artifacts[i].sha256, sha256))
            return &r->artifacts[i];
    return NULL;
}

const struct release_igvm *release_igvm_variant(const struct release *r, const char *variant)
{
    for (size_t i = 0; i < r->nigvms; i++)
        if (streq(r->igvms[i].variant, variant))
            return &r->igvms[i];
    return NULL;
}
