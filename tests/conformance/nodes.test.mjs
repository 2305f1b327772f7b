// Nodes over the wire: a fake node built on the official client (role "node", declaring test.*
// commands) connects to a real pincer gateway; operators list, rename and invoke it. Covers the
// node's success and error answers, timeouts, the node or the caller disconnecting mid-invoke,
// and the access rules (declared commands only, operator.write, operator.admin for host access).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, createHash, createPublicKey, sign } from "node:crypto";

import { startGateway, connectClient, expectAllFramesValid } from "./harness.mjs";

const gateway = await startGateway();
after(() => gateway.stop());

// Nodes need a device identity; a loopback device with the shared token is paired at once.
function makeDevice() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "jwk" }).x;
  return {
    deviceId: createHash("sha256").update(Buffer.from(raw, "base64url")).digest("hex"),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }),
  };
}
const tokens = new Map();
const hostDeps = {
  signDevicePayload: (pem, payload) => sign(null, Buffer.from(payload, "utf8"), pem).toString("base64url"),
  publicKeyRawBase64UrlFromPem: (pem) => createPublicKey(pem).export({ format: "jwk" }).x,
  loadDeviceAuthToken: ({ deviceId, role }) => tokens.get(`${deviceId}/${role}`) ?? null,
  storeDeviceAuthToken: ({ deviceId, role, token, scopes }) => tokens.set(`${deviceId}/${role}`, { token, scopes }),
  clearDeviceAuthToken: ({ deviceId, role }) => tokens.delete(`${deviceId}/${role}`),
};
// Test name → the node id (its device id).
const ids = {};

const COMMANDS = ["test.echo", "test.fail", "test.hang"];

// A node that answers test.echo with its params, test.fail with an error, and never answers
// test.hang. Records every invoke request and cancel it receives.
async function connectFakeNode(instanceId, { displayName = "Fake Node", onRequest } = {}) {
  const device = makeDevice();
  ids[instanceId] = device.deviceId;
  const requests = [];
  const cancels = [];
  let client;
  const answer = async (event) => {
    const request = event.payload;
    requests.push(request);
    onRequest?.(request, client);
    const params = request.paramsJSON ? JSON.parse(request.paramsJSON) : null;
    if (request.command === "test.echo") {
      await client.request("node.invoke.result", {
        id: request.id,
        nodeId: request.nodeId,
        ok: true,
        payload: { echo: params },
      });
    } else if (request.command === "test.fail") {
      await client.request("node.invoke.result", {
        id: request.id,
        nodeId: request.nodeId,
        ok: false,
        error: { code: "TEST_FAILED", message: "the test command failed on purpose" },
      });
    }
  };
  const connected = await connectClient(gateway, {
    role: "node",
    scopes: [],
    clientName: "node-host",
    clientDisplayName: displayName,
    mode: "node",
    platform: "linux",
    instanceId,
    deviceIdentity: device,
    hostDeps,
    caps: ["test"],
    commands: COMMANDS,
    onEvent: (event) => {
      if (event.event === "node.invoke.request") answer(event).catch(() => {});
      if (event.event === "node.invoke.cancel") cancels.push(event.payload);
    },
  });
  client = connected.client;
  return { ...connected, requests, cancels };
}

