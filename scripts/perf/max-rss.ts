// Preloaded with `node --import` into a command the benchmark times as a user runs it: at exit it
// writes the process's peak resident set size (bytes) to the file named by BENCH_MAX_RSS_FILE.

import { writeFileSync } from 'node:fs';

const file = process.env['BENCH_MAX_RSS_FILE'];
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
