// Agent runs over the wire with the official client, against the fake model server
// (pincer_fake_llm, speaking the Anthropic Messages stream): chat.send streams `chat` deltas and
// a final, agent + agent.wait report the terminal state, a retried idempotencyKey never starts a
// second run, chat.abort stops a hanging stream at once, models.list and usage.cost report the
// catalog and the spend, and a gateway without credentials answers with how to add a key.
// Every `chat` and `agent` event validates against the schema's ChatEvent / AgentEvent.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { startGateway, connectClient, expectAllFramesValid, EVENT_SCHEMAS } from "./harness.mjs";

EVENT_SCHEMAS.chat = "ChatEvent";
EVENT_SCHEMAS.agent = "AgentEvent";

const FAKE_LLM =
  process.env.PINCER_FAKE_LLM ??
  fileURLToPath(new URL("../../build/tests/fakes/pincer_fake_llm", import.meta.url));

async function startFake() {
  const dir = mkdtempSync(join(tmpdir(), "pincer-fake-llm-"));
  const portFile = join(dir, "port");
  const child = spawn(FAKE_LLM, ["--port-file", portFile], { stdio: "ignore" });
  const deadline = Date.now() + 10000;
  while (!existsSync(portFile)) {
    if (Date.now() > deadline) throw new Error("fake model server did not start");
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = Number(readFileSync(portFile, "utf8").trim());
  const base = `http://127.0.0.1:${port}`;
  const control = async (path, body) => {
    const response = await fetch(base + path, { method: body === undefined ? "GET" : "POST", body: body === undefined ? undefined : JSON.stringify(body) });
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return response.json();
  };
  return {
    base,
    script: (steps) => control("/__fake/script", steps),
    requests: () => control("/__fake/requests"),
    reset: () => control("/__fake/reset", {}),
    stop() {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const fake = await startFake();
after(() => fake.stop());

const modelConfig = (apiKey) => ({
  ...(process.env.PINCER_DEBUG ? { logging: { level: "debug" } } : {}),
  agents: {
    defaults: {
      model: { primary: "anthropic/claude-sonnet-4-5" },
      timeoutSeconds: 30,
      compaction: { keepRecentTokens: 5 }, // so sessions.compact has something to summarise
    },
  },
  models: { providers: { anthropic: { baseUrl: fake.base, ...(apiKey ? { apiKey } : {}) } } },
});

const gateway = await startGateway({ config: modelConfig("sk-ant-conformance") });
after(() => { if (process.env.PINCER_DEBUG) console.log(gateway.output()); return gateway.stop(); });
const { client, events } = await connectClient(gateway);

function waitForEvent(match, timeoutMs = 10000) {
  const found = events.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const hit = events.find(match);
      if (hit) {
        clearInterval(poll);
        resolve(hit);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`timed out waiting for an event; saw ${events.map((e) => e.event).join(",")}`));
      }
    }, 10);
  });
}

const chatEvents = (runId) => events.filter((e) => e.event === "chat" && e.payload.runId === runId).map((e) => e.payload);

