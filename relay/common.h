/*
 * common.h — owns the few macros every module shares: attributes, array
 * length, free-and-NULL. It includes nothing of the project and declares no
 * functions, so that any module can be linked and tested alone.
 */
#ifndef RELAY48_COMMON_H
#define RELAY48_COMMON_H

#include <stdlib.h>

/* A fallible call whose result must be looked at. */
#define RELAY_MUSTCHECK __attribute__((warn_unused_result))
/* printf-style argument checking. */
#define RELAY_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#define RELAY_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Free a pointer and leave NULL behind, so a second free is harmless. */
#define RELAY_FREE(p)                                                                              \
    do {                                                                                           \
        free(p);                                                                                   \
        (p) = NULL;                                                                                \
    } while (0)

#endif
