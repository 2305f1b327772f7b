// Thousands of authenticated, idle WebSocket connections to one gateway: it must still answer /health
// and a fresh client's RPC quickly, and say how much memory they cost.
//
// Skipped when this process cannot hold that many descriptors (hard RLIMIT_NOFILE too low).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { get } from "node:http";
import { readFileSync } from "node:fs";

import WebSocket from "ws";

import { startGateway, connectClient, connectFrame } from "./harness.mjs";

// The harness records every received frame for schema checks; 10 000 sockets' worth would not
// fit in memory, and these frames are not what this test is about.
WebSocket.prototype.emit = EventEmitter.prototype.emit;

// 10 000 authenticated idle connections take ~25 s to open on a 2-core machine (most of it this
// Node client); PINCER_IDLE_CONNECTIONS overrides the count.
const kConnections = Number(process.env.PINCER_IDLE_CONNECTIONS ?? 10000);
const kBatch = 250; // handshakes in flight at once
const kHeadroom = 100; // descriptors for node itself, the gateway's pipes and the probes

function descriptorLimits() {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
  const [soft, hard] = line.split(/\s+/).slice(3, 5).map((v) => (v === "unlimited" ? Infinity : Number(v)));
  return { soft, hard };
}

// Node cannot call setrlimit on itself; prlimit(1) can raise this process's soft limit.
function raiseDescriptorLimit(wanted) {
  let { soft, hard } = descriptorLimits();
  if (soft >= wanted) return true;
  if (hard < wanted) return false;
  try {
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${wanted}:`]);
  } catch {
    return false;
  }
  ({ soft } = descriptorLimits());
  return soft >= wanted;
}

const canRun = raiseDescriptorLimit(kConnections + kHeadroom);
const skip = canRun ? false : `needs ${kConnections + kHeadroom} file descriptors; the hard limit is ${descriptorLimits().hard}`;

function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match[1]) / 1024;
}

function httpHealth(port) {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/health`, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode));
    }).on("error", reject);
  });
}

// One idle client: connect, authenticate, then ignore whatever the gateway sends.
function idleClient(gateway, index) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gateway.url, { perMessageDeflate: false });
    ws.on("error", reject);
    ws.on("message", function onMessage(data) {
      const frame = JSON.parse(data.toString());
      if (frame.event === "connect.challenge") {
        // No scopes and one shared instanceId: every presence change is broadcast to every
        // operator.read connection with one entry per client instance, which is O(n^2) bytes
        // per connect (200 distinct read-scoped clients already take ~20 s and ~700 MiB).
        // These stand for idle sockets, not for 10 000 distinct operators watching presence.
        const connect = connectFrame(gateway.token, { scopes: [] });
        connect.params.client = { ...connect.params.client, id: `idle-${index}`, instanceId: "idle-fleet" };
        ws.send(JSON.stringify(connect));
      } else if (frame.type === "res" && frame.id === "connect-1") {
        ws.off("message", onMessage);
        if (frame.ok) resolve(ws);
        else reject(new Error(JSON.stringify(frame.error)));
      }
    });
  });
}

test(`${kConnections} idle connections: /health and a fresh RPC stay fast`, { skip, timeout: 60000 + kConnections * 40 }, async () => {
  const gateway = await startGateway();
  const sockets = [];
  try {
    const pid = gateway.child.pid;
    const rssBefore = rssMiB(pid);
    const started = Date.now();
    for (let next = 0; next < kConnections; next += kBatch) {
      const batch = [];
      for (let i = next; i < Math.min(next + kBatch, kConnections); ++i) batch.push(idleClient(gateway, i));
      sockets.push(...(await Promise.all(batch)));
    }
    const openedMs = Date.now() - started;

    let t = Date.now();
    assert.equal(await httpHealth(gateway.port), 200);
    const healthMs = Date.now() - t;

    t = Date.now();
    const { client } = await connectClient(gateway);
    const status = await client.request("status", {});
    const rpcMs = Date.now() - t;
    client.stop();
    assert.equal(status.connections, kConnections + 1);

    const rssAfter = rssMiB(pid);
    console.log(
      `${kConnections} idle connections opened in ${openedMs} ms; gateway RSS ${rssBefore.toFixed(1)} MiB -> ` +
        `${rssAfter.toFixed(1)} MiB (${((rssAfter - rssBefore) * 1024 / kConnections).toFixed(1)} KiB each); ` +
        `/health ${healthMs} ms, connect + status ${rpcMs} ms`,
    );
    assert.ok(healthMs < 1000, `/health took ${healthMs} ms`);
    assert.ok(rpcMs < 2000, `connect + status took ${rpcMs} ms`);
  } finally {
    for (const ws of sockets) ws.terminate();
    await gateway.stop();
  }
});
