// Imported before LanceDB, whose Rust layer reads these from the environment when it starts.
import os from 'node:os';

// Its WARN lines (deprecations, tuning hints) would land in users' terminals. Errors still show;
// LANCEDB_LOG set by the user wins.
process.env['LANCEDB_LOG'] ??= 'error';

// Building a full-text index too big for one posting-list batch deadlocks (0 % CPU, forever) when
// Lance's CPU pool is as small as a 1–2 core machine makes it: its blocking pool is left one thread,
// which the producer parks while the consumer waits for it (lancedb/lancedb#3568, seen here on
// LanceDB 0.31.0 with the Linux kernel's 1.1M chunks on 2 cores; 4 threads built it in 89 s).
process.env['LANCE_CPU_THREADS'] ??= String(Math.max(4, os.availableParallelism()));
