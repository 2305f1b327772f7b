// Conformance harness: runs a real `pincer gateway` and talks to it with the reference's
// official Node client (@openclaw/gateway-client). Every frame the gateway sends during a test
// is captured and validated against the reference's protocol.schema.json (ajv); tests call
// `expectAllFramesValid()` at the end.

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

import WebSocket from "ws";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { GatewayClient } from "@openclaw/gateway-client";

// The schema ships in the package tarball but is not an export; find it next to package.json.
const schemaPath = join(
  fileURLToPath(new URL("../../node_modules/@openclaw/gateway-protocol/", import.meta.url)),
  "protocol.schema.json",
);
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

export const PINCER_BINARY =
  process.env.PINCER_BINARY ??
  join(fileURLToPath(new URL("../../build/src/app/pincer", import.meta.url)));

// ---------------------------------------------------------------------------------------------
// Schema validation

const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(schema, "protocol");
const validatorCache = new Map();
export function validatorFor(definition) {
  if (!validatorCache.has(definition)) {
    if (!schema.definitions[definition]) throw new Error(`no schema definition ${definition}`);
    validatorCache.set(definition, ajv.getSchema(`protocol#/definitions/${definition}`));
  }
  return validatorCache.get(definition);
}

// Method → result definition, for methods whose result the schema defines.
export const RESULT_SCHEMAS = {
  "logs.tail": "LogsTailResult",
  "config.schema": "ConfigSchemaResponse",
  "config.schema.lookup": "ConfigSchemaLookupResult",
  "device.token.rotate": "DeviceTokenRotateResult",
  "node.event": "NodeEventResult",
  "sessions.create": "SessionsCreateResult",
  "sessions.delete": "SessionsDeleteResult",
};
// Event → payload definition.
export const EVENT_SCHEMAS = {
  tick: "TickEvent",
  shutdown: "ShutdownEvent",
  "device.pair.requested": "DevicePairRequestedEvent",
  "device.pair.resolved": "DevicePairResolvedEvent",
  "node.invoke.request": "NodeInvokeRequestEvent",
};

const allFrames = []; // { direction: "in", text, method? }
const pendingMethods = new Map(); // request id → method, from frames the clients send

// The official client may resolve its own copy of ws (a nested node_modules when versions
// differ); patch every WebSocket class in use so its frames are captured too.
const requireFromClient = createRequire(
  fileURLToPath(new URL("../../node_modules/@openclaw/gateway-client/package.json", import.meta.url)),
);
let ClientWebSocket = null;
try {
  ClientWebSocket = requireFromClient("ws");
} catch {}
for (const Socket of new Set([WebSocket, ClientWebSocket].filter(Boolean))) {
  const originalSend = Socket.prototype.send;
  Socket.prototype.send = function (data, ...rest) {
    try {
      const frame = JSON.parse(String(data));
      if (frame?.type === "req") pendingMethods.set(frame.id, frame.method);
    } catch {}
    return originalSend.call(this, data, ...rest);
  };
  const originalEmit = Socket.prototype.emit;
  Socket.prototype.emit = function (event, data, ...rest) {
    if (event === "message") allFrames.push({ text: Buffer.from(data).toString("utf8") });
    return originalEmit.call(this, event, data, ...rest);
  };
}

export function capturedFrames() {
  return allFrames.map((f) => JSON.parse(f.text));
}

// Validates every frame received so far: the frame envelope, hello-ok, error shapes, and the
// payloads of events and results the schema defines.
export function validateFrames(frames = capturedFrames()) {
  const problems = [];
  const check = (definition, value, where) => {
    const validate = validatorFor(definition);
    if (!validate(value)) {
      problems.push(`${where} does not match ${definition}: ${ajv.errorsText(validate.errors)}\n  ${JSON.stringify(value).slice(0, 400)}`);
    }
  };
  for (const frame of frames) {
    check("GatewayFrame", frame, `frame ${JSON.stringify(frame).slice(0, 120)}`);
    if (frame.type === "res" && frame.ok && frame.payload?.type === "hello-ok") {
      check("HelloOk", frame.payload, "hello-ok");
    }
    if (frame.type === "res" && !frame.ok) check("ErrorShape", frame.error, `error of ${frame.id}`);
    if (frame.type === "res" && frame.ok) {
      const method = pendingMethods.get(frame.id);
      const definition = method && RESULT_SCHEMAS[method];
      if (definition) check(definition, frame.payload, `result of ${method}`);
    }
    if (frame.type === "event" && EVENT_SCHEMAS[frame.event]) {
      check(EVENT_SCHEMAS[frame.event], frame.payload, `event ${frame.event}`);
    }
    if (frame.type === "event" && frame.event === "presence") {
      for (const entry of frame.payload?.presence ?? []) check("PresenceEntry", entry, "presence entry");
    }
  }
  return problems;
}

