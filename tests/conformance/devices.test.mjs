// Device identity, pairing and device tokens with the official client: it signs the connect
// challenge with an Ed25519 key (node:crypto), stores the device token the gateway issues, and
// reconnects with that token alone. Raw sockets cover the signature failures, and a second
// gateway bound to this host's non-loopback address covers pairing requests an operator must
// approve or reject.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, createHash, createPublicKey, sign } from "node:crypto";
import { networkInterfaces } from "node:os";

import {
  startGateway,
  connectClient,
  rawSocket,
  connectFrame,
  expectAllFramesValid,
  RESULT_SCHEMAS,
  EVENT_SCHEMAS,
} from "./harness.mjs";

const gateway = await startGateway();
after(() => gateway.stop());

function makeDevice() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "jwk" }).x; // base64url of the raw 32-byte key
  return {
    deviceId: createHash("sha256").update(Buffer.from(raw, "base64url")).digest("hex"),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }),
    publicKeyRaw: raw,
  };
}

const signPayload = (privateKeyPem, payload) =>
  sign(null, Buffer.from(payload, "utf8"), privateKeyPem).toString("base64url");

// The client's host dependencies, with device tokens kept in a Map instead of ~/.openclaw.
function hostDeps(tokens) {
  return {
    signDevicePayload: signPayload,
    publicKeyRawBase64UrlFromPem: (pem) => createPublicKey(pem).export({ format: "jwk" }).x,
    loadDeviceAuthToken: ({ deviceId, role }) => tokens.get(`${deviceId}/${role}`) ?? null,
    storeDeviceAuthToken: ({ deviceId, role, token, scopes }) =>
      tokens.set(`${deviceId}/${role}`, { token, scopes }),
    clearDeviceAuthToken: ({ deviceId, role }) => tokens.delete(`${deviceId}/${role}`),
  };
}

// A raw connect frame signed like the reference client (v3 payload), with knobs to break it.
function signedConnect(device, nonce, { token, scopes = ["operator.read"], signNonce = nonce, signedAt = Date.now(), signScopes = scopes } = {}) {
  const payload = ["v3", device.deviceId, "test", "test", "operator", signScopes.join(","), String(signedAt), token ?? "", signNonce, "linux", ""].join("|");
  return connectFrame(token, {
    scopes,
    device: {
      id: device.deviceId,
      publicKey: device.publicKeyRaw,
      signature: signPayload(device.privateKeyPem, payload),
      signedAt,
      nonce,
    },
  });
}

async function rawConnect(target, build) {
  const socket = await rawSocket(target);
  const challenge = await socket.next((f) => f.event === "connect.challenge");
  socket.send(build(challenge.payload.nonce));
  const response = await socket.next((f) => f.type === "res");
  return { socket, response };
}

const device = makeDevice();
const tokens = new Map();
const stored = () => tokens.get(`${device.deviceId}/operator`)?.token;

test("a loopback device with the shared token is paired at once and gets a device token", async () => {
  const { client, hello } = await connectClient(gateway, { deviceIdentity: device, hostDeps: hostDeps(tokens) });
  try {
    assert.equal(typeof hello.auth.deviceToken, "string");
    assert.equal(stored(), hello.auth.deviceToken);
    const list = await client.request("device.pair.list", {});
    const entry = list.paired.find((d) => d.deviceId === device.deviceId);
    assert.ok(entry, "the device is listed as paired");
    assert.deepEqual(entry.roles, ["operator"]);
    assert.equal(entry.publicKey, device.publicKeyRaw);
    assert.equal(entry.tokens[0].role, "operator");
    assert.equal(JSON.stringify(entry).includes(hello.auth.deviceToken), false, "no token material in lists");
    assert.deepEqual(list.pending, []);
  } finally {
    client.stop();
  }
});

test("the device reconnects with its device token alone", async () => {
  const { client, hello } = await connectClient(gateway, { token: undefined, deviceIdentity: device, hostDeps: hostDeps(tokens) });
  try {
    assert.equal(hello.auth.deviceToken, undefined, "no new token for a token-authenticated connect");
    assert.ok(hello.auth.scopes.includes("operator.pairing"));
    const identity = await client.request("gateway.identity.get", {});
    assert.match(identity.deviceId, /^[0-9a-f]{64}$/);
    assert.equal(createHash("sha256").update(Buffer.from(identity.publicKey, "base64url")).digest("hex"), identity.deviceId);
  } finally {
    client.stop();
  }
});

