// `npm run emulator`: the IMS + Flow Service emulator on a fixed loopback port, for running the
// action by hand (`npm run local-action`). Its one flow finishes 10 s after each run starts.
// EMULATOR_PORT overrides the port (0 picks a free one). It stops by itself when its parent (npm) dies,
// so that a closed terminal leaves no emulator holding the port.
import { Emulator } from './emulator.ts';

// Who started us, read first: a parent that dies later leaves us with another one.
const parent = process.ppid;

export const DEMO_FLOW_ID = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const port = Number(process.env.EMULATOR_PORT ?? 8787);

const emulator = new Emulator({
  flows: { [DEMO_FLOW_ID]: { finishAfterMs: 10_000, finalStatus: 'success', sourceType: 'table' } },
});
try {
  await emulator.start(port);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${port} is in use: stop the other emulator or set EMULATOR_PORT`
      : `The emulator cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`,
  );
  process.exit(1);
}

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

const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// An orphan is adopted by another process: its parent's pid changes.
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 1000);
