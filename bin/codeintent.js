#!/usr/bin/env node
// Runs the compiled CLI (`npm install` builds it into out/ through the prepare script).
import { main } from '../out/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
