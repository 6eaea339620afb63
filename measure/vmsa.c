#include "measure/vmsa.h"
#include "common/le.h"

#include <string.h>

/* Segment registers: {u16 selector, u16 attributes, u32 limit, u64 base}. */
enum {
    VMSA_ES = 0x000,
    VMSA_CS = 0x010,
    VMSA_SS = 0x020,
    VMSA_DS = 0x030,
    VMSA_FS = 0x040,
    VMSA_GS = 0x050,
    VMSA_GDTR = 0x060,
    VMSA_LDTR = 0x070,
    VMSA_IDTR = 0x080,
    VMSA_TR = 0x090,
    VMSA_EFER = 0x0d0,
    VMSA_CR4 = 0x148,
    VMSA_CR0 = 0x158,
    VMSA_DR7 = 0x160,
    VMSA_DR6 = 0x168,
    VMSA_RFLAGS = 0x170,
    VMSA_RIP = 0x178,
    VMSA_G_PAT = 0x268,
    VMSA_RDX = 0x310,
    VMSA_SEV_FEATURES = 0x3b0,
    VMSA_XCR0 = 0x3e8,
    VMSA_MXCSR = 0x408,  /* u32 */
    VMSA_X87_FCW = 0x410 /* u16 */
};

/* Reset values common to every VMM. */
#define EFER_SVME 0x1000        /* KVM sets EFER.SVME */
#define CR4_MCE 0x40            /* KVM sets CR4.MCE */
#define DR7_RESET 0x400
#define DR6_RESET 0xffff0ff0
#define RFLAGS_RESET 0x2
#define XCR0_RESET 0x1
#define PAT_RESET 0x0007040600070406ULL /* APM vol. 2, A.3 */
#define MXCSR_RESET 0x1f80
#define FCW_RESET 0x37f
/* EC2 and GCE report family 6 in RDX whatever the vCPU type. */
#define RDX_EC2_GCE 0x600
#define PAT_GCE 0x00070106ULL

static void put_seg(uint8_t *page, unsigned off, uint16_t sel, uint16_t attr, uint32_t limit,
                    uint64_t base)
{
    put_le16(page + off, sel);
    put_le16(page + off + 2, attr);
    put_le32(page + off + 4, limit);
    put_le64(page + off + 8, base);
}

/* Registers both kinds of VMSA set the same way. */
static void put_common(uint8_t *page, uint64_t cr0, uint64_t rip, uint64_t g_pat, uint64_t rdx,
                       uint64_t sev_features)
{
    put_seg(page, VMSA_GDTR, 0, 0, 0xffff, 0);
    put_seg(page, VMSA_IDTR, 0, 0, 0xffff, 0);
    put_seg(page, VMSA_LDTR, 0, 0x82, 0xffff, 0);
    put_le64(page + VMSA_EFER, EFER_SVME);
    put_le64(page + VMSA_CR4, CR4_MCE);
    put_le64(page + VMSA_CR0, cr0);
    put_le64(page + VMSA_DR7, DR7_RESET);
    put_le64(page + VMSA_DR6, DR6_RESET);
    put_le64(page + VMSA_RFLAGS, RFLAGS_RESET);
    put_le64(page + VMSA_RIP, rip);
    put_le64(page + VMSA_G_PAT, g_pat);
    put_le64(page + VMSA_RDX, rdx);
    put_le64(page + VMSA_SEV_FEATURES, sev_features);
    put_le64(page + VMSA_XCR0, XCR0_RESET);
}

void vmsa_build(uint8_t page[VMSA_PAGE_SIZE], uint32_t eip, uint64_t sev_features,
                uint32_t vcpu_sig, enum vmm_type vmm)
{
    uint16_t cs_attr = 0x9b, ss_attr = 0x93, tr_attr = 0x8b;
    uint64_t g_pat = PAT_RESET, rdx = RDX_EC2_GCE;
    uint32_t mxcsr = 0;
    uint16_t fcw = 0;
    switch (vmm) {
    case VMM_QEMU:
        rdx = vcpu_sig;
        mxcsr = MXCSR_RESET;
        fcw = FCW_RESET;
        break;
    case VMM_EC2:
        /* EC2 leaves the accessed bit clear on the BSP's code segment. */
        if (eip == VMSA_BSP_EIP)
            cs_attr = 0x9a;
        ss_attr = 0x92;
        tr_attr = 0x83;
        break;
    case VMM_GCE:
        g_pat = PAT_GCE;
        break;
    }
    memset(page, 0, VMSA_PAGE_SIZE);
    put_seg(page, VMSA_ES, 0, 0x93, 0xffff, 0);
    put_seg(page, VMSA_CS, 0xf000, cs_attr, 0xffff, eip & 0xffff0000u);
    put_seg(page, VMSA_SS, 0, ss_attr, 0xffff, 0);
    put_seg(page, VMSA_DS, 0, 0x93, 0xffff, 0);
    put_seg(page, VMSA_FS, 0, 0x93, 0xffff, 0);
    put_seg(page, VMSA_GS, 0, 0x93, 0xffff, 0);
    put_seg(page, VMSA_TR, 0, tr_attr, 0xffff, 0);
    put_common(page, 0x10, eip & 0xffff, g_pat, rdx, sev_features);
    put_le32(page + VMSA_MXCSR, mxcsr);
    put_le16(page + VMSA_X87_FCW, fcw);
}

void vmsa_build_svsm(uint8_t page[VMSA_PAGE_SIZE], uint64_t eip, uint64_t sev_features,
                     uint32_t vcpu_sig)
{
    memset(page, 0, VMSA_PAGE_SIZE);
    /* Flat 32-bit segments: code selector 8, data selector 16. */
    put_seg(page, VMSA_ES, 16, 0xc93, 0xffffffff, 0);
    put_seg(page, VMSA_CS, 8, 0xc9b, 0xffffffff, 0);
    put_seg(page, VMSA_SS, 16, 0xc93, 0xffffffff, 0);
    put_seg(page, VMSA_DS, 16, 0xc93, 0xffffffff, 0);
    put_seg(page, VMSA_FS, 16, 0xc93, 0xffffffff, 0);
    put_seg(page, VMSA_GS, 0, 0x93, 0xffff, 0);
    put_seg(page, VMSA_TR, 0, 0x8b, 0xffff, 0);
    put_common(page, 0x11 /* PE */, eip, PAT_RESET, vcpu_sig, sev_features);
    /* sev-snp-measure 0.0.13 sets MXCSR but leaves the x87 control word 0
     * for SVSM vCPUs; the published SVSM digests depend on it. */
    put_le32(page + VMSA_MXCSR, MXCSR_RESET);
}
