/* .deb reading: the input both as a control file and as a whole package
 * (ar archive, control.tar member, control file) through a memfd. */
#include "builder/packages/deb.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct deb_info d;
    if (deb_parse_control((const char *)data, size, "fuzz", &d) == 0)
        deb_info_free(&d);
    int fd = memfd_create("fuzz.deb", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size && deb_read_info(fd, "fuzz.deb", &d) == 0)
        deb_info_free(&d);
    close(fd);
    return 0;
}
