// config.* and logs.tail through the official client, the browser Origin check on the
// WebSocket upgrade, and trusted-proxy identity. Every frame validates against the schema.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { startGateway, connectClient, rawSocket, connectFrame, expectAllFramesValid } from "./harness.mjs";

const gateway = await startGateway();
after(() => gateway.stop());
const configFile = join(gateway.stateDir, "pincer.json");

const rejectsWith = (promise, check) =>
  assert.rejects(promise, (error) => {
    check(error);
    return true;
  });

test("config.get shows the file with secrets redacted, and a hash", async () => {
  const { client } = await connectClient(gateway);
  try {
    const snapshot = await client.request("config.get", {});
    assert.equal(snapshot.path, configFile);
    assert.equal(snapshot.exists, true);
    assert.equal(snapshot.valid, true);
    assert.match(snapshot.hash, /^sha256:[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(snapshot).includes(gateway.token), "the token leaked");
    assert.equal(snapshot.parsed.gateway.auth.token, "__OPENCLAW_REDACTED__");
    assert.ok(snapshot.raw.includes("__OPENCLAW_REDACTED__"));
    assert.equal(snapshot.config.gateway.port, 18789);
    assert.deepEqual(snapshot.issues, []);
  } finally {
    client.stop();
  }
});

test("config.set refuses an invalid config with every issue and leaves the file alone", async () => {
  const { client } = await connectClient(gateway);
  try {
    const before = readFileSync(configFile, "utf8");
    await rejectsWith(
      client.request("config.set", { raw: '{gateway: {port: "abc", bind: "moon"}}' }),
      (error) => {
        assert.equal(error.gatewayCode ?? error.code, "INVALID_REQUEST");
        assert.match(error.message, /invalid config: .*gateway\.port/);
        const paths = error.details.issues.map((issue) => issue.path).sort();
        assert.deepEqual(paths, ["gateway.bind", "gateway.port"]);
      },
    );
    assert.equal(readFileSync(configFile, "utf8"), before);
  } finally {
    client.stop();
  }
});

test("a stale baseHash is a conflict", async () => {
  const { client } = await connectClient(gateway);
  try {
    const { raw } = await client.request("config.get", {});
    await rejectsWith(client.request("config.set", { raw, baseHash: "sha256:stale" }), (error) => {
      assert.equal(error.gatewayCode ?? error.code, "INVALID_REQUEST");
      assert.match(error.message, /config changed since last load/);
    });
    await rejectsWith(client.request("config.apply", { raw }), (error) => {
      assert.match(error.message, /config base hash required/);
    });
  } finally {
    client.stop();
  }
});

test("config.set round-trips the redacted text and keeps the stored token", async () => {
  const { client } = await connectClient(gateway);
  try {
    const { raw, hash } = await client.request("config.get", {});
    const edited = raw.replace('"token"', '"token"').replace("{", '{\n  "logging": {"level": "debug"},');
    const result = await client.request("config.set", { raw: edited, baseHash: hash });
    assert.equal(result.ok, true);
    assert.notEqual(result.hash, hash);
    const written = readFileSync(configFile, "utf8");
    assert.ok(written.includes(gateway.token), "the stored token was lost");
    assert.ok(written.includes('"level": "debug"'));
  } finally {
    client.stop();
  }
});

test("config.patch merges, keeps comments, and guards array removal", async () => {
  const { client } = await connectClient(gateway);
  try {
    writeFileSync(
      configFile,
      `// my notes\n{\n  gateway: { auth: { mode: "token", token: "${gateway.token}" } },\n  logging: { redactPatterns: ["a+", "b+"] }, // keep\n}\n`,
      { mode: 0o600 },
    );
    let { hash } = await client.request("config.get", {});
    const patched = await client.request("config.patch", {
      raw: '{ agents: { defaults: { maxConcurrent: 2 } }, logging: { level: "warn" } }',
      baseHash: hash,
    });
    assert.equal(patched.ok, true);
    assert.deepEqual(patched.changedPaths.sort(), ["agents.defaults.maxConcurrent", "logging.level"]);
    const text = readFileSync(configFile, "utf8");
    assert.ok(text.includes("// my notes") && text.includes("// keep"), text);
    assert.equal(patched.config.agents.defaults.maxConcurrent, 2);

    hash = patched.hash;
    await rejectsWith(
      client.request("config.patch", { raw: '{ logging: { redactPatterns: ["a+"] } }', baseHash: hash }),
      (error) => assert.match(error.message, /replacePaths/),
    );
    const replaced = await client.request("config.patch", {
      raw: '{ logging: { redactPatterns: ["a+"], level: null } }',
      baseHash: hash,
      replacePaths: ["logging.redactPatterns"],
    });
    assert.deepEqual(replaced.config.logging.redactPatterns, ["a+"]);
    assert.equal(replaced.config.logging.level, "info");
  } finally {
    client.stop();
  }
});

test("config.apply replaces the whole file", async () => {
  const { client } = await connectClient(gateway);
  try {
    const { hash } = await client.request("config.get", {});
    const raw = JSON.stringify({ gateway: { auth: { mode: "token", token: gateway.token } }, agents: { defaults: { timeoutSeconds: 30 } } });
    const applied = await client.request("config.apply", { raw, baseHash: hash });
    assert.equal(applied.ok, true);
    assert.equal(applied.restartRequired, false);
    assert.equal(JSON.parse(readFileSync(configFile, "utf8")).agents.defaults.timeoutSeconds, 30);
  } finally {
    client.stop();
  }
});

test("config.schema and config.schema.lookup describe the config", async () => {
  const { client } = await connectClient(gateway);
  try {
    const schema = await client.request("config.schema", {});
    assert.equal(schema.schema.properties.gateway.properties.port.type, "integer");
    assert.equal(schema.uiHints["gateway.auth.token"].sensitive, true);
    const auth = await client.request("config.schema.lookup", { path: "gateway.auth" });
    assert.equal(auth.path, "gateway.auth");
    assert.ok(auth.children.some((child) => child.key === "mode" && child.type === "string"));
    const port = await client.request("config.schema.lookup", { path: "gateway.port" });
    assert.equal(port.schema.maximum, 65535);
    assert.equal(port.reloadKind, "restart");
    await rejectsWith(client.request("config.schema.lookup", { path: "nope.x" }), (error) =>
      assert.equal(error.gatewayCode ?? error.code, "INVALID_REQUEST"),
    );
  } finally {
    client.stop();
  }
});

test("writes need operator.admin", async () => {
  const { client } = await connectClient(gateway, { scopes: ["operator.read"] });
  try {
    await client.request("config.get", {});
    await rejectsWith(client.request("config.set", { raw: "{}" }), (error) =>
      assert.equal(error.details?.code, "MISSING_SCOPE"),
    );
  } finally {
    client.stop();
  }
});

test("logs.tail returns the gateway's log lines and pages with the cursor", async () => {
  const { client } = await connectClient(gateway);
  try {
    const first = await client.request("logs.tail", {});
    assert.ok(first.lines.some((line) => line.includes("listening on")), first.lines.join("\n"));
    assert.equal(first.cursor, first.size);
    const next = await client.request("logs.tail", { cursor: first.cursor });
    assert.equal(next.reset, false);
    const rotated = await client.request("logs.tail", { cursor: first.size + 1_000_000, limit: 1 });
    assert.equal(rotated.reset, true);
    assert.ok(rotated.lines.length <= 1);
  } finally {
    client.stop();
  }
});

test("a WebSocket upgrade from a foreign Origin is refused with 403", async () => {
  await assert.rejects(
    rawSocket(gateway, { headers: { Origin: "http://evil.example" } }),
    /403/,
  );
  const same = await rawSocket(gateway, { headers: { Origin: `http://127.0.0.1:${gateway.port}` } });
  await same.next((f) => f.event === "connect.challenge");
  same.ws.close();
});

test("trusted-proxy mode accepts the user a trusted proxy asserts, and only that", async () => {
  const proxied = await startGateway({
    config: {
      gateway: {
        trustedProxies: ["127.0.0.1", "::1"],
        auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user", allowLoopback: true } },
      },
    },
  });
  try {
    const viaProxy = await rawSocket(proxied, {
      headers: { "X-Forwarded-For": "198.51.100.7", "X-Forwarded-User": "nick@example.com" },
    });
    await viaProxy.next((f) => f.event === "connect.challenge");
    viaProxy.send(connectFrame(undefined, { auth: {} }));
    const hello = await viaProxy.next((f) => f.type === "res");
    assert.equal(hello.ok, true, JSON.stringify(hello));
    viaProxy.ws.close();

    const direct = await rawSocket(proxied, { headers: { "X-Forwarded-For": "198.51.100.7" } });
    await direct.next((f) => f.event === "connect.challenge");
    direct.send(connectFrame(undefined, { auth: {} }));
    const refused = await direct.next((f) => f.type === "res");
    assert.equal(refused.ok, false);
    assert.equal(refused.error.details.code, "AUTH_IDENTITY_HEADER_REQUIRED");
    assert.equal(refused.error.details.authReason, "trusted_proxy_user_missing");
    direct.ws.close();
  } finally {
    await proxied.stop();
  }
});

test("every frame validates against the reference schema", () => {
  expectAllFramesValid();
});
