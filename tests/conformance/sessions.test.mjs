// Sessions over the wire with the official client: create, inject transcript entries, list,
// describe, preview, read history (tail, older pages, a window around a message, and a delta
// from the cursor), patch, reset (archives, new session id), delete; every row is checked
// against the schema's SessionRow and every result against its schema definition. Also the
// access rules (read-only callers cannot write; run-behaviour overrides need admin) and bad
// params.
import { test, after } from "node:test";
import assert from "node:assert/strict";

import { startGateway, connectClient, expectAllFramesValid, validatorFor } from "./harness.mjs";

const gateway = await startGateway();
after(() => gateway.stop());
const { client: admin, events } = await connectClient(gateway);
const { client: reader } = await connectClient(gateway, { scopes: ["operator.read"] });

function assertRow(row) {
  const validate = validatorFor("SessionRow");
  assert.ok(validate(row), JSON.stringify(validate.errors));
}

async function rejectsScope(promise, scope) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.details?.code, "MISSING_SCOPE", error.message);
    assert.match(error.message, new RegExp(scope.replace(".", "\\.")));
    return true;
  });
}

async function rejects(promise, code, pattern) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.gatewayCode ?? error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

test("a created session lists, describes and previews with its injected messages", async () => {
  const created = await admin.request("sessions.create", { key: "agent:main:work", label: "Work" });
  assert.equal(created.key, "agent:main:work");
  assert.ok(created.sessionId);
  for (const text of ["first note", "second note", "NO_REPLY", "third note"]) {
    const injected = await admin.request("chat.inject", { sessionKey: "agent:main:work", message: text });
    assert.ok(injected.messageId);
  }

  const list = await reader.request("sessions.list", { includeLastMessage: true });
  assert.equal(list.count, 1);
  assert.equal(list.totalCount, 1);
  assert.equal(list.hasMore, false);
  const [row] = list.sessions;
  assertRow(row);
  assert.equal(row.key, "agent:main:work");
  assert.equal(row.sessionId, created.sessionId);
  assert.equal(row.label, "Work");
  assert.equal(row.agentId, "main");
  assert.equal(row.archived, false);
  assert.equal(row.lastMessagePreview, "third note");

  const described = await reader.request("sessions.describe", { key: "agent:main:work" });
  assertRow(described.session);
  assert.equal(described.session.sessionId, created.sessionId);
  assert.deepEqual(await reader.request("sessions.describe", { key: "agent:main:nope" }), { session: null });

  const preview = await reader.request("sessions.preview", { keys: ["agent:main:work", "agent:main:nope"], limit: 2 });
  assert.deepEqual(
    preview.previews.map((p) => [p.key, p.status, p.items.map((i) => i.text)]),
    [
      ["agent:main:work", "ok", ["third note"]], // the silent NO_REPLY row is not shown
      ["agent:main:nope", "missing", []],
    ],
  );
});

