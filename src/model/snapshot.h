/*
 * snapshot.h — the model as canonical JSON (format tag pgwarden.snapshot/1)
 * and back.  docs/snapshot.md documents every field.
 *
 * Canonical means: objects in model order (model_sort), keys in one fixed
 * order per kind, two-space indentation, one key per line, arrays of plain
 * strings on one line, UTF-8 as is, integers exact.  Two snapshots of the
 * same schema are byte-identical; with stable = true everything that
 * changes without a schema change (capture time, sizes, estimates, row
 * counts, oids, the database and user names) is left out.
 *
 * One field list per kind drives both the writer and the reader, so a
 * snapshot loaded and written again gives the same bytes.
 */
#ifndef PGW_SNAPSHOT_H
#define PGW_SNAPSHOT_H

#include <stdbool.h>

#include "model/model.h"
#include "util/mem.h"

#define PGW_SNAPSHOT_FORMAT "pgwarden.snapshot/1"

/* Appends the snapshot of m to out (ends with a newline). */
void		snapshot_write(const struct pgw_model *m, bool stable, struct pgw_buf *out);

/*
 * Loads a snapshot into m (initialised by the caller, empty).  name is used
 * in messages.  Returns 0, or -1 with a PGW_ERR_INPUT error naming the file,
 * line and column (malformed JSON) or the field (wrong shape or format tag).
 * The loaded model records whether it was stable in *stable (may be NULL).
 */
int			snapshot_read_text(const char *name, const char *text, size_t len,
							   struct pgw_model *m, bool *stable);
int			snapshot_read_file(const char *path, struct pgw_model *m, bool *stable);

/*
 * The binary form of a model, for the snapshot cache (catalog/cache.c): the
 * same field tables, but every field whatever its flags, every object's
 * whole header (oids included) and what the JSON leaves out (a column's
 * attnum, a composite type's relid), with length-prefixed strings.  It
 * loads several times faster than the JSON.  Not an interchange format:
 * host byte order, read back only by the build that wrote it (the cache
 * checks the build id and a SHA-256 of the body before trusting it).
 * snapshot_read_binary copies data once into m's arena and points every
 * string into that copy; returns 0, or -1 (PGW_ERR_INPUT) for a body that
 * is not one or is damaged (m may then be half filled: release it).
 */
void		snapshot_write_binary(const struct pgw_model *m, struct pgw_buf *out);
int			snapshot_read_binary(const char *name, const char *data, size_t len,
								 struct pgw_model *m);

#endif
