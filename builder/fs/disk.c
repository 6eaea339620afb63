/* The kata disk layout: an msdos partition table and two partitions (see
 * disk.h); the filesystem and the hash tree are written in place. */
#include "builder/fs/disk.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define MBR_PART_TABLE 446
#define MBR_PART_LINUX 0x83

void disk_kata_layout(uint64_t fs_bytes, uint64_t hash_bytes, uint32_t disk_id, struct disk_layout *l)
{
    memset(l, 0, sizeof(*l));
    l->disk_id = disk_id;
    l->p1_offset = DISK_ALIGN;
    l->p1_size = fs_bytes;
    l->p2_offset = ALIGN_UP(l->p1_offset + fs_bytes, DISK_ALIGN);
    l->p2_size = hash_bytes;
    l->disk_size = ALIGN_UP(hash_bytes ? l->p2_offset + hash_bytes : l->p2_offset, DISK_ALIGN);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Cylinder/head/sector address for the 255-head, 63-sector geometry fdisk
 * assumes; past cylinder 1023 the field saturates, as the spec says. */
static void chs(uint64_t lba, uint8_t out[3])
{
    uint64_t c = lba / (255 * 63), h = (lba / 63) % 255, s = lba % 63 + 1;
    if (c > 1023) {
        c = 1023;
        h = 254;
        s = 63;
    }
    out[0] = (uint8_t)h;
    out[1] = (uint8_t)(s | ((c >> 2) & 0xc0));
    out[2] = (uint8_t)c;
}

static void mbr_entry(uint8_t *e, uint64_t offset, uint64_t size)
{
    uint64_t first = offset / DISK_SECTOR, count = size / DISK_SECTOR;
    e[0] = 0;   /* not bootable: the kernel is loaded directly */
    chs(first, e + 1);
    e[4] = MBR_PART_LINUX;
    chs(first + count - 1, e + 5);
    put_le32(e + 8, (uint32_t)first);
    put_le32(e + 12, (uint32_t)count);
}

void disk_mbr(const struct disk_layout *l, uint8_t mbr[DISK_SECTOR])
{
    memset(mbr, 0, DISK_SECTOR);
    put_le32(mbr + 440, l->disk_id);
    mbr_entry(mbr + MBR_PART_TABLE, l->p1_offset, l->p1_size);
    if (l->p2_size)
        mbr_entry(mbr + MBR_PART_TABLE + 16, l->p2_offset, l->p2_size);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
}

int disk_write_label(int fd, const char *name, const struct disk_layout *l)
{
    uint8_t mbr[DISK_SECTOR];
    disk_mbr(l, mbr);
    if (ftruncate(fd, (off_t)l->disk_size) < 0)
        return err_sys(-errno, "%s: cannot size the disk", name);
    if (pwrite(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
        return err_sys(-errno, "%s: write failed", name);
    return 0;
}
