/* RPM lead/signature/header reader on arbitrary bytes, and the capability
 * text of every file it accepts. */
#include "builder/packages/rpm.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rpm_package p;
    if (rpm_read_mem(data, size, "fuzz.rpm", &p) < 0)
        return 0;
    uint8_t xattr[20];
    for (size_t i = 0; i < p.nfiles; i++) {
        if (p.files[i].caps)
            rpm_caps_to_xattr(p.files[i].caps, p.files[i].path, xattr);
        rpm_find_file(&p, p.files[i].path);
    }
    rpm_package_free(&p);
    return 0;
}
