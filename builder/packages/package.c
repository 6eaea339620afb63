/* struct package_set: what the package sources hand to the SBOM and lock. */
#include "builder/packages/package.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

void package_clear(struct package *p)
{
    free(p->name);
    free(p->version);
    free(p->release);
    free(p->arch);
    free(p->license);
    free(p->source);
    free(p->vendor);
    free(p->url);
    free(p->summary);
    free(p->repo);
    free(p->location);
    for (size_t j = 0; j < p->ndepends; j++)
        free(p->depends[j]);
    free(p->depends);
    memset(p, 0, sizeof(*p));
}

void package_set_free(struct package_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        package_clear(&s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

char *package_evr(const struct package *p)
{
    const char *rel = p->release && *p->release ? p->release : NULL;
    if (p->epoch)
        return rel ? xasprintf("%u:%s-%s", p->epoch, p->version, rel)
                   : xasprintf("%u:%s", p->epoch, p->version);
    return rel ? xasprintf("%s-%s", p->version, rel) : xstrdup(p->version);
}
