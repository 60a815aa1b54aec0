// client.mjs PGWARDEN PROJECT — drives `pgwarden mcp` through the official
// MCP TypeScript SDK: initialize (version negotiation), list tools, call
// every read-only tool on the example database and check each result
// against its declared outputSchema (the SDK does it; Ajv again here, so a
// schema the SDK would skip still counts), resources, prompts, progress and
// cancellation.
import Ajv from "ajv";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { check, finish, connect, call, errorText } from "./lib.mjs";

const [bin, project] = process.argv.slice(2);
const client = await connect(bin, project);
const ajv = new Ajv({ strict: false });

check("server name", client.getServerVersion()?.name === "pgwarden", client.getServerVersion());
check("tools capability", !!client.getServerCapabilities()?.tools);
check("negotiated the newest version", client.transport?.protocolVersion === undefined ||
  client.transport.protocolVersion === LATEST_PROTOCOL_VERSION, client.transport?.protocolVersion);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
check("read-only and file tools listed", JSON.stringify(names) === JSON.stringify(
  ["backup", "diff", "doctor", "generate", "health", "inspect", "lint", "migrate_status", "rls_test", "storage_audit", "test_migration", "validate"]), names);
check("no apply tools without --allow-apply", !names.includes("migrate_up_safe") && !names.includes("doctor_fix"));
const schemas = Object.fromEntries(tools.map((t) => [t.name, t.outputSchema]));
for (const t of tools) {
  check(`${t.name}: inputSchema is an object schema`, t.inputSchema?.type === "object");
  check(`${t.name}: outputSchema is an object schema`, t.outputSchema?.type === "object");
  check(`${t.name}: annotations`, typeof t.annotations?.readOnlyHint === "boolean");
}

async function tool(name, args, label, want) {
  const res = await call(client, name, args);
  const sc = res.structuredContent;
  check(`${name} ${JSON.stringify(args)}: not an error`, !res.isError, errorText(res));
  check(`${name}: structuredContent`, sc && typeof sc === "object");
  const validate = ajv.compile(schemas[name]);
  check(`${name}: matches its outputSchema`, validate(sc), validate.errors);
  if (!res.isError)
    check(`${name}: text content is the same JSON`, JSON.stringify(JSON.parse(res.content[0].text)) === JSON.stringify(sc));
  if (want) check(`${name}: ${label}`, want(sc), sc);
  return sc;
}

const insp = await tool("inspect", {}, "12 managed tables", (d) => d.summary.tables >= 12 && d.tables.length === 12);
check("inspect: vehicle_events has RLS off", insp.tables.find((t) => t.name === "vehicle_events")?.rls_enabled === false);
await tool("inspect", { table: "public.vehicles" }, "the table in full", (d) => d.table?.name === "vehicles" && d.table.columns.length > 3);
const val = await tool("validate", {}, "finds the planted problems", (d) => d.ok === false && d.findings.length > 0);
check("validate: rls.disabled on vehicle_events", val.findings.some((f) => f.rule === "rls.disabled" && JSON.stringify(f).includes("vehicle_events")));
check("validate: fixes offered", val.findings.some((f) => f.fix && f.fix.action));
await tool("validate", { category: ["fk"] }, "only fk", (d) => d.findings.every((f) => f.category === "fk"));
await tool("doctor", { no_stats: true }, "findings", (d) => Array.isArray(d.findings) && d.findings.length > 0);
await tool("health", {}, "a report", (d) => d.command === "health");
await tool("lint", { sql: "ALTER TABLE public.vehicles ADD COLUMN x int NOT NULL DEFAULT random();\n" },
  "a finding on the statement", (d) => JSON.stringify(d).includes("vehicles"));
await tool("lint", {}, "the migrations folder", (d) => d.command === "lint");
await tool("diff", {}, "no drift from the capture", (d) => d.command === "diff");
const rls = await tool("rls_test", {}, "finds the leaks", (d) => d.ok === false);
await tool("migrate_status", {}, "status", (d) => d.command === "migrate status" && d.summary.applied === 5);
await tool("test_migration", { sql: "CREATE INDEX ON public.vehicles (garage_id);\n", sandbox: "tx" },
  "a trial", (d) => d.command === "test-migration");
await tool("storage_audit", {}, "the example's buckets audited", (d) => d.command === "storage audit" && Array.isArray(d.findings));

// errors: wrong types, unknown tools, a generate refused
let res = await call(client, "validate", { table: 42 });
check("wrong argument type: isError", res.isError === true && /table must be a string/.test(errorText(res)), res);
res = await call(client, "validate", { nosuch: true });
check("unknown argument: isError", res.isError === true && /unknown argument 'nosuch'/.test(errorText(res)), res);
res = await call(client, "inspect", { table: "public.nosuch" });
check("unknown table: isError with a hint", res.isError === true && /no table/.test(errorText(res)), res);
try {
  await call(client, "migrate_up_safe", {});
  check("migrate_up_safe refused without --allow-apply", false);
} catch (e) {
  check("migrate_up_safe refused without --allow-apply", /unknown tool/i.test(String(e)), String(e));
}

// resources and prompts
const { resources } = await client.listResources();
const uris = resources.map((r) => r.uri);
for (const u of ["pgwarden://schema", "pgwarden://migrations", "pgwarden://docs/findings", "pgwarden://table/public.vehicles"])
  check(`resource ${u} listed`, uris.includes(u), uris);
const schema = await client.readResource({ uri: "pgwarden://schema" });
check("schema resource is the snapshot", JSON.parse(schema.contents[0].text).format === "pgwarden.snapshot/1");
const tbl = await client.readResource({ uri: "pgwarden://table/public.garages" });
check("table resource", JSON.parse(tbl.contents[0].text).name === "garages");
const migs = await client.readResource({ uri: "pgwarden://migrations" });
const migList = JSON.parse(migs.contents[0].text).files;
check("migrations resource", migList.length === 10 && migList[0].file === "20250101090000_tenants_and_profiles.sql" &&
  migList[0].sql.includes("CREATE TABLE"), migList.map((m) => m.file));
try {
  await client.readResource({ uri: "pgwarden://table/public.nosuch" });
  check("unknown resource refused", false);
} catch (e) {
  check("unknown resource refused", /not found/.test(String(e)), String(e));
}
const { prompts } = await client.listPrompts();
check("repair prompt", prompts.some((p) => p.name === "repair"));
check("ping", JSON.stringify(await client.ping()) === "{}");

// progress: the start of the call at least, and the steps it reports
let progress = [];
await call(client, "inspect", {}, { onprogress: (p) => progress.push(p) });
check("progress notifications", progress.length >= 2 && progress[0].message === "running inspect", progress);
check("progress increases", progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress), progress);

// cancellation: abort a call once it started; the server goes on serving
const ac = new AbortController();
let aborted = false;
try {
  await call(client, "validate", {}, { signal: ac.signal, onprogress: () => ac.abort("test") });
} catch (e) {
  aborted = true;
}
check("the cancelled call rejects on the client", aborted);
await tool("rls_test", { table: "public.garages" }, "a call after a cancel runs", (d) => d.ok === true);

await client.close();
finish("client");
