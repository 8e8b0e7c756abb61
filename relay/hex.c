/* hex.c — hexadecimal text of bytes; see hex.h. */
#include "hex.h"

#include <stdint.h>
#include <string.h>

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int hex_decode(const char *hex, unsigned char *out, size_t out_size, size_t *out_len)
{
    if (!hex)
        return -1;
    /* strnlen: a text far too long is refused without reading all of it. */
    size_t n = strnlen(hex, out_size < SIZE_MAX / 2 ? 2 * out_size + 1 : SIZE_MAX);
    if (n % 2 || n / 2 > out_size)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return 0;
}