test("chat.send acknowledges at once and streams the reply as chat deltas and a final", async () => {
  await fake.script([{ reply: { text: "Hello from the fake model, streamed in pieces.", delta_bytes: 6 }, delay_ms: 15 }]);
  const ack = await client.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "run-hello" });
  assert.deepEqual(ack, { runId: "run-hello", status: "started" });
  const final = await waitForEvent((e) => e.event === "chat" && e.payload.runId === "run-hello" && e.payload.state === "final");
  assert.equal(final.payload.sessionKey, "agent:main:main");
  assert.equal(final.payload.message.content[0].text, "Hello from the fake model, streamed in pieces.");
  const deltas = chatEvents("run-hello").filter((p) => p.state === "delta");
  assert.ok(deltas.length >= 1, "at least one delta before the final");
  const streamed = deltas.map((d) => d.deltaText).join("");
  assert.ok("Hello from the fake model, streamed in pieces.".startsWith(streamed), streamed);
  const seqs = chatEvents("run-hello").map((p) => p.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "per-run seq increases");
  const lifecycle = events.filter((e) => e.event === "agent" && e.payload.runId === "run-hello" && e.payload.stream === "lifecycle");
  assert.deepEqual(lifecycle.map((e) => e.payload.data.phase), ["start", "end"]);

  // The request reached the model in Anthropic's format with the key from the config.
  const requests = await fake.requests();
  const last = requests.at(-1);
  assert.equal(last.target, "/v1/messages");
  const body = JSON.parse(last.body);
  assert.equal(body.stream, true);
  const lastPart = body.messages.at(-1).content.at(-1);
  assert.equal(lastPart.type, "text");
  assert.equal(lastPart.text, "hi");

  // The transcript holds both sides.
  const history = await client.request("chat.history", { sessionKey: "agent:main:main" });
  assert.deepEqual(
    history.messages.map((m) => [m.role, typeof m.content === "string" ? m.content : m.content.map((c) => c.text).join("")]),
    [["user", "hi"], ["assistant", "Hello from the fake model, streamed in pieces."]],
  );
});

test("a retried idempotencyKey reports the first run instead of starting a second", async () => {
  const before = (await fake.requests()).length;
  const again = await client.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "run-hello" });
  assert.deepEqual(again, { runId: "run-hello", status: "ok" });
  assert.equal((await fake.requests()).length, before, "no second model call");
});

test("agent + agent.wait return the terminal snapshot with usage", async () => {
  await fake.script([{ reply: { text: "Waited reply.", input_tokens: 321, output_tokens: 9 } }]);
  const accepted = await client.request("agent", { message: "wait for me", sessionKey: "agent:main:wait", idempotencyKey: "run-wait" });
  assert.equal(accepted.runId, "run-wait");
  assert.equal(accepted.status, "accepted");
  const done = await client.request("agent.wait", { runId: "run-wait", timeoutMs: 10000 });
  assert.equal(done.status, "ok");
  assert.equal(done.terminalReply.text, "Waited reply.");
  assert.equal(done.usage.input, 321);
  assert.equal(done.usage.output, 9);
  assert.ok(done.endedAt >= done.startedAt);
  const unknown = await client.request("agent.wait", { runId: "never-started", timeoutMs: 50 });
  assert.equal(unknown.status, "timeout");
});

test("chat.abort stops a hanging model stream at once and the run ends aborted", async () => {
  await fake.script([{ hang: true }]);
  const before = (await fake.requests()).length;
  await client.request("chat.send", { sessionKey: "agent:main:abort", message: "hang", idempotencyKey: "run-hang" });
  // Abort once the model call is really hanging (its request reached the fake).
  const deadline = Date.now() + 5000;
  while ((await fake.requests()).length === before) {
    assert.ok(Date.now() < deadline, "the model call never reached the fake");
    await new Promise((r) => setTimeout(r, 10));
  }
  const started = Date.now();
  const result = await client.request("chat.abort", { sessionKey: "agent:main:abort", runId: "run-hang" });
  assert.equal(result.aborted, true);
  assert.deepEqual(result.runIds, ["run-hang"]);
  const aborted = await waitForEvent((e) => e.event === "chat" && e.payload.runId === "run-hang" && e.payload.state === "aborted", 5000);
  assert.ok(Date.now() - started < 3000, "aborted promptly");
  assert.equal(aborted.payload.stopReason, "aborted");
  const waited = await client.request("agent.wait", { runId: "run-hang", timeoutMs: 1000 });
  assert.equal(waited.status, "error");
  assert.equal(waited.stopReason, "aborted");
});

test("a provider error ends the run with a chat error naming the failure", async () => {
  await fake.script([
    { status: 400, chunked: false, chunks: [JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "messages: bad shape" } })] },
  ]);
  await client.request("chat.send", { sessionKey: "agent:main:errors", message: "break", idempotencyKey: "run-400" });
  const error = await waitForEvent((e) => e.event === "chat" && e.payload.runId === "run-400" && e.payload.state === "error");
  assert.match(error.payload.errorMessage, /bad shape/);
  assert.equal(error.payload.errorDetail.provider, "anthropic");
});

