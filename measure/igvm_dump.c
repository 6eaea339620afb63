/* A listing of an IGVM file's headers: JSON, and text made from it. */
#include "measure/igvm.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <inttypes.h>
#include <string.h>

/* Which fields each type carries. */
enum {
    F_GPA = 1 << 0, F_FILE = 1 << 1, F_SIZE = 1 << 2, F_FLAGS = 1 << 3, F_DATA_TYPE = 1 << 4,
    F_AREA = 1 << 5, F_BYTE_OFFSET = 1 << 6, F_VP = 1 << 7, F_POLICY = 1 << 8, F_PLATFORM = 1 << 9,
};

static unsigned fields_of(uint32_t type)
{
    switch (type) {
    case IGVM_SUPPORTED_PLATFORM: return F_PLATFORM;
    case IGVM_GUEST_POLICY: return F_POLICY;
    case IGVM_RELOCATABLE_REGION: return F_VP | F_GPA | F_SIZE | F_FLAGS;
    case IGVM_PAGE_TABLE_RELOCATION_REGION: return F_VP | F_GPA | F_SIZE;
    case IGVM_CORIM_DOCUMENT:
    case IGVM_CORIM_SIGNATURE: return F_FILE | F_SIZE;
    case IGVM_PARAMETER_AREA: return F_AREA | F_SIZE | F_FILE;
    case IGVM_PAGE_DATA: return F_GPA | F_FLAGS | F_DATA_TYPE | F_FILE | F_SIZE;
    case IGVM_PARAMETER_INSERT: return F_GPA | F_AREA | F_SIZE;
    case IGVM_VP_CONTEXT: return F_GPA | F_VP | F_FILE | F_SIZE;
    case IGVM_REQUIRED_MEMORY: return F_GPA | F_SIZE | F_FLAGS;
    case IGVM_ERROR_RANGE: return F_GPA | F_SIZE;
    case IGVM_CCA_POLICY:
    case IGVM_SNP_ID_BLOCK:
    case IGVM_VBS_MEASUREMENT: return 0;
    default: return F_AREA | F_BYTE_OFFSET; /* parameter directives */
    }
}

static json_t *hex_value(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "0x%" PRIx64, v);
    return json_string(s);
}

static json_t *page_flags(uint32_t flags)
{
    if (!flags)
        return json_string("none");
    struct strbuf sb = STRBUF_INIT;
    static const char *const names[] = {"2mb", "unmeasured", "shared"};
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
        if (flags & (1u << i))
            sb_printf(&sb, "%s%s", sb.len ? "|" : "", names[i]);
    char *s = sb_detach(&sb);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *header_json(const struct igvm_header *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(h->index));
    json_object_set_new(o, "offset", hex_value(h->offset));
    json_object_set_new(o, "type", h->known ? json_string(igvm_type_name(h->type)) : hex_value(h->type));
    json_object_set_new(o, "length", json_integer(h->length));
    if (h->optional)
        json_object_set_new(o, "optional", json_true());
    if (!h->known)
        return o;
    unsigned fl = fields_of(h->type);
    if (h->has_mask)
        json_object_set_new(o, "compatibility_mask", hex_value(h->mask));
    if (fl & F_PLATFORM) {
        json_object_set_new(o, "platform", json_string(igvm_platform_name(h->platform_type)));
        json_object_set_new(o, "platform_version", json_integer(h->platform_version));
        json_object_set_new(o, "highest_vtl", json_integer(h->highest_vtl));
        json_object_set_new(o, "shared_gpa_boundary", hex_value(h->shared_gpa_boundary));
    }
    if (fl & F_POLICY)
        json_object_set_new(o, "policy", hex_value(h->policy));
    if (fl & F_VP)
        json_object_set_new(o, "vp_index", json_integer(h->vp_index));
    if (fl & F_GPA)
        json_object_set_new(o, "gpa", hex_value(h->gpa));
    if (fl & F_AREA)
        json_object_set_new(o, "parameter_area", json_integer(h->area_index));
    if (fl & F_BYTE_OFFSET)
        json_object_set_new(o, "byte_offset", hex_value(h->byte_offset));
    if (fl & F_FLAGS)
        json_object_set_new(o, "flags", h->type == IGVM_PAGE_DATA ? page_flags(h->flags) : hex_value(h->flags));
    if (fl & F_DATA_TYPE)
        json_object_set_new(o, "data_type", json_string(igvm_data_type_name(h->data_type)));
    if (fl & F_FILE)
        json_object_set_new(o, "file_offset", hex_value(h->file_offset));
    if (fl & F_SIZE)
        json_object_set_new(o, "size", json_integer((json_int_t)h->data_len));
    return o;
}

json_t *igvm_dump_json(const struct igvm_file *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "format_version", json_integer(f->format_version));
    if (f->format_version >= 2) {
        json_object_set_new(o, "architecture", json_string(f->architecture ? "aarch64" : "x64"));
        json_object_set_new(o, "page_size", json_integer(f->page_size));
    }
    json_object_set_new(o, "total_file_size", json_integer(f->total_size));
    json_object_set_new(o, "variable_header_offset", hex_value(f->vh_offset));
    json_object_set_new(o, "variable_header_size", json_integer(f->vh_size));
    json_object_set_new(o, "checksum", hex_value(f->checksum));
    json_object_set_new(o, "checksum_ok", json_boolean(f->checksum == f->checksum_computed));
    json_t *a = json_array();
    for (size_t i = 0; i < f->n_headers; i++)
        json_array_append_new(a, header_json(&f->headers[i]));
    json_object_set_new(o, "headers", a);
    return o;
}

/* "key=value" for every field after index, offset and type, in order. */
static void header_text(struct strbuf *sb, json_t *h)
{
    sb_printf(sb, "%5" JSON_INTEGER_FORMAT "  %-10s %-20s", json_integer_value(json_object_get(h, "index")),
              json_string_value(json_object_get(h, "offset")), json_string_value(json_object_get(h, "type")));
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v) {
        if (streq(key, "index") || streq(key, "offset") || streq(key, "type"))
            continue;
        if (json_is_string(v))
            sb_printf(sb, " %s=%s", key, json_string_value(v));
        else if (json_is_integer(v))
            sb_printf(sb, " %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
        else
            sb_printf(sb, " %s", key); /* a true flag: "optional" */
    }
    sb_puts(sb, "\n");
}

char *igvm_dump_text(const struct igvm_file *f)
{
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "IGVM format version %u", f->format_version);
    if (f->format_version >= 2)
        sb_printf(&sb, ", %s, page size %u", f->architecture ? "aarch64" : "x64", f->page_size);
    sb_printf(&sb, ", %u bytes, checksum 0x%08x (%s)\n", f->total_size, f->checksum,
              f->checksum == f->checksum_computed ? "matches" : "MISMATCH");
    sb_printf(&sb, "%zu variable headers: 0x%x bytes at 0x%x; file data from 0x%llx\n", f->n_headers,
              f->vh_size, f->vh_offset, (unsigned long long)f->vh_offset + f->vh_size);
    sb_printf(&sb, "%5s  %-10s %-20s %s\n", "#", "offset", "type", "fields");
    json_t *j = igvm_dump_json(f);
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(j, "headers"), i, h)
        header_text(&sb, h);
    json_decref(j);
    return sb_detach(&sb);
}
