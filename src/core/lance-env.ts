// Imported before LanceDB: its Rust layer logs WARN lines (deprecations, tuning hints) to stderr,
// which would land in users' terminals. Errors still show; LANCEDB_LOG set by the user wins.
process.env['LANCEDB_LOG'] ??= 'error';