test("chat.history pages backwards, anchors on a message and catches up from its cursor", async () => {
  const key = "agent:main:history";
  await admin.request("sessions.create", { key });
  for (let i = 1; i <= 25; i++) {
    await admin.request("chat.inject", { sessionKey: key, message: `message ${i}` });
  }
  const text = (m) => m.content[0].text;
  const tail = await reader.request("chat.history", { sessionKey: key, limit: 10 });
  assert.equal(tail.totalMessages, 25);
  assert.equal(tail.hasMore, true);
  assert.equal(tail.nextOffset, 10);
  assert.deepEqual(tail.messages.map(text), Array.from({ length: 10 }, (_, i) => `message ${16 + i}`));
  assertRow(tail.sessionInfo);
  assert.equal(tail.messages[0].__openclaw.seq, 16);

  const older = await reader.request("chat.history", { sessionKey: key, limit: 10, offset: tail.nextOffset });
  assert.deepEqual(older.messages.map(text), Array.from({ length: 10 }, (_, i) => `message ${6 + i}`));
  const oldest = await reader.request("chat.history", { sessionKey: key, limit: 10, offset: 20 });
  assert.deepEqual(oldest.messages.map(text), ["message 1", "message 2", "message 3", "message 4", "message 5"]);
  assert.equal(oldest.hasMore, false);

  const anchor = older.messages[3].__openclaw.id;
  const around = await reader.request("chat.history", { sessionKey: key, messageId: anchor, sessionId: tail.sessionId, limit: 4 });
  assert.deepEqual(around.messages.map(text), ["message 7", "message 8", "message 9", "message 10"]);

  const cursorValidator = validatorFor("ChatHistoryCursorResult");
  const empty = await reader.request("chat.history", { sessionKey: key, cursor: tail.deltaCursor });
  assert.ok(cursorValidator(empty), JSON.stringify(cursorValidator.errors));
  assert.equal(empty.kind, "delta");
  assert.deepEqual(empty.messages, []);
  await admin.request("chat.inject", { sessionKey: key, message: "late" });
  const delta = await reader.request("chat.history", { sessionKey: key, cursor: tail.deltaCursor });
  assert.ok(cursorValidator(delta), JSON.stringify(cursorValidator.errors));
  assert.deepEqual(delta.messages.map(text), ["late"]);

  // A reset starts a new generation: the old cursor no longer applies.
  await admin.request("sessions.reset", { key });
  const stale = await reader.request("chat.history", { sessionKey: key, cursor: delta.deltaCursor });
  assert.deepEqual(stale, { kind: "reset" });
  assert.deepEqual(await reader.request("chat.history", { sessionKey: key, cursor: "garbage" }), { kind: "reset" });

  const fresh = await reader.request("chat.history", { sessionKey: "agent:main:never-used" });
  assert.deepEqual(fresh.messages, []);
  assert.equal(fresh.sessionInfo.key, "agent:main:never-used");
});

test("patch stores overrides, reset archives with a new session id, delete archives away", async () => {
  const key = "agent:main:lifecycle";
  const patched = await admin.request("sessions.patch", { key, label: "Life", thinkingLevel: "high", model: "openai/gpt-test" });
  assert.equal(patched.ok, true);
  assert.equal(patched.entry.label, "Life");
  assert.equal(patched.entry.thinkingLevel, "high");
  assert.deepEqual(patched.resolved, { modelProvider: "openai", model: "gpt-test", thinkingLevel: "high" });
  const before = (await reader.request("sessions.describe", { key })).session;
  assert.equal(before.thinkingLevel, "high");
  await admin.request("chat.inject", { sessionKey: key, message: "before reset" });

  const reset = await admin.request("sessions.reset", { key, reason: "new" });
  assert.notEqual(reset.entry.sessionId, before.sessionId);
  assert.equal(reset.entry.previousSessionId, before.sessionId);
  assert.equal(reset.entry.label, "Life", "the label carries over");
  assert.equal(reset.entry.thinkingLevel, "high", "overrides carry over");
  const history = await reader.request("chat.history", { sessionKey: key });
  assert.deepEqual(history.messages, [], "the new generation starts empty");

  const all = await reader.request("sessions.list", { archived: "all", search: "lifecycle" });
  assert.deepEqual(all.sessions.map((s) => [s.sessionId, s.archived]).sort(), [
    [before.sessionId, true],
    [reset.entry.sessionId, false],
  ].sort());
  all.sessions.forEach(assertRow);

  await rejects(admin.request("sessions.reset", { key, expectedSessionId: before.sessionId }), "INVALID_REQUEST", /changed/);

  const removed = await admin.request("sessions.delete", { key });
  assert.deepEqual(removed, { ok: true, key, deleted: true, archived: [reset.entry.sessionId] });
  assert.deepEqual(await admin.request("sessions.delete", { key: "agent:main:nope" }), { ok: true, key: "agent:main:nope", deleted: false, archived: [] });
  const active = await reader.request("sessions.list", { search: "lifecycle" });
  assert.equal(active.count, 0);
  const purged = await admin.request("sessions.delete", { key, deleteTranscript: true });
  assert.equal(purged.deleted, true);
  assert.equal((await reader.request("sessions.list", { archived: "all", search: "lifecycle" })).count, 0);
});

