// The reference's own headless node host (`openclaw node run`) connects to a real pincer gateway
// and runs `echo hello` for an operator's node.invoke of system.run.
//
// The node host is the reference CLI from the repo's test tools (npm `openclaw`, pinned in
// package.json), run with the same Node from npm that runs this test (the CLI needs Node >= 24). It keeps its identity and exec
// approvals under its own HOME (a temp dir); local exec approvals default to full/ask-off, so
// `echo hello` runs without configuring them.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { startGateway, connectClient, expectAllFramesValid } from "./harness.mjs";

const OPENCLAW_ENTRY = fileURLToPath(new URL("../../node_modules/openclaw/openclaw.mjs", import.meta.url));
assert.ok(existsSync(OPENCLAW_ENTRY), `${OPENCLAW_ENTRY} is missing: run ./scripts/setup`);

// The node host starts slowly (SQLite state setup, a worker process); give it minutes.
const NODE_HOST_START_MS = 240_000;

// A loopback node with the shared token is paired at once (its declared commands approved).
const gateway = await startGateway();
const home = mkdtempSync(join(tmpdir(), "pincer-node-host-"));
let nodeHost = null;
let nodeOutput = "";
after(async () => {
  if (nodeHost && nodeHost.exitCode === null && nodeHost.signalCode === null) {
    const exited = new Promise((resolve) => nodeHost.on("exit", resolve));
    nodeHost.kill("SIGTERM");
    const timer = setTimeout(() => nodeHost.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(home, { recursive: true, force: true });
  await gateway.stop();
});

async function eventually(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms\n${nodeOutput.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test("openclaw node run connects as a node and runs system.run", { timeout: NODE_HOST_START_MS + 120_000 }, async () => {
  nodeHost = spawn(
    process.execPath,
    [OPENCLAW_ENTRY, "node", "run", "--host", "127.0.0.1", "--port", String(gateway.port), "--no-tls", "--display-name", "Conformance Node"],
    {
      env: {
        ...process.env,
        HOME: home,
        OPENCLAW_STATE_DIR: join(home, ".openclaw"),
        OPENCLAW_GATEWAY_TOKEN: gateway.token,
        OPENCLAW_NO_AUTO_UPDATE: "1",
        // A loaded machine may take longer than the default to answer the challenge.
        OPENCLAW_CONNECT_CHALLENGE_TIMEOUT_MS: "15000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  nodeHost.stdout.on("data", (chunk) => (nodeOutput += chunk));
  nodeHost.stderr.on("data", (chunk) => (nodeOutput += chunk));

  const { client: operator } = await connectClient(gateway);
  try {
    const node = await eventually(
      async () => (await operator.request("node.list", {})).nodes.find((n) => n.clientId === "node-host" && n.connected),
      NODE_HOST_START_MS,
      "the node host connecting",
    );
    assert.equal(node.displayName, "Conformance Node");
    assert.equal(node.clientMode, "node");
    assert.ok(node.commands.includes("system.run"), JSON.stringify(node.commands));
    assert.match(node.nodeId, /^[0-9a-f]{64}$/, "a signed node is keyed by its device id");

    const result = await operator.request(
      "node.invoke",
      {
        nodeId: node.nodeId,
        command: "system.run",
        params: { command: ["echo", "hello"], timeoutMs: 30_000 },
        timeoutMs: 60_000,
        idempotencyKey: `node-host-echo-${Date.now()}`,
      },
      { timeoutMs: 90_000 },
    );
    assert.equal(result.ok, true);
    assert.equal(result.command, "system.run");
    assert.equal(result.nodeId, node.nodeId);
    assert.match(String(result.payload?.stdout), /hello/, JSON.stringify(result.payload));
    assert.equal(result.payload.exitCode, 0, JSON.stringify(result.payload));
  } finally {
    operator.stop();
  }
});

test("every frame validates against the reference schema", () => {
  expectAllFramesValid();
});
