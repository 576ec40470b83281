// The entry point the runner starts.
import { setFlagsFromString } from 'node:v8';

// The action spends its life asleep between status reads. V8's optimizing compilers would still
// recompile the polling path as it warms up, and their code and compiler memory made RSS grow with
// every read (bench/results.md); the interpreter is fast enough for one request every few seconds.
setFlagsFromString('--no-opt --no-maglev');

// Imported only now, so that the flags above apply to all of the action's code.
const { run } = await import(/* webpackMode: "eager" */ './main.js');
await run();
// Exit as soon as the story ends: an idle keep-alive socket or a stray timer must not hold the step open.
process.exit();