test("mutations broadcast sessions.changed with the row", async () => {
  const seen = events.length;
  await admin.request("sessions.patch", { key: "agent:main:events", label: "Evented" });
  const deadline = Date.now() + 2000;
  let event;
  while (!(event = events.slice(seen).find((e) => e.event === "sessions.changed")) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(event, "no sessions.changed event");
  assert.equal(event.payload.key, "agent:main:events");
  assert.equal(event.payload.reason, "patch");
  assertRow(event.payload.session);
});

test("access rules and bad params", async () => {
  await rejectsScope(reader.request("sessions.patch", { key: "agent:main:x", label: "no" }), "operator.write");
  await rejectsScope(reader.request("sessions.reset", { key: "agent:main:x" }), "operator.admin");
  await rejectsScope(reader.request("chat.inject", { sessionKey: "agent:main:work", message: "x" }), "operator.admin");
  const { client: writer } = await connectClient(gateway, { scopes: ["operator.write"] });
  await writer.request("sessions.patch", { key: "agent:main:work", pinned: true });
  await rejectsScope(writer.request("sessions.patch", { key: "agent:main:work", verboseLevel: "full" }), "operator.admin");
  writer.stop();

  await rejects(admin.request("sessions.list", { limit: 0 }), "INVALID_REQUEST", /limit/);
  await rejects(admin.request("sessions.list", { bogus: 1 }), "INVALID_REQUEST", /unexpected property 'bogus'/);
  await rejects(admin.request("sessions.preview", {}), "INVALID_REQUEST", /keys/);
  await rejects(admin.request("sessions.patch", { key: "agent:main:work", label: 5 }), "INVALID_REQUEST", /label/);
  await rejects(admin.request("sessions.patch", { key: "agent:main:work", archived: true }), "INVALID_REQUEST", /expectedSessionId/);
  await rejects(admin.request("sessions.delete", { key: "agent:main:main" }), "INVALID_REQUEST", /main session/);
  await rejects(admin.request("chat.history", { sessionKey: "agent:main:work", limit: 5000 }), "INVALID_REQUEST", /limit/);
  await rejects(admin.request("chat.inject", { sessionKey: "agent:main:absent", message: "x" }), "INVALID_REQUEST", /session not found/);
});

test("large replies are not held back (TCP_NODELAY): a 40-message history page takes well under 40 ms", async () => {
  const key = "agent:main:nagle";
  await admin.request("sessions.create", { key });
  for (let i = 0; i < 40; i++) {
    await admin.request("chat.inject", { sessionKey: key, message: `line ${i} `.repeat(40) });
  }
  const times = [];
  for (let i = 0; i < 15; i++) {
    const started = process.hrtime.bigint();
    const page = await reader.request("chat.history", { sessionKey: key, limit: 40 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    assert.equal(page.messages.length, 40);
  }
  times.sort((a, b) => a - b);
  // With Nagle on, the tail of each multi-segment reply waits for the client's delayed ACK
  // (~40 ms); without it a page takes about a millisecond.
  assert.ok(times[7] < 25, `median ${times[7].toFixed(1)} ms`);
});

test("diagnostics.lanes reports the global lanes like the reference", async () => {
  const result = await reader.request("diagnostics.lanes", {});
  assert.equal(typeof result.ts, "number");
  const names = result.lanes.map((lane) => lane.lane);
  assert.deepEqual(names, ["main", "cron", "subagent", "nested"]);
  for (const lane of result.lanes) {
    assert.equal(lane.activeCount, 0);
    assert.equal(lane.queuedCount, 0);
    assert.ok(lane.maxConcurrent >= 1);
  }
  assert.equal(result.dynamic.lanes, 0, "no session lanes while nothing runs");
});

test("every frame matches the protocol schema", () => {
  admin.stop();
  reader.stop();
  expectAllFramesValid();
});