async function eventually(predicate, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function expectError(promise, check) {
  return assert.rejects(promise, (error) => {
    check({ code: error.gatewayCode ?? error.code, message: error.message, details: error.details });
    return true;
  });
}

let keyCounter = 0;
const key = () => `key-${++keyCounter}-${Date.now()}`;

test("a connected node is listed, described and renamed", async () => {
  const node = await connectFakeNode("fake-node-list", { displayName: "Lister" });
  const { client: operator } = await connectClient(gateway);
  try {
    const list = await operator.request("node.list", {});
    assert.equal(typeof list.ts, "number");
    const entry = list.nodes.find((n) => n.nodeId === ids["fake-node-list"]);
    assert.ok(entry, JSON.stringify(list));
    assert.equal(entry.connected, true);
    assert.equal(entry.displayName, "Lister");
    assert.equal(entry.platform, "linux");
    assert.deepEqual(entry.commands, COMMANDS);
    assert.deepEqual(entry.caps, ["test"]);
    assert.equal(typeof entry.connectedAtMs, "number");

    const described = await operator.request("node.describe", { nodeId: ids["fake-node-list"] });
    assert.equal(described.nodeId, ids["fake-node-list"]);
    assert.equal(typeof described.ts, "number");
    await expectError(operator.request("node.describe", { nodeId: "no-such-node" }), (e) => {
      assert.equal(e.code, "INVALID_REQUEST");
    });

    const renamed = await operator.request("node.rename", { nodeId: ids["fake-node-list"], displayName: " Build Box " });
    assert.deepEqual(renamed, { nodeId: ids["fake-node-list"], displayName: "Build Box" });
    const again = await operator.request("node.describe", { nodeId: ids["fake-node-list"] });
    assert.equal(again.displayName, "Build Box");

    node.client.stop();
    await eventually(async () => {
      const after = await operator.request("node.list", {});
      return !after.nodes.some((n) => n.nodeId === ids["fake-node-list"]);
    });
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("node.invoke relays the command and returns the node's payload", async () => {
  const node = await connectFakeNode("fake-node-echo");
  const { client: operator } = await connectClient(gateway);
  try {
    const result = await operator.request("node.invoke", {
      nodeId: ids["fake-node-echo"],
      command: "test.echo",
      params: { text: "hello", n: 3 },
      timeoutMs: 5000,
      idempotencyKey: key(),
    });
    assert.equal(result.ok, true);
    assert.equal(result.nodeId, ids["fake-node-echo"]);
    assert.equal(result.command, "test.echo");
    assert.deepEqual(result.payload, { echo: { text: "hello", n: 3 } });
    const request = node.requests.at(-1);
    assert.equal(request.command, "test.echo");
    assert.equal(request.nodeId, ids["fake-node-echo"]);
    assert.deepEqual(JSON.parse(request.paramsJSON), { text: "hello", n: 3 });
    assert.equal(request.timeoutMs, 5000);
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("a node's error comes back as UNAVAILABLE with the node's code", async () => {
  const node = await connectFakeNode("fake-node-fail");
  const { client: operator } = await connectClient(gateway);
  try {
    await expectError(
      operator.request("node.invoke", { nodeId: ids["fake-node-fail"], command: "test.fail", idempotencyKey: key() }),
      (e) => {
        assert.equal(e.code, "UNAVAILABLE");
        assert.match(e.message, /^TEST_FAILED: the test command failed on purpose/);
        assert.equal(e.details.nodeError.code, "TEST_FAILED");
        assert.equal(e.details.nodeCommandDispatched, true);
      },
    );
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("an unanswered invoke times out, the node is told to cancel, and a late result is ignored", async () => {
  const node = await connectFakeNode("fake-node-slow");
  const { client: operator } = await connectClient(gateway);
  try {
    await expectError(
      operator.request("node.invoke", {
        nodeId: ids["fake-node-slow"],
        command: "test.hang",
        timeoutMs: 300,
        idempotencyKey: key(),
      }),
      (e) => {
        assert.equal(e.code, "UNAVAILABLE");
        assert.equal(e.details.nodeError.code, "TIMEOUT");
      },
    );
    const request = node.requests.at(-1);
    await eventually(() => node.cancels.some((c) => c.invokeId === request.id));
    const late = await node.client.request("node.invoke.result", {
      id: request.id,
      nodeId: ids["fake-node-slow"],
      ok: true,
      payload: { late: true },
    });
    assert.deepEqual(late, { ok: true, ignored: true });
    const progress = await node.client.request("node.invoke.progress", {
      invokeId: request.id,
      nodeId: ids["fake-node-slow"],
      seq: 0,
      chunk: "late output",
    });
    assert.deepEqual(progress, { ok: true, ignored: true });
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("a node disconnecting mid-invoke fails the invoke at once", async () => {
  const node = await connectFakeNode("fake-node-drop", {
    onRequest: (request, client) => {
      if (request.command === "test.hang") client.stop();
    },
  });
  const { client: operator } = await connectClient(gateway);
  try {
    const started = Date.now();
    await expectError(
      operator.request("node.invoke", {
        nodeId: ids["fake-node-drop"],
        command: "test.hang",
        timeoutMs: 20000,
        idempotencyKey: key(),
      }),
      (e) => {
        assert.equal(e.code, "UNAVAILABLE");
        assert.equal(e.details.nodeError.code, "DISCONNECTED");
      },
    );
    assert.ok(Date.now() - started < 10000, "the invoke waited for its timeout instead");
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("a caller disconnecting mid-invoke cancels it on the node", async () => {
  const node = await connectFakeNode("fake-node-orphan");
  const { client: operator } = await connectClient(gateway);
  try {
    operator
      .request("node.invoke", { nodeId: ids["fake-node-orphan"], command: "test.hang", timeoutMs: 20000, idempotencyKey: key() })
      .catch(() => {});
    await eventually(() => node.requests.length > 0);
    operator.stop();
    const request = node.requests[0];
    await eventually(() => node.cancels.some((c) => c.invokeId === request.id && c.nodeId === ids["fake-node-orphan"]));
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("node.invoke refuses undeclared commands, missing scopes, unknown nodes and non-operators", async () => {
  const node = await connectFakeNode("fake-node-rules");
  const { client: admin } = await connectClient(gateway);
  const { client: reader } = await connectClient(gateway, { scopes: ["operator.read"] });
  const { client: writer } = await connectClient(gateway, { scopes: ["operator.write"] });
  try {
    await expectError(
      admin.request("node.invoke", { nodeId: ids["fake-node-rules"], command: "camera.snap", idempotencyKey: key() }),
      (e) => {
        assert.equal(e.code, "INVALID_REQUEST");
        assert.equal(e.details.reason, "command not declared by node");
      },
    );
    await expectError(
      reader.request("node.invoke", { nodeId: ids["fake-node-rules"], command: "test.echo", idempotencyKey: key() }),
      (e) => {
        assert.equal(e.code, "FORBIDDEN");
        assert.equal(e.details.missingScope, "operator.write");
      },
    );
    // Host access needs operator.admin even when the node declares it.
    await expectError(
      writer.request("node.invoke", { nodeId: ids["fake-node-rules"], command: "system.run", idempotencyKey: key() }),
      (e) => {
        assert.equal(e.code, "FORBIDDEN");
        assert.equal(e.details.missingScope, "operator.admin");
      },
    );
    await expectError(
      admin.request("node.invoke", { nodeId: ids["fake-node-rules"], command: "system.execApprovals.get", idempotencyKey: key() }),
      (e) => assert.equal(e.code, "INVALID_REQUEST"),
    );
    await expectError(
      admin.request("node.invoke", { nodeId: "no-such-node", command: "test.echo", idempotencyKey: key() }),
      (e) => {
        assert.equal(e.code, "UNAVAILABLE");
        assert.equal(e.details.code, "NOT_CONNECTED");
        assert.equal(e.details.nodeCommandDispatched, false);
      },
    );
    await expectError(
      admin.request("node.invoke", { nodeId: ids["fake-node-rules"], command: "test.echo" }),
      (e) => assert.equal(e.code, "INVALID_REQUEST"),
    );
    await expectError(
      node.client.request("node.invoke", { nodeId: ids["fake-node-rules"], command: "test.echo", idempotencyKey: key() }),
      (e) => assert.equal(e.code, "FORBIDDEN"),
    );
    // A writer reaches declared, non-host commands.
    const ok = await writer.request("node.invoke", {
      nodeId: ids["fake-node-rules"],
      command: "test.echo",
      params: [1, 2],
      idempotencyKey: key(),
    });
    assert.deepEqual(ok.payload, { echo: [1, 2] });
    assert.equal(node.requests.filter((r) => r.command !== "test.echo").length, 0);
  } finally {
    node.client.stop();
    admin.stop();
    reader.stop();
    writer.stop();
  }
});

test("node-only methods: a result must name the caller's node; node.event is acknowledged", async () => {
  const node = await connectFakeNode("fake-node-events");
  const { client: operator } = await connectClient(gateway);
  try {
    await expectError(
      node.client.request("node.invoke.result", { id: "x", nodeId: "someone-else", ok: true }),
      (e) => assert.equal(e.code, "INVALID_REQUEST"),
    );
    const event = await node.client.request("node.event", { event: "test.ping", payload: { a: 1 } });
    assert.equal(event.ok, true);
    assert.equal(event.event, "test.ping");
    assert.equal(typeof event.handled, "boolean");
    await expectError(operator.request("node.event", { event: "x" }), (e) => assert.equal(e.code, "FORBIDDEN"));
  } finally {
    node.client.stop();
    operator.stop();
  }
});

test("every frame validates against the reference schema", () => {
  expectAllFramesValid();
});
