/* Published release vs rebuild. */
#include "release/compare.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"
#include "release/assemble.h"
#include "release/release.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>

#define FILES_TSV "files.tsv"
#define LIST_MAX (1u << 30)

/* files.tsv of a release, checked against the sha256 its release.json
 * records; *why says what went wrong when it cannot be used. */
static int load_files(const struct release *r, const char *dir, struct files_list *l, char **why)
{
    const struct release_artifact *a = release_artifact(r, FILES_TSV);
    if (!a) {
        *why = xstrdup("the release lists no files.tsv");
        return -ENOENT;
    }
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, FILES_TSV);
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    uint8_t d[SHA256_LEN];
    char hex[65];
    int rc = file_read_all(path, &text, &len, LIST_MAX);
    if (rc == 0) {
        sha256_buf(text, len, d);
        hex_encode(d, sizeof(d), hex);
        if (strcmp(hex, a->sha256))
            rc = err_set(-EBADMSG, "%s: sha256 %s, not the %s its release.json records", path, hex, a->sha256);
    }
    if (rc == 0)
        rc = files_tsv_parse((const char *)text, len, path, l);
    if (rc < 0)
        *why = xstrdup(err_msg());
    return rc;
}

static void diff_image(const struct release *pub, const char *pub_dir, const struct release *reb,
                       const char *reb_dir, const struct compare_report *rep)
{
    struct files_list a = {0}, b = {0};
    _cleanup_free_ char *why = NULL;
    if (load_files(pub, pub_dir, &a, &why) < 0 || load_files(reb, reb_dir, &b, &why) < 0)
        rep->no_file_list(why, rep->ctx);
    else
        files_diff(&a, &b, rep->file, rep->ctx);
    files_list_free(&a);
    files_list_free(&b);
}

int release_compare(const char *published_json, const char *rebuilt_dir, const struct compare_report *rep)
{
    struct release pub, reb;
    _cleanup_free_ char *reb_json = xasprintf("%s/%s", rebuilt_dir, RELEASE_FILE);
    int rc = release_load(published_json, &pub);
    if (rc < 0)
        return rc;
    if ((rc = release_load(reb_json, &reb)) < 0) {
        release_free(&pub);
        return rc;
    }
    _cleanup_free_ char *copy = xstrdup(published_json);
    const char *pub_dir = dirname(copy);
    /* release_parse sorts both lists by name: merge them */
    int differ = 0;
    bool image_differs = false;
    for (size_t i = 0, k = 0; i < pub.nartifacts || k < reb.nartifacts;) {
        const struct release_artifact *a = i < pub.nartifacts ? &pub.artifacts[i] : NULL;
        const struct release_artifact *b = k < reb.nartifacts ? &reb.artifacts[k] : NULL;
        int c = !a ? 1 : !b ? -1 : strcmp(a->name, b->name);
        if (c < 0)
            b = NULL, i++;
        else if (c > 0)
            a = NULL, k++;
        else
            i++, k++;
        rep->artifact(a ? a->name : b->name, a ? a->sha256 : NULL, b ? b->sha256 : NULL, rep->ctx);
        bool same = a && b && !strcmp(a->sha256, b->sha256);
        differ += !same;
        if (!same && a && b && !strcmp(a->name, pub.image))
            image_differs = true;
    }
    if (image_differs)
        diff_image(&pub, pub_dir, &reb, rebuilt_dir, rep);
    release_free(&pub);
    release_free(&reb);
    return differ;
}
