#include "measure/vcpu_types.h"
#include "common/util.h"

#include <errno.h>

/* The EPYC models of QEMU's builtin_x86_defs, as sev-snp-measure lists them. */
static const struct vcpu_type table[] = {
    {"EPYC", VCPU_SIG(23, 1, 2)},
    {"EPYC-v1", VCPU_SIG(23, 1, 2)},
    {"EPYC-v2", VCPU_SIG(23, 1, 2)},
    {"EPYC-IBPB", VCPU_SIG(23, 1, 2)},
    {"EPYC-v3", VCPU_SIG(23, 1, 2)},
    {"EPYC-v4", VCPU_SIG(23, 1, 2)},
    {"EPYC-Rome", VCPU_SIG(23, 49, 0)},
    {"EPYC-Rome-v1", VCPU_SIG(23, 49, 0)},
    {"EPYC-Rome-v2", VCPU_SIG(23, 49, 0)},
    {"EPYC-Rome-v3", VCPU_SIG(23, 49, 0)},
    {"EPYC-Milan", VCPU_SIG(25, 1, 1)},
    {"EPYC-Milan-v1", VCPU_SIG(25, 1, 1)},
    {"EPYC-Milan-v2", VCPU_SIG(25, 1, 1)},
    {"EPYC-Genoa", VCPU_SIG(25, 17, 0)},
    {"EPYC-Genoa-v1", VCPU_SIG(25, 17, 0)},
    {"EPYC-Turin", VCPU_SIG(26, 0, 0)},
};

uint32_t vcpu_sig(unsigned family, unsigned model, unsigned stepping)
{
    return VCPU_SIG(family, model, stepping);
}

int vcpu_type_sig(const char *name, uint32_t *sig)
{
    for (size_t i = 0; i < ARRAY_SIZE(table); i++)
        if (streq(name, table[i].name)) {
            *sig = table[i].sig;
            return 0;
        }
    return -ENOENT;
}

const struct vcpu_type *vcpu_types(size_t *count)
{
    *count = ARRAY_SIZE(table);
    return table;
}
