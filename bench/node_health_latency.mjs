// The reference's official Node client against a gateway: `health` round trips over one socket.
//   node bench/node_health_latency.mjs ws://127.0.0.1:PORT TOKEN [CALLS]
// Prints {"p50Us":..,"p99Us":..,"calls":..} — bench/run shows it next to the C++ client's figures.
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { GatewayClient } = await import(
  path.join(root, "node_modules/@openclaw/gateway-client/dist/index.mjs")
);
const [url, token, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? 10000);

const client = await new Promise((resolve, reject) => {
  const c = new GatewayClient({
    url,
    token,
    scopes: ["operator.admin"],
    onHelloOk: () => resolve(c),
    onConnectError: (error) => reject(error),
  });
  c.start();
});

for (let i = 0; i < 1000; i++) await client.request("health", {});
const samples = new Float64Array(calls);
for (let i = 0; i < calls; i++) {
  const start = process.hrtime.bigint();
  await client.request("health", {});
  samples[i] = Number(process.hrtime.bigint() - start) / 1000;
}
samples.sort();
const at = (q) => samples[Math.min(calls - 1, Math.floor(q * calls))];
console.log(JSON.stringify({ p50Us: at(0.5), p99Us: at(0.99), calls }));
client.stop();
process.exit(0);
