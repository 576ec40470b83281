// zod's settings for the whole step, applied before any schema is built (index.ts imports this first).
import { z } from 'zod';

// No code generation for object schemas: zod's check of whether it may `eval` reads `navigator`,
// which Node builds on first use (a few ms of failing on a bad input), and the action parses too
// little for generated parsers to pay for themselves.
z.config({ jitless: true });
