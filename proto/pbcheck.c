/* pbcheck: string validation over the protobuf wire format (see pbcheck.h). */
#include "pbcheck.h"

#include <stdio.h>
#include <string.h>

bool pbcheck_utf8(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

static bool varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

struct walk {
    char *err;
    size_t cap;
    char path[512];
};

static bool fail(struct walk *w, const char *why)
{
    snprintf(w->err, w->cap, "%s%s%s", w->path, w->path[0] ? ": " : "", why);
    return false;
}

static bool walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                         size_t len, int depth);

/* One length-delimited field: a string to check or a message to enter. */
static bool check_field(struct walk *w, const ProtobufCFieldDescriptor *f, unsigned *count,
                        const uint8_t *v, size_t n, int depth)
{
    size_t old = strlen(w->path);
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        snprintf(w->path + old, sizeof(w->path) - old, "%s%s[%u]", old ? "." : "", f->name,
                 (*count)++);
    else
        snprintf(w->path + old, sizeof(w->path) - old, "%s%s", old ? "." : "", f->name);
    bool ok = true;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        if (memchr(v, 0, n) != NULL)
            ok = fail(w, "contains a NUL byte");
        else if (!pbcheck_utf8(v, n))
            ok = fail(w, "is not valid UTF-8");
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ok = walk_message(w, f->descriptor, v, n, depth + 1);
    }
    w->path[old] = '\0';
    return ok;
}

static bool walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                         size_t len, int depth)
{
    unsigned counts[64] = {0}; /* occurrences of each repeated field, by field index */
    size_t pos = 0;
    uint64_t key, n;

    if (depth > 32)
        return fail(w, "message nested too deeply");
    while (pos < len) {
        if (!varint(p, len, &pos, &key))
            return fail(w, "malformed message");
        switch (key & 7) {
        case 0:
            if (!varint(p, len, &pos, &n))
                return fail(w, "malformed message");
            break;
        case 1:
        case 5:
            pos += (key & 7) == 1 ? 8 : 4;
            break;
        case 2: {
            if (!varint(p, len, &pos, &n) || n > len - pos)
                return fail(w, "malformed message");
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
            unsigned idx = f ? (unsigned)(f - d->fields) : 0;
            if (f && !check_field(w, f, &counts[idx < 64 ? idx : 63], p + pos, n, depth))
                return false;
            pos += n;
            break;
        }
        default:
            return fail(w, "malformed message");
        }
        if (pos > len)
            return fail(w, "malformed message");
    }
    return true;
}

bool pbcheck_strings(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                     char *err, size_t cap)
{
    struct walk w = {err, cap, ""};
    return walk_message(&w, d, data, len, 0);
}
