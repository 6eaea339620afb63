/* EFI GUIDs as they are stored in firmware: the first three fields
 * little-endian, the last eight bytes in order. GUID_LE(0x96b582de, 0x1fb2,
 * 0x45f7, 0xba, 0xea, …) spells 96b582de-1fb2-45f7-baea-… */
#ifndef GUESTIMG_MEASURE_GUID_H
#define GUESTIMG_MEASURE_GUID_H

#include <stdint.h>

#define GUID_LEN 16
#define GUID_LE(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)                                  \
    {                                                                                   \
        (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16), (uint8_t)((a) >> 24),  \
            (uint8_t)(b), (uint8_t)((b) >> 8), (uint8_t)(c), (uint8_t)((c) >> 8), d0, d1, \
            d2, d3, d4, d5, d6, d7                                                      \
    }

#endif
