/* pbjson: protobuf-c messages to and from JSON (jansson), by reflection over
 * the generated descriptors, so that no message needs hand-written glue.
 * Pure code, shared by the daemon (requests to the SQL functions and their
 * answers back) and the client (input files, --format json).
 *
 * The mapping, fixed because SQL functions and documented files rely on it:
 * - keys are the proto field names (snake_case);
 * - string, bool and integer fields map to JSON strings, booleans and numbers
 *   (64-bit integers too; on input a decimal string is also accepted);
 * - enums map to the value name in lower case without the prefix all values
 *   of the enum share (ASSESSMENT_STATUS_APPROVED -> "approved");
 * - repeated fields map to arrays, messages to objects, an unset message to
 *   null; encoding writes every field, defaults included;
 * - bytes, float and double fields are not supported (none exist in vigil.v1). */
#ifndef VIGIL_PBJSON_H
#define VIGIL_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* Encodes m. Returns a new reference, or NULL when out of memory or m holds
 * an unsupported field type. */
json_t *pbjson_encode(const ProtobufCMessage *m);

/* Decodes the object j into a new message of type d. Strict: an unknown key,
 * a value of the wrong type or range, or an unknown enum name fails with the
 * JSON path in err, e.g. "methodology.indicators[3].weight: expected an
 * integer". Missing keys and nulls keep the proto3 defaults. On success *out
 * is owned by the caller: protobuf_c_message_free_unpacked(*out, NULL). */
bool pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
                   char *err, size_t cap);

/* The JSON name of an enum value (see above) into buf (cap bytes). Returns
 * false for a value the enum does not define. */
bool pbjson_enum_name(const ProtobufCEnumDescriptor *e, int value, char *buf, size_t cap);

/* The value of a JSON enum name (also accepts the full proto name). */
bool pbjson_enum_value(const ProtobufCEnumDescriptor *e, const char *name, int *value);

#endif