export function expectAllFramesValid() {
  const frames = capturedFrames();
  assert.ok(frames.length > 0, "no frames were captured");
  const problems = validateFrames(frames);
  assert.deepEqual(problems, [], problems.join("\n"));
  return frames.length;
}

// ---------------------------------------------------------------------------------------------
// The gateway process

export async function startGateway({ config = {}, args = [], env = {}, token = "conformance-token" } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), "pincer-conformance-"));
  const fullConfig = { gateway: { auth: { mode: "token", token }, ...(config.gateway ?? {}) }, ...config };
  if (config.gateway) fullConfig.gateway = { auth: { mode: "token", token, ...(config.gateway.auth ?? {}) }, ...config.gateway, ...(config.gateway.auth ? { auth: { mode: "token", token, ...config.gateway.auth } } : {}) };
  writeFileSync(join(stateDir, "pincer.json"), JSON.stringify(fullConfig, null, 2), { mode: 0o600 });
  const child = spawn(PINCER_BINARY, ["gateway", "run", "--port", "0", ...args], {
    env: { ...process.env, HOME: stateDir, PINCER_STATE_DIR: stateDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 15000);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on [^\s]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    token,
    stateDir,
    child,
    output: () => output,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      rmSync(stateDir, { recursive: true, force: true });
      return result;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Clients

// Connects the official client. Resolves with { client, hello, events } once hello-ok arrived;
// rejects with the connect error otherwise.
export function connectClient(gateway, options = {}) {
  const events = [];
  return new Promise((resolve, reject) => {
    const client = new GatewayClient({
      url: gateway.url,
      token: gateway.token,
      scopes: ["operator.admin", "operator.read", "operator.write", "operator.pairing", "operator.approvals"],
      ...options,
      onEvent: (event) => {
        events.push(event);
        options.onEvent?.(event);
      },
      onHelloOk: (hello) => resolve({ client, hello, events }),
      onConnectError: (error) => {
        // Reject first: stop() reports its own "gateway client stopped" connect error
        // synchronously, which would otherwise win the race and hide the gateway's error.
        reject(error);
        client.stop();
      },
    });
    client.start();
  });
}

// A raw WebSocket for malformed-input tests: resolves once open, with a helper to await frames.
export function rawSocket(gateway, { headers } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gateway.url, { headers });
    const inbox = [];
    const waiters = [];
    let closeInfo = null;
    const closeWaiters = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(Buffer.from(data).toString("utf8"));
      const waiter = waiters.findIndex((w) => w.match(frame));
      if (waiter >= 0) waiters.splice(waiter, 1)[0].resolve(frame);
      else inbox.push(frame);
    });
    ws.on("close", (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      closeWaiters.forEach((w) => w(closeInfo));
    });
    ws.on("error", (error) => reject(error));
    ws.on("open", () =>
      resolve({
        ws,
        send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
        next(match = () => true, timeoutMs = 5000) {
          const index = inbox.findIndex(match);
          if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error("timed out waiting for a frame")), timeoutMs);
            waiters.push({ match, resolve: (f) => { clearTimeout(timer); res(f); } });
          });
        },
        closed(timeoutMs = 5000) {
          if (closeInfo) return Promise.resolve(closeInfo);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error("timed out waiting for close")), timeoutMs);
            closeWaiters.push((info) => { clearTimeout(timer); res(info); });
          });
        },
      }),
    );
  });
}

export function connectFrame(token, overrides = {}) {
  return {
    type: "req",
    id: "connect-1",
    method: "connect",
    params: {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: "test", version: "1.0.0", platform: "linux", mode: "test" },
      role: "operator",
      scopes: ["operator.admin"],
      auth: { token },
      ...overrides,
    },
  };
}
