// lib.mjs — what the MCP client tests share: start `pgwarden mcp` through the
// official TypeScript SDK's stdio transport and call tools, failing loudly.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

let failures = 0;
let checks = 0;

export function check(what, cond, extra) {
  checks++;
  if (cond) return true;
  failures++;
  console.error(`FAIL: ${what}${extra === undefined ? "" : ": " + (typeof extra === "string" ? extra : JSON.stringify(extra).slice(0, 2000))}`);
  return false;
}

export function finish(name) {
  console.error(`${name}: ${checks - failures}/${checks} checks passed`);
  process.exit(failures ? 1 : 0);
}

// connect(PGWARDEN, PROJECT, [args]) — a connected client; the server runs
// in PROJECT with the environment (DATABASE_URL) of this process.
export async function connect(bin, project, args = []) {
  const transport = new StdioClientTransport({
    command: bin,
    args: ["mcp", ...args],
    cwd: project,
    env: { ...process.env },
    stderr: "inherit",
  });
  const client = new Client({ name: "pgwarden-agent-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

// call(client, tool, args) — the tool's result; the SDK validates its
// structuredContent against the tool's outputSchema (listTools first).
export async function call(client, name, args = {}, opts = {}) {
  const res = await client.callTool({ name, arguments: args }, undefined, { timeout: 280000, ...opts });
  return res;
}

export function errorText(res) {
  return (res.content || []).map((c) => c.text).join("\n");
}
