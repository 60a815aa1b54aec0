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
  ["backup", "diff", "doctor", "generate", "health", "inspect", "lint", "migrate_status", "rls_test", "test_migration", "validate"]), names);
check("no apply tools without --allow-apply", !names.includes("migrate_up_safe") && !names.includes("doctor_fix"));
const schemas = Object.fromEntries(tools.map((t) => [t.name, t.outputSchema]));
for (const t of tools) {
  check(`${t.name}: inputSchema is an object schema`, t.inputSchema?.type === "object");
  check(`${t.name}: outputSchema is an object schema`, t.outputSchema?.type === "object");
  check(`${t.name}: annotations`, typeof t.annotations?.readOnlyHint === "boolean");
}

async function tool(name, args, want) {
  const res = await call(client, name, args);
  const sc = res.structuredContent;
  check(`${name} ${JSON.stringify(args)}: not an error`, !res.isError, errorText(res));
  check(`${name}: structuredContent`, sc && typeof sc === "object");
  const validate = ajv.compile(schemas[name]);
  check(`${name}: matches its outputSchema`, validate(sc), validate.errors);
  check(`${name}: text content is the same JSON`, JSON.stringify(JSON.parse(res.content[0].text)) === JSON.stringify(sc));
  if (want) check(`${name}: ${want.name}`, want(sc), sc);
  return sc;
}

const insp = await tool("inspect", {}, Object.assign((d) => d.summary.tables >= 12 && d.tables.length === 12, { name: "12 managed tables" }));
check("inspect: vehicle_events has RLS off", insp.tables.find((t) => t.name === "vehicle_events")?.rls_enabled === false);
await tool("inspect", { table: "public.vehicles" }, Object.assign((d) => d.table?.name === "vehicles" && d.table.columns.length > 3, { name: "the table in full" }));
const val = await tool("validate", {}, Object.assign((d) => d.ok === false && d.findings.length > 0, { name: "finds the planted problems" }));
check("validate: rls.disabled on vehicle_events", val.findings.some((f) => f.rule === "rls.disabled" && JSON.stringify(f).includes("vehicle_events")));
check("validate: fixes offered", val.findings.some((f) => f.fix && f.fix.action));
await tool("validate", { category: ["fk"] }, Object.assign((d) => d.findings.every((f) => f.category === "fk"), { name: "only fk" }));
await tool("doctor", { no_stats: true }, Object.assign((d) => Array.isArray(d.findings) && d.findings.length > 0, { name: "findings" }));
await tool("health", {}, Object.assign((d) => d.command === "health", { name: "a report" }));
await tool("lint", { sql: "ALTER TABLE public.vehicles ADD COLUMN x int NOT NULL DEFAULT random();\n" },
  Object.assign((d) => JSON.stringify(d).includes("vehicles"), { name: "a finding on the statement" }));
await tool("lint", {}, Object.assign((d) => d.command === "lint", { name: "the migrations folder" }));
await tool("diff", {}, Object.assign((d) => d.command === "diff", { name: "no drift from the capture" }));
const rls = await tool("rls_test", {}, Object.assign((d) => d.ok === false, { name: "finds the leaks" }));
await tool("migrate_status", {}, Object.assign((d) => d.command === "migrate", { name: "status" }));
await tool("test_migration", { sql: "CREATE INDEX ON public.vehicles (garage_id);\n", sandbox: "tx" },
  Object.assign((d) => d.command === "test-migration", { name: "a trial" }));

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
check("migrations resource", JSON.parse(migs.contents[0].text).files.length === 10);
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
await tool("rls_test", { table: "public.garages" }, Object.assign((d) => d.ok === true, { name: "a call after a cancel runs" }));

await client.close();
finish("client");