test("models.list and usage.cost report the catalog and what the runs spent", async () => {
  const models = await client.request("models.list", {});
  const sonnet = models.models.find((m) => m.provider === "anthropic" && m.id === "claude-sonnet-4-5");
  assert.ok(sonnet, "the default model is listed");
  assert.equal(sonnet.available, true);
  const cost = await client.request("usage.cost", { days: 1 });
  assert.equal(cost.days, 1);
  assert.ok(cost.totals.input >= 321, JSON.stringify(cost.totals));
  assert.equal(cost.daily.length, 1);
  // Calendar days in a time zone: the rows are dated as a clock there reads them.
  const localDate = (zone, ms) => new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date(ms));
  const zone = "Pacific/Kiritimati"; // UTC+14: its date is often not UTC's
  const zoned = await client.request("usage.cost", { days: 2, timeZone: zone });
  assert.equal(zoned.days, 2);
  assert.equal(zoned.totals.input, cost.totals.input, "the same calls, counted once");
  const expected = [localDate(zone, Date.now() - 86400000), localDate(zone, Date.now())];
  for (const row of zoned.daily) assert.ok(expected.includes(row.date), `${row.date} not in ${expected}`);
  const offset = await client.request("usage.cost", { days: 2, utcOffset: "UTC+5:30" });
  assert.equal(offset.totals.input, cost.totals.input);
  await assert.rejects(client.request("usage.cost", { timeZone: "Mars/Olympus_Mons" }), /timeZone/);
  await assert.rejects(client.request("usage.cost", { utcOffset: "UTC+15" }), /utcOffset/);
  await assert.rejects(client.request("usage.cost", { startDate: "2026-02-30", endDate: "2026-03-01" }), /YYYY-MM-DD/);
  const status = await client.request("usage.status", {});
  assert.ok(status.providers.some((p) => p.provider === "anthropic"));
});

test("sessions.compact summarises the older history with the session's model", async () => {
  await fake.script([{ reply: { text: "SUMMARY: greeted the assistant." } }]);
  const result = await client.request("sessions.compact", { key: "agent:main:main" });
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(result.compacted, true, JSON.stringify(result));
  const requests = await fake.requests();
  // The summary request carries the older part of the transcript as text (the newest message
  // stays verbatim).
  const summaryBody = JSON.parse(requests.at(-1).body);
  assert.match(summaryBody.messages[0].content[0].text, /hi/);
  assert.match(summaryBody.system[0].text, /summary/i);
  const missing = await client.request("sessions.compact", { key: "agent:main:nobody" });
  assert.equal(missing.ok, false);
  assert.equal(missing.compacted, false);
});

test("bad chat.send params are refused with the field named", async () => {
  await assert.rejects(client.request("chat.send", { sessionKey: "main", message: "x" }), /idempotencyKey/);
  await assert.rejects(
    client.request("chat.send", { sessionKey: "main", message: "x", idempotencyKey: "k", queueMode: "sideways" }),
    /queueMode/,
  );
  await assert.rejects(client.request("agent.wait", {}), /runId/);
});

test("without credentials the first chat says how to add a key, and nothing hangs", async () => {
  const bare = await startGateway({ config: modelConfig(null), env: { ANTHROPIC_API_KEY: "" } });
  try {
    const { client: c, events: seen } = await connectClient(bare);
    await c.request("chat.send", { sessionKey: "main", message: "hello?", idempotencyKey: "run-nokey" });
    const deadline = Date.now() + 10000;
    let error;
    while (!error && Date.now() < deadline) {
      error = seen.find((e) => e.event === "chat" && e.payload.runId === "run-nokey" && e.payload.state === "error");
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(error, "an error event arrived");
    assert.match(error.payload.errorMessage, /ANTHROPIC_API_KEY|models auth add/);
    c.stop();
  } finally {
    await bare.stop();
  }
});

test("every frame matches the protocol schema", () => {
  expectAllFramesValid();
});