test("rotation hands the new token only to the device itself; the old one stops working", async () => {
  const old = stored();
  const { client } = await connectClient(gateway, { token: undefined, deviceIdentity: device, hostDeps: hostDeps(tokens) });
  let rotated;
  try {
    rotated = await client.request("device.token.rotate", { deviceId: device.deviceId, role: "operator" });
    assert.equal(rotated.tokenDelivery, "in-band");
    assert.equal(typeof rotated.token, "string");
    assert.notEqual(rotated.token, old);
  } finally {
    client.stop();
  }
  const admin = await connectClient(gateway);
  try {
    const other = await admin.client.request("device.token.rotate", { deviceId: device.deviceId, role: "operator" });
    assert.equal(other.tokenDelivery, "withheld-cross-device");
    assert.equal(other.token, undefined);
    // That rotation replaced the token again: neither earlier token is valid now.
    await assert.rejects(
      connectClient(gateway, { token: undefined, deviceToken: rotated.token, deviceIdentity: device, hostDeps: hostDeps(new Map()) }),
      (error) => {
        assert.equal(error.details?.code, "AUTH_DEVICE_TOKEN_MISMATCH");
        return true;
      },
    );
  } finally {
    admin.client.stop();
  }
  // The shared token still works and issues a fresh device token.
  tokens.clear();
  const { client: again, hello } = await connectClient(gateway, { deviceIdentity: device, hostDeps: hostDeps(tokens) });
  again.stop();
  assert.equal(typeof hello.auth.deviceToken, "string");
});

test("revoking a token closes the device's connection and refuses the token", async () => {
  const closed = [];
  const revokedToken = stored();
  const { client: deviceClient } = await connectClient(gateway, {
    token: undefined,
    deviceIdentity: device,
    hostDeps: hostDeps(tokens),
    onClose: (code, reason) => closed.push({ code, reason }),
  });
  const { client: admin } = await connectClient(gateway);
  try {
    const result = await admin.request("device.token.revoke", { deviceId: device.deviceId, role: "operator" });
    assert.equal(result.deviceId, device.deviceId);
    for (let i = 0; i < 50 && closed.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed[0]?.code, 1008);
    await assert.rejects(
      connectClient(gateway, { token: undefined, deviceToken: revokedToken, deviceIdentity: device, hostDeps: hostDeps(new Map()) }),
      (error) => {
        assert.equal(error.details?.code, "AUTH_DEVICE_TOKEN_MISMATCH");
        return true;
      },
    );
  } finally {
    deviceClient.stop();
    admin.stop();
  }
});

test("bad device proofs are refused with DEVICE_AUTH_* details", async () => {
  const fresh = makeDevice();
  const cases = [
    [(nonce) => signedConnect(fresh, nonce, { token: gateway.token, signNonce: "stale" }), "DEVICE_AUTH_SIGNATURE_INVALID"],
    [(nonce) => signedConnect(fresh, "stale", { token: gateway.token }), "DEVICE_AUTH_NONCE_MISMATCH"],
    [(nonce) => signedConnect(fresh, nonce, { token: gateway.token, signScopes: ["operator.admin"] }), "DEVICE_AUTH_SIGNATURE_INVALID"],
    [(nonce) => signedConnect(fresh, nonce, { token: gateway.token, signedAt: Date.now() - 10 * 60 * 1000 }), "DEVICE_AUTH_SIGNATURE_EXPIRED"],
    [(nonce) => {
      const frame = signedConnect(fresh, nonce, { token: gateway.token });
      frame.params.device.id = makeDevice().deviceId;
      return frame;
    }, "DEVICE_AUTH_DEVICE_ID_MISMATCH"],
    [(nonce) => {
      const frame = signedConnect(fresh, nonce, { token: gateway.token });
      delete frame.params.device.nonce;
      return frame;
    }, "DEVICE_AUTH_NONCE_REQUIRED"],
  ];
  for (const [build, code] of cases) {
    const { socket, response } = await rawConnect(gateway, build);
    assert.equal(response.ok, false);
    assert.equal(response.error.details?.code, code, JSON.stringify(response.error));
    assert.equal((await socket.closed()).code, 1008);
  }
});

test("a node without a device identity is refused", async () => {
  const { socket, response } = await rawConnect(gateway, (nonce) => connectFrame(gateway.token, { role: "node", scopes: [] }));
  assert.equal(response.ok, false);
  assert.equal(response.error.details?.code, "DEVICE_IDENTITY_REQUIRED");
  await socket.closed();
});

