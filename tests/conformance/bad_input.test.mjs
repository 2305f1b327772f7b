// Hostile and malformed input: each case asserts exactly what the gateway answers, how it closes
// the socket, and that it keeps serving everyone else afterwards. Raw sockets send what the
// official client never would; every frame received still validates against the schema.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { get } from "node:http";

import { startGateway, connectClient, rawSocket, connectFrame, expectAllFramesValid } from "./harness.mjs";

const gateway = await startGateway();
let stopped = false;
after(() => (stopped ? undefined : gateway.stop()));

// GET /health over plain HTTP; resolves with { status, body }.
function httpHealth(target = gateway) {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${target.port}/health`, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body }));
    }).on("error", reject);
  });
}

// A raw socket past the challenge, before connect.
async function challenged(target = gateway) {
  const socket = await rawSocket(target);
  await socket.next((f) => f.event === "connect.challenge");
  return socket;
}

// A raw socket that completed the handshake.
async function authenticated(target = gateway) {
  const socket = await challenged(target);
  socket.send(connectFrame(target.token));
  const hello = await socket.next((f) => f.type === "res" && f.id === "connect-1");
  assert.equal(hello.ok, true, JSON.stringify(hello));
  return socket;
}

// The gateway still answers HTTP and a fresh official client can call a method.
async function assertHealthy(target = gateway) {
  const health = await httpHealth(target);
  assert.equal(health.status, 200);
  const { client } = await connectClient(target);
  try {
    assert.equal((await client.request("health", {})).ok, true);
  } finally {
    client.stop();
  }
}

function request(id, method, params = {}) {
  return { type: "req", id, method, params };
}

// Opened first and left silent; the last tests check that the 15 s handshake deadline closed
// it, so the wait overlaps with everything in between.
const silent = await rawSocket(gateway);
const silentOpenedAt = Date.now();

// ---------------------------------------------------------------------------------------------
// Before connect

test("non-JSON before connect: error response, then close 1008 with a reason", async () => {
  const socket = await challenged();
  socket.send("this is not json");
  const response = await socket.next((f) => f.type === "res");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.match(response.error.message, /not valid JSON/);
  const closed = await socket.closed();
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /connect/);
});

test("a first request other than connect: INVALID_REQUEST, then close 1008", async () => {
  const socket = await challenged();
  socket.send(request("h1", "health"));
  const response = await socket.next((f) => f.type === "res");
  assert.equal(response.id, "h1");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.match(response.error.message, /first request must be "connect", got "health"/);
  const closed = await socket.closed();
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /first request must be connect/);
});

for (const [name, overrides, field] of [
  ["client missing", { client: undefined }, /client/],
  ["minProtocol a string", { minProtocol: "4" }, /minProtocol/],
  ["role superuser", { role: "superuser" }, /role/],
]) {
  test(`connect params with ${name}: INVALID_REQUEST naming the field, close 1008`, async () => {
    const socket = await challenged();
    socket.send(connectFrame(gateway.token, overrides));
    const response = await socket.next((f) => f.type === "res");
    assert.equal(response.id, "connect-1");
    assert.equal(response.ok, false);
    assert.equal(response.error.code, "INVALID_REQUEST");
    assert.match(response.error.message, /^invalid connect params: /);
    assert.match(response.error.message, field);
    assert.equal((await socket.closed()).code, 1008);
  });
}

test("a protocol range with no overlap: PROTOCOL_MISMATCH details, close 1002", async () => {
  const socket = await challenged();
  socket.send(connectFrame(gateway.token, { minProtocol: 5, maxProtocol: 6 }));
  const response = await socket.next((f) => f.type === "res");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.deepEqual(response.error.details, {
    code: "PROTOCOL_MISMATCH",
    clientMinProtocol: 5,
    clientMaxProtocol: 6,
    expectedProtocol: 4,
    minimumProbeProtocol: 3,
  });
  const closed = await socket.closed();
  assert.equal(closed.code, 1002);
  assert.match(closed.reason, /protocol mismatch/);
});

test("a wrong token: AUTH_TOKEN_MISMATCH, close 1008", async () => {
  const socket = await challenged();
  socket.send(connectFrame("not-the-token"));
  const response = await socket.next((f) => f.type === "res");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.equal(response.error.details.code, "AUTH_TOKEN_MISMATCH");
  assert.equal(response.error.details.authReason, "token_mismatch");
  assert.equal(response.error.details.recommendedNextStep, "update_auth_credentials");
  const closed = await socket.closed();
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /token mismatch/);
});

test("a missing token: AUTH_TOKEN_MISSING, close 1008", async () => {
  const socket = await challenged();
  socket.send(connectFrame(undefined, { auth: {} }));
  const response = await socket.next((f) => f.type === "res");
  assert.equal(response.ok, false);
  assert.equal(response.error.details.code, "AUTH_TOKEN_MISSING");
  assert.equal(response.error.details.authReason, "token_missing");
  assert.equal((await socket.closed()).code, 1008);
});

test("repeated wrong tokens from loopback are rate limited when loopback is not exempt", async () => {
  // Its own gateway: the lockout covers the whole address, 127.0.0.1 included.
  const limited = await startGateway({
    config: { gateway: { auth: { rateLimit: { maxAttempts: 3, exemptLoopback: false } } } },
  });
  try {
    for (let attempt = 0; attempt < 3; ++attempt) {
      const socket = await challenged(limited);
      socket.send(connectFrame("wrong"));
      const response = await socket.next((f) => f.type === "res");
      assert.equal(response.error.details.code, "AUTH_TOKEN_MISMATCH");
      await socket.closed();
    }
    // Locked out now, even with the right token.
    const socket = await challenged(limited);
    socket.send(connectFrame(limited.token));
    const response = await socket.next((f) => f.type === "res");
    assert.equal(response.ok, false);
    assert.equal(response.error.code, "UNAVAILABLE");
    assert.equal(response.error.details.code, "AUTH_RATE_LIMITED");
    assert.equal(response.error.retryable, true);
    assert.ok(Number.isInteger(response.error.retryAfterMs) && response.error.retryAfterMs > 0,
      `retryAfterMs: ${response.error.retryAfterMs}`);
    assert.equal((await socket.closed()).code, 1008);
    assert.equal((await httpHealth(limited)).status, 200);
  } finally {
    await limited.stop();
  }
});

test("a frame over 64 KiB before connect: close 1009, gateway stays healthy", async () => {
  const socket = await challenged();
  socket.send(JSON.stringify(connectFrame(gateway.token, { padding: "x".repeat(70 * 1024) })));
  const closed = await socket.closed();
  assert.equal(closed.code, 1009);
  await assertHealthy();
});

test("a binary frame: close 1003", async () => {
  const socket = await authenticated();
  socket.ws.send(Buffer.from(JSON.stringify(request("b1", "health"))));
  const closed = await socket.closed();
  assert.equal(closed.code, 1003);
  assert.match(closed.reason, /binary/);
});

// ---------------------------------------------------------------------------------------------
// After connect

test("non-JSON after connect: close 1008 with the reason", async () => {
  const socket = await authenticated();
  socket.send("{not json");
  const closed = await socket.closed();
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /^invalid frame: frame is not valid JSON/);
});

test("a frame with an id but a bad shape: error response, the connection stays usable", async () => {
  const socket = await authenticated();
  socket.send({ type: "req", id: "bad-1", method: 42 });
  const response = await socket.next((f) => f.id === "bad-1");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.match(response.error.message, /method/);
  socket.send({ type: "event", id: "bad-2", event: "tick" });
  const eventResponse = await socket.next((f) => f.id === "bad-2");
  assert.equal(eventResponse.error.code, "INVALID_REQUEST");
  assert.match(eventResponse.error.message, /only send requests/);
  socket.send(request("ok-1", "health"));
  const health = await socket.next((f) => f.id === "ok-1");
  assert.equal(health.ok, true);
  socket.ws.close();
});

test("an unknown method: INVALID_REQUEST \"unknown method: x\"", async () => {
  const socket = await authenticated();
  socket.send(request("u1", "x"));
  const response = await socket.next((f) => f.id === "u1");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.equal(response.error.message, "unknown method: x");
  socket.ws.close();
});

test("a second connect is an error and the connection stays", async () => {
  const socket = await authenticated();
  socket.send({ ...connectFrame(gateway.token), id: "connect-2" });
  const response = await socket.next((f) => f.id === "connect-2");
  assert.equal(response.ok, false);
  assert.equal(response.error.code, "INVALID_REQUEST");
  assert.match(response.error.message, /already connected/);
  socket.send(request("after", "status"));
  assert.equal((await socket.next((f) => f.id === "after")).ok, true);
  socket.ws.close();
});

test("a frame over maxPayload (25 MiB) after connect: close 1009, gateway stays healthy", async () => {
  const socket = await authenticated();
  socket.send(JSON.stringify(request("big", "health", { padding: "x".repeat(26 * 1024 * 1024) })));
  const closed = await socket.closed(30000);
  // Beast 1.81 answers with a 1009 close frame, but its teardown stops reading after one chunk
  // (teardown.hpp never stores read_some's byte count) and closes the socket while the rest of
  // the 26 MiB is still arriving; the kernel then resets the connection and the client may see
  // 1006 instead. Either way the gateway must have refused the frame for its size.
  if (closed.code !== 1009) {
    assert.equal(closed.code, 1006);
    // The reset can beat the gateway's log line (written once Beast hands back the error).
    const deadline = Date.now() + 5000;
    while (!/frame over the maxPayload limit/.test(gateway.output()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(gateway.output(), /frame over the maxPayload limit/);
  }
  await assertHealthy();
});

test("a handshake that never sends connect is closed after 15 s", async () => {
  const remaining = 15000 - (Date.now() - silentOpenedAt);
  const closed = await silent.closed(Math.max(remaining, 0) + 5000);
  const elapsed = Date.now() - silentOpenedAt;
  assert.ok(elapsed >= 14500, `closed after ${elapsed} ms`);
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /handshake timeout/);
});

// ---------------------------------------------------------------------------------------------
// Shutdown (last: it stops the shared gateway)

test("SIGTERM drains: a connected client gets a shutdown event and the process exits 0", async () => {
  const socket = await authenticated();
  gateway.child.kill("SIGTERM");
  const event = await socket.next((f) => f.type === "event" && f.event === "shutdown", 10000);
  assert.equal(typeof event.payload.reason, "string");
  const closed = await socket.closed(10000);
  assert.equal(closed.code, 1012);
  const exit = await gateway.exited;
  assert.deepEqual(exit, { code: 0, signal: null });
  stopped = true;
  await gateway.stop();
});

test("every frame validates against the reference schema", () => {
  expectAllFramesValid();
});
