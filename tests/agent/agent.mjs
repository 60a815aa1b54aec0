// agent.mjs PGWARDEN PROJECT — a scripted agent with a fixed decision
// procedure (no model) that repairs the example project through MCP calls
// only: validate → for each fixable finding generate → test_migration →
// migrate_up_safe → validate and rls_test again, until validate has no error
// and rls test finds no leak.  It writes no SQL: every statement that
// reaches the database comes from pgwarden's generate.
import { check, finish, connect, call, errorText } from "./lib.mjs";

const [bin, project] = process.argv.slice(2);
const client = await connect(bin, project, ["--allow-apply"]);
const say = (m) => console.error(`agent: ${m}`);

const names = (await client.listTools()).tools.map((t) => t.name);
check("apply tools offered with --allow-apply", names.includes("migrate_up_safe") && names.includes("doctor_fix"), names);

async function must(name, args) {
  const res = await call(client, name, args);
  if (res.isError) {
    check(`${name} ${JSON.stringify(args)}`, false, errorText(res));
    await client.close();
    finish("agent");
  }
  return res.structuredContent;
}

const errorsOf = (v) => v.findings.filter((f) => f.severity === "error" && !f.suppressed);
let clean = false;
let calls = 0;
// one fix per round: each is generated against the schema the previous one
// made, tried in a sandbox, applied, and the findings read again
for (let round = 1; round <= 40 && !clean; round++) {
  const v = await must("validate", {});
  const r = await must("rls_test", {});
  calls += 2;
  const errs = errorsOf(v);
  say(`round ${round}: validate ${errs.length} error(s), rls test ${r.ok ? "isolated" : "leaks"}`);
  if (errs.length === 0 && r.ok) {
    clean = true;
    break;
  }
  const f = v.findings.find((x) => x.fix && x.fix.action && !x.suppressed);
  if (!f) {
    check("every remaining error has a fix", false, errs);
    break;
  }
  const g = await must("generate", { action: f.fix.action, args: f.fix.args || [] });
  calls++;
  for (const file of g.files || [])
    check(`generate returns the content of ${file.up}`, typeof file.up_sql === "string" && file.up_sql.length > 0, file);
  const ups = (g.files || []).map((x) => x.up);
  say(`generate ${f.fix.action} ${(f.fix.args || []).join(" ")}: ${ups.join(", ")}`);
  if (!ups.length) {
    check(`generate ${f.fix.action} wrote a migration`, false, g);
    break;
  }
  const t = await must("test_migration", { files: ups });
  calls++;
  check(`test_migration ${ups.join(", ")} passes`, t.ok === true, t);
  const up = await must("migrate_up_safe", {});
  calls++;
  check(`migrate_up_safe applies ${ups.join(", ")}`, up.ok === true, up);
}
check("validate clean and rls test passing, through MCP only", clean);
const st = await must("migrate_status", {});
check("nothing left pending", !JSON.stringify(st).includes('"pending"') || st.summary?.pending === 0, st.summary);
say(`${calls} tool calls`);
await client.close();
finish("agent");
