/* pbjson: reflection-driven JSON mapping of protobuf-c messages (see pbjson.h). */
#include "pbjson.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- enums --- */

/* Length of the prefix every value name shares, cut after its last '_'. */
static size_t enum_prefix_len(const ProtobufCEnumDescriptor *e)
{
    if (e->n_values < 2)
        return 0;
    size_t n = strlen(e->values[0].name);
    for (unsigned i = 1; i < e->n_values; i++) {
        size_t k = 0;
        while (k < n && e->values[i].name[k] == e->values[0].name[k])
            k++;
        n = k;
    }
    while (n > 0 && e->values[0].name[n - 1] != '_')
        n--;
    return n;
}

bool pbjson_enum_name(const ProtobufCEnumDescriptor *e, int value, char *buf, size_t cap)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(e, value);
    if (v == NULL || cap == 0)
        return false;
    const char *s = v->name + enum_prefix_len(e);
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[i] = '\0';
    return true;
}

bool pbjson_enum_value(const ProtobufCEnumDescriptor *e, const char *name, int *value)
{
    size_t skip = enum_prefix_len(e);
    for (unsigned i = 0; i < e->n_values; i++) {
        if (strcasecmp(e->values[i].name + skip, name) == 0 ||
            strcmp(e->values[i].name, name) == 0) {
            *value = e->values[i].value;
            return true;
        }
    }
    return false;
}

/* --- encoding --- */

static json_t *encode_value(const ProtobufCFieldDescriptor *f, const void *p)
{
    char name[128];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_integer((json_int_t) * (const uint64_t *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        if (!pbjson_enum_name(f->descriptor, *(const int *)p, name, sizeof(name)))
            return json_integer(*(const int *)p); /* a value from a newer peer */
        return json_string(name);
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return json_string(s ? s : "");
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? pbjson_encode(m) : json_null();
    }
    default:
        return NULL;
    }
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

static json_t *encode_repeated(const ProtobufCFieldDescriptor *f, const char *base)
{
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(char *const *)(base + f->offset);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *v = encode_value(f, arr + i * elem_size(f->type));
        if (v == NULL || json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *pbjson_encode(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    json_t *o = json_object();

    for (unsigned i = 0; o && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_t *v = f->label == PROTOBUF_C_LABEL_REPEATED ? encode_repeated(f, base)
                                                          : encode_value(f, base + f->offset);
        if (v == NULL || json_object_set_new(o, f->name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* --- decoding --- */

struct dec {
    char *err;
    size_t cap;
    char path[512]; /* JSON path of the value being decoded */
};

static bool fail(struct dec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct dec *x, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(x->err, x->cap, "%s%s%s", x->path, x->path[0] ? ": " : "", msg);
    return false;
}

static bool get_int(struct dec *x, const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
    } else if (json_is_string(v)) {
        char *end;
        errno = 0;
        long long n = strtoll(json_string_value(v), &end, 10);
        if (errno || end == json_string_value(v) || *end)
            return fail(x, "expected an integer");
        *out = n;
    } else {
        return fail(x, "expected an integer");
    }
    if (*out < lo || *out > hi)
        return fail(x, "integer %" PRId64 " out of range", *out);
    return true;
}

static bool decode_message(struct dec *x, const json_t *j, const ProtobufCMessageDescriptor *d,
                           ProtobufCMessage **out);

/* Decodes one value of field f into p (an element or the field itself). */
static bool decode_value(struct dec *x, const ProtobufCFieldDescriptor *f, const json_t *v, void *p)
{
    int64_t n;
    int e;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!get_int(x, v, INT32_MIN, INT32_MAX, &n))
            return false;
        *(int32_t *)p = (int32_t)n;
        return true;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (!get_int(x, v, 0, UINT32_MAX, &n))
            return false;
        *(uint32_t *)p = (uint32_t)n;
        return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (!get_int(x, v, INT64_MIN, INT64_MAX, &n))
            return false;
        *(int64_t *)p = n;
        return true;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (!get_int(x, v, 0, INT64_MAX, &n))
            return false;
        *(uint64_t *)p = (uint64_t)n;
        return true;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(x, "expected true or false");
        *(protobuf_c_boolean *)p = json_is_true(v);
        return true;
    case PROTOBUF_C_TYPE_ENUM:
        if (json_is_integer(v) && protobuf_c_enum_descriptor_get_value(
                                      f->descriptor, (int)json_integer_value(v)) != NULL) {
            *(int *)p = (int)json_integer_value(v);
            return true;
        }
        if (!json_is_string(v) || !pbjson_enum_value(f->descriptor, json_string_value(v), &e))
            return fail(x, "unknown value %s%s%s", json_is_string(v) ? "\"" : "",
                        json_is_string(v) ? json_string_value(v) : "(not a string)",
                        json_is_string(v) ? "\"" : "");
        *(int *)p = e;
        return true;
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v))
            return fail(x, "expected a string");
        *(char **)p = strdup(json_string_value(v));
        return *(char **)p != NULL || fail(x, "out of memory");
    case PROTOBUF_C_TYPE_MESSAGE:
        return decode_message(x, v, f->descriptor, (ProtobufCMessage **)p);
    default:
        return fail(x, "field type not supported");
    }
}

/* Appends "[i]" or ".name" to the path; returns the old length to restore. */
static size_t path_push(struct dec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(struct dec *x, const char *fmt, ...)
{
    size_t old = strlen(x->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->path + old, sizeof(x->path) - old, fmt, ap);
    va_end(ap);
    return old;
}

static bool decode_repeated(struct dec *x, const ProtobufCFieldDescriptor *f, const json_t *v,
                            char *base)
{
    size_t n = json_array_size(v), size = elem_size(f->type);
    size_t *count = (size_t *)(base + f->quantifier_offset);
    char **arr = (char **)(base + f->offset);

    if (!json_is_array(v))
        return fail(x, "expected an array");
    if (n == 0)
        return true;
    *arr = calloc(n, size);
    if (*arr == NULL)
        return fail(x, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t old = path_push(x, "[%zu]", i);
        if (json_is_null(json_array_get(v, i)))
            return fail(x, "null is not allowed in an array");
        /* Counted before it is filled, so that free_unpacked also frees a
         * half-decoded element (zeroed elements are safe to free). */
        *count = i + 1;
        bool ok = decode_value(x, f, json_array_get(v, i), *arr + i * size);
        x->path[old] = '\0';
        if (!ok)
            return false;
    }
    return true;
}

static bool decode_message(struct dec *x, const json_t *j, const ProtobufCMessageDescriptor *d,
                           ProtobufCMessage **out)
{
    const char *key;
    json_t *v;

    if (!json_is_object(j))
        return fail(x, "expected an object");
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m == NULL)
        return fail(x, "out of memory");
    protobuf_c_message_init(d, m);
    *out = m;
    json_object_foreach((json_t *)j, key, v)
    {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        size_t old = path_push(x, "%s%s", x->path[0] ? "." : "", key);
        bool ok;
        if (f == NULL)
            ok = fail(x, "unknown field");
        else if (json_is_null(v))
            ok = true;
        else if (f->label == PROTOBUF_C_LABEL_REPEATED)
            ok = decode_repeated(x, f, v, (char *)m);
        else
            ok = decode_value(x, f, v, (char *)m + f->offset);
        x->path[old] = '\0';
        if (!ok)
            return false;
    }
    return true;
}

bool pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                   char *err, size_t cap)
{
    struct dec x = {err, cap, ""};
    ProtobufCMessage *m = NULL;

    if (!decode_message(&x, j, d, &m)) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        *out = NULL;
        return false;
    }
    *out = m;
    return true;
}