test("method params are checked and name the field", async () => {
  const { client } = await connectClient(gateway);
  try {
    for (const [method, params, field] of [
      ["device.pair.approve", {}, "requestId"],
      ["device.pair.remove", { deviceId: 7 }, "deviceId"],
      ["device.pair.rename", { deviceId: "x" }, "label"],
      ["device.token.rotate", { deviceId: "x" }, "role"],
    ]) {
      await assert.rejects(client.request(method, params), (error) => {
        assert.equal(error.gatewayCode ?? error.code, "INVALID_REQUEST");
        assert.match(error.message, new RegExp(field));
        return true;
      });
    }
    await assert.rejects(client.request("device.pair.approve", { requestId: "nope" }), /unknown requestId/);
    await assert.rejects(client.request("device.pair.remove", { deviceId: "nope" }), /unknown deviceId/);
  } finally {
    client.stop();
  }
});

// Pairing requests come only from non-loopback peers: bind a second gateway to this host's LAN
// address and connect through it.
const lanAddress = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;

test("a remote device waits for approval; approve and reject emit resolved events", { skip: !lanAddress && "no non-loopback IPv4 address" }, async () => {
  const remote = await startGateway({ config: { gateway: { bind: "custom", customBindHost: lanAddress } } });
  const target = { url: `ws://${lanAddress}:${remote.port}` };
  try {
    const admin = await rawConnect(target, () => connectFrame(remote.token, { scopes: ["operator.admin"] }));
    assert.equal(admin.response.ok, true);
    const call = async (method, params) => {
      const id = `${method}-${Math.random()}`;
      admin.socket.send({ type: "req", id, method, params });
      return admin.socket.next((f) => f.type === "res" && f.id === id);
    };

    const pendingDevice = makeDevice();
    const first = await rawConnect(target, (nonce) => signedConnect(pendingDevice, nonce, { token: remote.token }));
    assert.equal(first.response.ok, false);
    assert.equal(first.response.error.code, "NOT_PAIRED");
    assert.equal(first.response.error.details.code, "PAIRING_REQUIRED");
    assert.equal(first.response.error.details.reason, "not-paired");
    const requestId = first.response.error.details.requestId;
    assert.match(first.response.error.message, new RegExp(`pincer devices approve ${requestId}`));
    const closed = await first.socket.closed();
    assert.equal(closed.code, 1008);
    const requested = await admin.socket.next((f) => f.event === "device.pair.requested");
    assert.equal(requested.payload.requestId, requestId);
    assert.equal(requested.payload.deviceId, pendingDevice.deviceId);

    const list = await call("device.pair.list", {});
    assert.deepEqual(list.payload.pending.map((p) => p.requestId), [requestId]);

    const approved = await call("device.pair.approve", { requestId });
    assert.equal(approved.ok, true, JSON.stringify(approved.error));
    const resolved = await admin.socket.next((f) => f.event === "device.pair.resolved");
    assert.deepEqual([resolved.payload.requestId, resolved.payload.decision], [requestId, "approved"]);

    const second = await rawConnect(target, (nonce) => signedConnect(pendingDevice, nonce, { token: remote.token }));
    assert.equal(second.response.ok, true, JSON.stringify(second.response.error));
    assert.equal(typeof second.response.payload.auth.deviceToken, "string");
    second.socket.ws.close();

    const rejectedDevice = makeDevice();
    const third = await rawConnect(target, (nonce) => signedConnect(rejectedDevice, nonce, { token: remote.token }));
    const otherId = third.response.error.details.requestId;
    await third.socket.closed();
    await admin.socket.next((f) => f.event === "device.pair.requested" && f.payload.requestId === otherId);
    const rejected = await call("device.pair.reject", { requestId: otherId });
    assert.equal(rejected.ok, true);
    const rejectedEvent = await admin.socket.next((f) => f.event === "device.pair.resolved" && f.payload.requestId === otherId);
    assert.equal(rejectedEvent.payload.decision, "rejected");

    const removed = await call("device.pair.remove", { deviceId: pendingDevice.deviceId });
    assert.equal(removed.ok, true);
    const after = await call("device.pair.list", {});
    assert.equal(after.payload.paired.some((d) => d.deviceId === pendingDevice.deviceId), false);
    assert.deepEqual(after.payload.pending, []);
    admin.socket.ws.close();
  } finally {
    await remote.stop();
  }
});

test("every frame validates against the reference schema", () => {
  assert.ok(RESULT_SCHEMAS["device.token.rotate"]);
  assert.ok(EVENT_SCHEMAS["device.pair.resolved"]);
  expectAllFramesValid();
});
