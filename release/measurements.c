/* Launch measurements through measure/: see measurements.h. */
#include "release/measurements.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"
#include "measure/measure.h"
#include "measure/vcpu_types.h"

#include <errno.h>
#include <string.h>

/* The firmware in memory, read once for every combination. */
struct firmware {
    const char *path;
    uint8_t *data;
    size_t size;
};

/* Parameters shared by every vCPU count of one (VMM, vCPU type). */
static int base_params(struct measure_params *mp, const struct firmware *fw, const char *vmm, const char *vcpu_type,
                       uint64_t guest_features, const char *kernel, const char *initrd, const char *cmdline,
                       bool *kernel_hashes)
{
    measure_params_init(mp);
    mp->mode = SEV_MODE_SNP;
    mp->ovmf_path = fw->path;
    mp->ovmf_data = fw->data;
    mp->ovmf_size = fw->size;
    mp->guest_features = guest_features;
    if (vmm_type_parse(vmm, &mp->vmm) < 0)
        return err_set(-EINVAL, "unknown VMM type '%s' (QEMU, ec2 or gce)", vmm);
    if (vcpu_type_sig(vcpu_type, &mp->vcpu_sig) < 0)
        return err_set(-EINVAL, "unknown vCPU type '%s'", vcpu_type);
    int r = measure_kernel_hashes_supported(mp, kernel_hashes);
    if (r < 0)
        return r;
    if (*kernel_hashes) {
        mp->kernel_path = kernel;
        mp->initrd_path = initrd;
        mp->append = cmdline;
    }
    return 0;
}

static void fill(struct release_measurement *m, const struct measure_plan *p, const char *vmm,
                 const char *vcpu_type, const struct measure_params *mp, unsigned vcpus, bool kernel_hashes,
                 const uint8_t *digest, size_t len)
{
    m->mode = xstrdup(sev_mode_name(SEV_MODE_SNP));
    m->vmm_type = xstrdup(vmm);
    m->vcpus = vcpus;
    m->vcpu_type = xstrdup(vcpu_type);
    m->vcpu_sig = mp->vcpu_sig;
    m->guest_features = p->guest_features;
    m->firmware_sha256 = xstrdup(p->firmware_sha256);
    m->kernel_hashes = kernel_hashes;
    m->digest = hex_string(digest, len);
}

int release_measure(const struct measure_plan *p, struct release_measurement **out, size_t *n)
{
    struct firmware fw = {.path = p->firmware};
    int r = file_read_all(p->firmware, &fw.data, &fw.size, OVMF_FOUR_GIB);
    if (r < 0)
        return r;
    size_t total = p->nvmm_types * p->nvcpu_types * p->nvcpus, k = 0;
    struct release_measurement *v = xcalloc(total ? total : 1, sizeof(*v));
    for (size_t i = 0; r == 0 && i < p->nvmm_types; i++)
        for (size_t t = 0; r == 0 && t < p->nvcpu_types; t++) {
            struct measure_params mp;
            bool kh;
            struct measure_ctx *ctx = NULL;
            r = base_params(&mp, &fw, p->vmm_types[i], p->vcpu_types[t], p->guest_features, p->kernel,
                            p->initrd, p->cmdline, &kh);
            if (r == 0)
                r = measure_open(&ctx, &mp);
            for (size_t c = 0; r == 0 && c < p->nvcpus; c++) {
                uint8_t d[MEASURE_DIGEST_MAX];
                size_t len;
                r = measure_digest(ctx, p->vcpus[c], d, &len);
                if (r == 0)
                    fill(&v[k++], p, p->vmm_types[i], p->vcpu_types[t], &mp, p->vcpus[c], kh, d, len);
            }
            if (ctx)
                measure_close(ctx);
        }
    free(fw.data);
    if (r < 0) {
        release_measurements_free(v, k);
        return r;
    }
    *out = v;
    *n = k;
    return 0;
}

int release_remeasure(const struct release_measurement *m, const char *firmware, const char *kernel,
                      const char *cmdline, char **digest_hex, bool *kernel_hashes)
{
    struct measure_params mp;
    if (strcmp(m->mode, sev_mode_name(SEV_MODE_SNP)))
        return err_set(-EINVAL, "measurement mode '%s': this guestimg recomputes snp only", m->mode);
    struct firmware fw = {.path = firmware};   /* one measurement: read by the measure library */
    int r = base_params(&mp, &fw, m->vmm_type, m->vcpu_type, m->guest_features, kernel, NULL, cmdline,
                        kernel_hashes);
    if (r < 0)
        return r;
    if (mp.vcpu_sig != m->vcpu_sig)
        return err_set(-EINVAL, "vCPU type %s has signature 0x%x, not the recorded 0x%llx", m->vcpu_type,
                       mp.vcpu_sig, (unsigned long long)m->vcpu_sig);
    mp.vcpus = (unsigned)m->vcpus;
    uint8_t d[MEASURE_DIGEST_MAX];
    size_t len;
    if ((r = measure_launch_digest(&mp, d, &len)) < 0)
        return r;
    *digest_hex = hex_string(d, len);
    return 0;
}

void release_measurements_free(struct release_measurement *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].mode);
        free(v[i].vmm_type);
        free(v[i].vcpu_type);
        free(v[i].firmware_sha256);
        free(v[i].digest);
    }
    free(v);
}
