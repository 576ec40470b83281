// The entry point the runner starts. Exit as soon as the story ends: an idle keep-alive socket or
// a stray timer must not hold the step open.
import { run } from './main.js';

await run();
process.exit();
