/* jsontree.c — shared walks over parsed JSON; see jsontree.h. */
#include "jsontree.h"

#include <string.h>

#include "card.h"

static int depth_ok(json_t *j, int level, int max_depth)
{
    if (level > max_depth)
        return 0;
    if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            if (!depth_ok(v, level + 1, max_depth))
                return 0;
        }
    } else {
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (!depth_ok(json_array_get(j, i), level + 1, max_depth))
                return 0;
        }
    }
    return 1;
}

int jsontree_depth_ok(json_t *j, int max_depth)
{
    return depth_ok(j, 1, max_depth);
}

void jsontree_wipe(json_t *j)
{
    const char *key;
    json_t *v;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        json_object_foreach(j, key, v) jsontree_wipe(v);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(j); i++)
            jsontree_wipe(json_array_get(j, i));
        break;
    case JSON_STRING:
        explicit_bzero((char *)json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        (void)json_integer_set(j, 0);
        break;
    case JSON_REAL:
        (void)json_real_set(j, 0);
        break;
    default:
        break;
    }
}

void jsontree_member_pointer(const char *key, char *out, size_t out_size)
{
    size_t n = 0;
    out[0] = '\0';
    if (card_looks_like_pan(key) || strlen(key) > 200 || out_size < 2 * 200 + 2)
        return;
    out[n++] = '/';
    for (const char *k = key; *k; k++) {
        if (*k == '~' || *k == '/') {
            out[n++] = '~';
            out[n++] = *k == '~' ? '0' : '1';
        } else {
            out[n++] = *k;
        }
    }
    out[n] = '\0';
    /* Escaping can make one: "/" + "1497..." is "~1497...". */
    if (card_looks_like_pan(out))
        out[0] = '\0';
}
