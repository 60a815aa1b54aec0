/*
 * typescript.h — TypeScript types for a schema model, in the shape
 * `supabase gen types typescript` (postgres-meta's typegen) emits:
 * `Json`, `Database` (per schema Tables / Views / Functions / Enums /
 * CompositeTypes), the helper types Tables<>, TablesInsert<>,
 * TablesUpdate<>, Enums<>, CompositeTypes<> and `Constants`.
 *
 * Deterministic: everything is sorted the way postgres-meta sorts it, so
 * the same model always gives the same bytes.  docs/gen-types.md lists the
 * type mapping and every known difference from the Supabase generator.
 */
#ifndef PGW_GEN_TYPESCRIPT_H
#define PGW_GEN_TYPESCRIPT_H

#include <stdbool.h>

#include "model/model.h"
#include "util/config.h"
#include "util/mem.h"

struct pgw_gen_opts
{
	/* schemas to emit (exact names); empty: "public" */
	const struct pgw_strlist *schemas;
	/* view columns NOT NULL when the view selects a NOT NULL base column
	 * directly (a plain column reference of a one-table view) */
	bool		strict_views;
};

struct pgw_gen_stats
{
	size_t		tables;
	size_t		views;
	size_t		functions;
	size_t		enums;
	size_t		composites;
};

/*
 * Appends the TypeScript module for m to out.  Returns 0, or -1 with a
 * PGW_ERR_INPUT error when a requested schema is not in the model.
 */
int			gen_typescript(const struct pgw_model *m, const struct pgw_gen_opts *o,
						   struct pgw_buf *out, struct pgw_gen_stats *stats);

#endif
