// A client that authenticates, then floods requests while never reading a byte: the gateway
// must drop it once its unsent responses pass maxBufferedBytes (50 MiB), keep its own memory
// bounded meanwhile, and go on serving everyone else.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import { startGateway, connectClient, connectFrame } from "./harness.mjs";

const gateway = await startGateway();
after(() => gateway.stop());

const kMaxBufferedBytes = 50 * 1024 * 1024;
const kRssLimitBytes = 150 * 1024 * 1024;

function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match[1]) * 1024;
}

// A client text frame. Clients must mask; a zero mask key leaves the payload as is.
function clientFrame(text) {
  const payload = Buffer.from(text, "utf8");
  let header;
  if (payload.length < 126) {
    header = Buffer.from([0x81, 0x80 | payload.length]);
  } else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    throw new Error("frame too large for this helper");
  }
  return Buffer.concat([header, Buffer.alloc(4), payload]);
}

// Server frames are unmasked; returns { text, rest } for the first complete frame, or null.
function parseServerFrame(buffer) {
  if (buffer.length < 2) return null;
  let length = buffer[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return null;
  return {
    text: buffer.subarray(offset, offset + length).toString("utf8"),
    rest: buffer.subarray(offset + length),
  };
}

// Does the WebSocket upgrade and the connect handshake by hand on a plain TCP socket, then
// stops reading: from here on the kernel buffers fill and the gateway's queue grows.
function authenticatedRawTcp(target) {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, "127.0.0.1");
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        assert.match(buffer.subarray(0, end).toString(), /^HTTP\/1\.1 101/);
        buffer = buffer.subarray(end + 4);
        upgraded = true;
      }
      for (let frame = parseServerFrame(buffer); frame; frame = parseServerFrame(buffer)) {
        buffer = frame.rest;
        const message = JSON.parse(frame.text);
        if (message.event === "connect.challenge") {
          socket.write(clientFrame(JSON.stringify(connectFrame(target.token))));
        } else if (message.type === "res" && message.id === "connect-1") {
          if (!message.ok) return reject(new Error(JSON.stringify(message.error)));
          socket.off("data", onData);
          socket.pause();
          return resolve(socket);
        }
      }
    };
    socket.on("data", onData);
  });
}

test("a client that never reads is dropped past maxBufferedBytes; memory stays bounded", async () => {
  const { client: observer } = await connectClient(gateway);
  try {
    const pid = gateway.child.pid;
    const rssBefore = rssBytes(pid);
    const slow = await authenticatedRawTcp(gateway);
    let writeError = null;
    slow.on("error", (error) => (writeError = error));
    assert.equal((await observer.request("status", {})).connections, 2);

    // `status` answers are a few hundred bytes: keep them coming until the gateway gives up.
    const batch = Buffer.concat(
      Array.from({ length: 500 }, (_, i) => clientFrame(JSON.stringify({ type: "req", id: `s${i}`, method: "status" }))),
    );
    let sentRequests = 0;
    let rssPeak = rssBefore;
    let dropped = false;
    const deadline = Date.now() + 60000;
    while (!dropped && Date.now() < deadline && !writeError) {
      if (!slow.write(batch)) {
        await new Promise((resolve) => slow.once("drain", resolve).once("close", resolve));
      }
      sentRequests += 500;
      if (sentRequests % 10000 === 0) {
        rssPeak = Math.max(rssPeak, rssBytes(pid));
        dropped = (await observer.request("status", {})).connections === 1;
      }
    }
    // The write side may already be cut; wait for the gateway to count the connection gone.
    while (!dropped && Date.now() < deadline) {
      rssPeak = Math.max(rssPeak, rssBytes(pid));
      dropped = (await observer.request("status", {})).connections === 1;
      if (!dropped) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    slow.destroy();
    const rssAfter = rssBytes(pid);
    console.log(
      `slow consumer: ${sentRequests} requests sent; gateway RSS before ${(rssBefore / 1048576).toFixed(1)} MiB, ` +
        `peak ${(rssPeak / 1048576).toFixed(1)} MiB, after ${(rssAfter / 1048576).toFixed(1)} MiB`,
    );
    assert.ok(dropped, `the gateway kept the slow consumer after ${sentRequests} requests`);
    assert.match(gateway.output(), /disconnecting slow consumer .* bytes unsent/);
    const unsent = Number(/disconnecting slow consumer .*: (\d+) bytes unsent/.exec(gateway.output())[1]);
    assert.ok(unsent > kMaxBufferedBytes && unsent < kMaxBufferedBytes + 1024 * 1024, `${unsent} bytes unsent`);
    assert.ok(rssPeak < kRssLimitBytes, `gateway RSS peaked at ${rssPeak} bytes`);
    assert.ok(rssAfter < kRssLimitBytes, `gateway RSS is ${rssAfter} bytes afterwards`);

    // Everyone else is still served.
    assert.equal((await observer.request("health", {})).ok, true);
    const { client: fresh } = await connectClient(gateway);
    assert.equal((await fresh.request("health", {})).ok, true);
    fresh.stop();
  } finally {
    observer.stop();
  }
});
