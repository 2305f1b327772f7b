// The official client connects to a real pincer gateway with the shared token and calls the
// system methods; every frame the gateway sends validates against protocol.schema.json.
import { test, after } from "node:test";
import assert from "node:assert/strict";

import { startGateway, connectClient, rawSocket, connectFrame, expectAllFramesValid } from "./harness.mjs";

const gateway = await startGateway();
after(() => gateway.stop());

test("official client connects with the shared token and gets hello-ok", async () => {
  const { client, hello } = await connectClient(gateway);
  try {
    assert.equal(hello.type, "hello-ok");
    assert.equal(hello.protocol, 4);
    assert.ok(hello.features.methods.includes("health"));
    assert.ok(hello.auth.scopes.includes("operator.admin"));
    const health = await client.request("health", {});
    assert.equal(health.ok, true);
    const status = await client.request("status", {});
    assert.equal(typeof status.runtimeVersion, "string");
    const presence = await client.request("system-presence", {});
    assert.ok(presence.some((entry) => entry.mode === "gateway"));
  } finally {
    client.stop();
  }
});

test("a v3-only client is served protocol 3", async () => {
  const socket = await rawSocket(gateway);
  await socket.next((f) => f.event === "connect.challenge");
  socket.send(connectFrame(gateway.token, { minProtocol: 3, maxProtocol: 3 }));
  const hello = await socket.next((f) => f.type === "res");
  assert.equal(hello.ok, true);
  assert.equal(hello.payload.protocol, 3);
  socket.ws.close();
});

test("a missing scope is FORBIDDEN with MISSING_SCOPE details", async () => {
  const { client } = await connectClient(gateway, { scopes: [] });
  try {
    await assert.rejects(client.request("health", {}), (error) => {
      assert.equal(error.gatewayCode ?? error.code, "FORBIDDEN");
      assert.equal(error.details?.code, "MISSING_SCOPE");
      return true;
    });
  } finally {
    client.stop();
  }
});

test("every frame validates against the reference schema", () => {
  expectAllFramesValid();
});
