/* Booting a built guest under QEMU (TCG: no KVM needed): the kernel, the
 * disk as a read-only virtio-blk device, the image's command line, the
 * serial console captured to a file; success is the guest's init printing
 * its ready marker at the start of a console line. */
#ifndef GUESTIMG_BOOT_H
#define GUESTIMG_BOOT_H

#include "common/spawn.h"

#include <stdbool.h>

#define BOOT_QEMU "qemu-system-x86_64"
#define BOOT_MARKER "GUESTIMG-BOOT-OK"

/* A guest directory's files: bzImage (or vmlinuz), kata-containers.img,
 * cmdline.txt. */
#define BOOT_DISK_NAME "kata-containers.img"
#define BOOT_CMDLINE_NAME "cmdline.txt"

struct boot_opts {
    const char *kernel;       /* bzImage (or an ELF vmlinux with a PVH note) */
    const char *disk;         /* raw disk image */
    const char *cmdline;      /* the image's kernel arguments (dm-mod.create=…, root=…) */
    const char *console_log;  /* the serial console goes here (written atomically at the end) */
    const char *marker;       /* BOOT_MARKER unless set */
    unsigned timeout_s;       /* whole boot, from start to marker */
    unsigned memory_mib;
};

struct boot_result {
    bool ran;                 /* QEMU was started and console_log written */
    bool marker_seen;
    char *marker_line;        /* the console line that carried the marker */
    double seconds;           /* from starting QEMU to the marker (or its end) */
    struct spawn_result qemu;
};

/* The files of a guest directory that the caller asks for (a NULL pointer:
 * not needed); *kernel is bzImage or else vmlinuz. A missing file is an
 * error naming it and the option that replaces it. Results are allocated
 * (the caller frees them, also after an error). */
int boot_dir_files(const char *dir, char **kernel, char **disk, char **cmdline_file);
/* cmdline.txt's text, one line, trailing newline removed. */
int boot_read_cmdline(const char *path, char **cmdline);

/* Boot and wait for the marker. 0 when it appeared. Otherwise an error
 * saying how QEMU ended and quoting the console line that explains it best
 * (a panic, a verity error); the whole console is in console_log. */
int boot_guest(const struct boot_opts *o, struct boot_result *res);
void boot_result_free(struct boot_result *res);

/* The last n lines of a console log, for showing after a failure. */
char *boot_console_tail(const char *console_log, unsigned n);

#endif
