/* Disk layouts around a filesystem image and its dm-verity hash tree.
 *   raw:  IMAGE is the filesystem; the hash tree is a separate file.
 *   kata: one disk with an msdos label: partition 1 (0x83) at 1 MiB holds
 *         the filesystem, partition 2 (0x83) at the next MiB boundary holds
 *         the hash tree (no superblock), as Kata's runtime expects them at
 *         /dev/vda1 and /dev/vda2. The disk ends on a MiB boundary. */
#ifndef GUESTIMG_DISK_H
#define GUESTIMG_DISK_H

#include <stdint.h>

#define DISK_SECTOR 512
#define DISK_ALIGN (1024 * 1024)

struct disk_layout {
    uint32_t disk_id;                   /* MBR disk identifier (offset 440) */
    uint64_t p1_offset, p1_size;        /* bytes */
    uint64_t p2_offset, p2_size;        /* p2_size 0: no second partition */
    uint64_t disk_size;
};

void disk_kata_layout(uint64_t fs_bytes, uint64_t hash_bytes, uint32_t disk_id, struct disk_layout *l);
/* The 512-byte master boot record for the layout. */
void disk_mbr(const struct disk_layout *l, uint8_t mbr[DISK_SECTOR]);
/* Size the disk file fd to l->disk_size and write its MBR; the partitions'
 * contents are the caller's (written in place). name is for messages. */
int disk_write_label(int fd, const char *name, const struct disk_layout *l);

#endif
