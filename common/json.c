#include "common/json.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

static char *dump_nl(const json_t *j, size_t flags)
{
    char *s = json_dumps(j, flags | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s)
        abort();
    size_t n = strlen(s);
    char *out = xmalloc(n + 2);
    memcpy(out, s, n);
    out[n] = '\n';
    out[n + 1] = 0;
    free(s);
    return out;
}

char *json_canonical(const json_t *j)
{
    return dump_nl(j, JSON_COMPACT);
}

char *json_pretty(const json_t *j)
{
    return dump_nl(j, JSON_INDENT(2));
}

int json_write_canonical(const char *path, const json_t *j)
{
    _cleanup_free_ char *s = json_canonical(j);
    return file_write_atomic(path, s, strlen(s), 0644);
}

json_t *json_load_path(const char *path)
{
    _cleanup_free_ char *text = NULL;
    if (file_read_text(path, &text, 64u << 20) < 0)
        return NULL;
    return json_parse_text(text, strlen(text), path);
}

json_t *json_parse_text(const char *text, size_t len, const char *what)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        err_set(-EINVAL, "%s:%d: invalid JSON: %s", what, je.line, je.text);
    return j;
}
