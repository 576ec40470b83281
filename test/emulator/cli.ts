// `npm run emulator`: the IMS + Flow Service emulator on a fixed loopback port, for running the
// action by hand (`npm run local-action`). Its one flow finishes 10 s after each run starts.
// EMULATOR_PORT overrides the port (0 picks a free one).
import { Emulator } from './emulator.ts';

export const DEMO_FLOW_ID = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const port = Number(process.env.EMULATOR_PORT ?? 8787);

const emulator = await new Emulator({
  flows: { [DEMO_FLOW_ID]: { finishAfterMs: 10_000, finalStatus: 'success', sourceType: 'table' } },
}).start(port);

console.log(`Emulator of IMS and the Flow Service listening on ${emulator.url}`);
console.log(`  flow-id:       ${DEMO_FLOW_ID} (table-based; each run succeeds 10 s after it starts)`);
console.log(`  client-id:     ${emulator.clientId}`);
console.log(`  client-secret: ${emulator.clientSecret}`);
console.log(`  org-id:        ${emulator.orgId}`);
console.log('Each request is logged below. Ctrl-C stops it.');

let logged = 0;
setInterval(() => {
  for (const r of emulator.requests.slice(logged))
    console.log(`${new Date(r.at).toISOString()} ${r.method} ${r.path} -> ${r.status}`);
  logged = emulator.requests.length;
}, 200);
process.on('SIGINT', () => void emulator.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
