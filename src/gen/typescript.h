/*
 * typescript.h — TypeScript types for a schema model, in the shape
 * `supabase gen types typescript` (postgres-meta's typegen) emits:
 * `Json`, `Database` (per schema Tables / Views / Functions / Enums /
 * CompositeTypes), the helper types Tables<>, TablesInsert<>,
 * TablesUpdate<>, Enums<>, CompositeTypes<> and `Constants`.
 *
 * Also zod schemas (runtime validators) from the same walk: gen_zod.
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

/*
 * Appends a TypeScript module of zod schemas for m to out: `Json` (type
 * and schema), `NonNullJson`, and `Database` with, per schema, Tables and
 * Views ({Row, Insert, Update} as z.object, Insert/Update only for
 * updatable views), Enums (z.enum) and CompositeTypes (z.object), each
 * field nullable / optional exactly where the TypeScript types have
 * `| null` / `?`.  No Functions and no Relationships.  stats->functions
 * stays 0.  Errors as gen_typescript.
 */
int			gen_zod(const struct pgw_model *m, const struct pgw_gen_opts *o,
					struct pgw_buf *out, struct pgw_gen_stats *stats);

#endif
