#include "measure/modes.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name, *label;
} modes[] = {
    [SEV_MODE_SEV] = {"sev", "SEV"},
    [SEV_MODE_SEV_ES] = {"seves", "SEV_ES"},
    [SEV_MODE_SNP] = {"snp", "SEV_SNP"},
    [SEV_MODE_SNP_OVMF_HASH] = {"snp:ovmf-hash", "SEV_SNP"},
    [SEV_MODE_SNP_SVSM] = {"snp:svsm", "SEV_SNP_SVSM"},
};

/* sev-snp-measure spells the VMM types this way, case included. */
static const char *const vmm_names[] = {[VMM_QEMU] = "QEMU", [VMM_EC2] = "ec2", [VMM_GCE] = "gce"};

int sev_mode_parse(const char *s, enum sev_mode *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
        if (streq(s, modes[i].name)) {
            *out = (enum sev_mode)i;
            return 0;
        }
    return -EINVAL;
}

int vmm_type_parse(const char *s, enum vmm_type *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(vmm_names); i++)
        if (streq(s, vmm_names[i])) {
            *out = (enum vmm_type)i;
            return 0;
        }
    return -EINVAL;
}

const char *sev_mode_name(enum sev_mode m)
{
    return (size_t)m < ARRAY_SIZE(modes) ? modes[m].name : "?";
}

const char *sev_mode_label(enum sev_mode m)
{
    return (size_t)m < ARRAY_SIZE(modes) ? modes[m].label : "?";
}

const char *vmm_type_name(enum vmm_type v)
{
    return (size_t)v < ARRAY_SIZE(vmm_names) ? vmm_names[v] : "?";
}
