/*
 * sarif.c — SARIF 2.1.0 rendering of findings (see sarif.h).
 */
#include <stdlib.h>
#include <string.h>

#include "out/sarif.h"
#include "out/out.h"
#include "util/mem.h"

/* SARIF's levels are ours, except that it calls info "note". */
static const char *
level(enum pgw_severity s)
{
	return s == PGW_SEV_INFO ? "note" : severity_name(s);
}

static json_t *
text(const char *s)
{
	return json_pack("{s:s}", "text", s ? s : "");
}

/*
 * The object as a SARIF logical location: its name, and a fully qualified
 * name that goes through its table ("public.orders.orders_tenant_idx"), so
 * a viewer groups a table's findings together.
 */
static json_t *
logical(const struct pgw_finding *f)
{
	json_t	   *l = json_object();
	struct pgw_buf fq;

	buf_init(&fq);
	if (f->object.table && f->object.kind && strcmp(f->object.kind, "table") != 0 &&
		strcmp(f->object.kind, "column") != 0)
	{
		if (f->object.table_schema)
			buf_printf(&fq, "%s.", f->object.table_schema);
		buf_printf(&fq, "%s.", f->object.table);
	}
	else if (f->object.schema)
		buf_printf(&fq, "%s.", f->object.schema);
	buf_append(&fq, f->object.name);
	if (f->object.column)
		buf_printf(&fq, ".%s", f->object.column);
	json_object_set_new(l, "name", json_string(f->object.column ? f->object.column : f->object.name));
	json_object_set_new(l, "fullyQualifiedName", json_string(fq.data));
	if (f->object.kind)
		json_object_set_new(l, "kind", json_string(f->object.kind));
	buf_release(&fq);
	return l;
}

json_t *
sarif_document(const char *tool_version, const char *help_uri,
			   const struct pgw_sarif_rule *rules, size_t nrules,
			   const struct pgw_findings *const *lists, size_t nlists)
{
	json_t	   *doc = json_object();
	json_t	   *run = json_object();
	json_t	   *driver = json_object();
	json_t	   *jrules = json_array();
	json_t	   *results = json_array();
	size_t		i,
				l;

	for (i = 0; i < nrules; i++)
	{
		json_t	   *r = json_object();

		json_object_set_new(r, "id", json_string(rules[i].id));
		json_object_set_new(r, "shortDescription", text(rules[i].summary));
		json_object_set_new(r, "help", text(rules[i].hint));
		if (help_uri)
		{
			char	   *uri = pgw_asprintf("%s#%s", help_uri, rules[i].id);
			size_t		k;

			/* markdown anchors: lowercase, dots dropped */
			for (k = 0; uri[k]; k++)
				if (uri[k] == '.' && k > strlen(help_uri))
					memmove(uri + k, uri + k + 1, strlen(uri + k));
			json_object_set_new(r, "helpUri", json_string(uri));
			free(uri);
		}
		json_object_set_new(r, "defaultConfiguration",
							json_pack("{s:s}", "level", level(rules[i].severity)));
		json_object_set_new(r, "properties", json_pack("{s:s}", "category", rules[i].category));
		json_array_append_new(jrules, r);
	}
	for (l = 0; l < nlists; l++)
	{
		const struct pgw_findings *list = lists[l];

		for (i = 0; i < list->n; i++)
		{
			const struct pgw_finding *f = &list->items[i];
			json_t	   *res;
			size_t		k;

			if (f->suppressed)
				continue;
			res = json_object();
			json_object_set_new(res, "ruleId", json_string(f->rule));
			for (k = 0; k < nrules; k++)
				if (strcmp(rules[k].id, f->rule) == 0)
				{
					json_object_set_new(res, "ruleIndex", json_integer((json_int_t) k));
					break;
				}
			json_object_set_new(res, "level", json_string(level(f->severity)));
			json_object_set_new(res, "message", text(f->message));
			if (f->file || f->object.name)
			{
				json_t	   *loc = json_object();

				if (f->file)
				{
					json_t	   *region = json_object();

					json_object_set_new(region, "startLine", json_integer(f->line > 0 ? f->line : 1));
					json_object_set_new(region, "startColumn", json_integer(f->column > 0 ? f->column : 1));
					json_object_set_new(loc, "physicalLocation",
										json_pack("{s:{s:s},s:o}", "artifactLocation", "uri", f->file,
												  "region", region));
				}
				if (f->object.name)
					json_object_set_new(loc, "logicalLocations", json_pack("[o]", logical(f)));
				json_object_set_new(res, "locations", json_pack("[o]", loc));
			}
			/* the finding's object as --json has it: table, column and all */
			json_object_set_new(res, "properties", json_pack("{s:o}", "object", finding_object_json(f)));
			json_object_set_new(res, "partialFingerprints",
								json_pack("{s:s}", "pgwarden/v1", f->fingerprint));
			json_array_append_new(results, res);
		}
	}
	json_object_set_new(driver, "name", json_string("pgwarden"));
	json_object_set_new(driver, "version", json_string(tool_version));
	json_object_set_new(driver, "rules", jrules);
	json_object_set_new(run, "tool", json_pack("{s:o}", "driver", driver));
	json_object_set_new(run, "columnKind", json_string("unicodeCodePoints"));
	json_object_set_new(run, "results", results);
	json_object_set_new(doc, "$schema",
						json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_set_new(doc, "version", json_string("2.1.0"));
	json_object_set_new(doc, "runs", json_pack("[o]", run));
	return doc;
}

void
sarif_emit(json_t *doc)
{
	char	   *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text)
	{
		out_write(text);
		out_write("\n");
	}
	free(text);
	json_decref(doc);
}
