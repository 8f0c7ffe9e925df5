// The one apache-arrow the store builds tables with: the copy LanceDB itself loads. LanceDB is
// CommonJS and `require`s arrow's CommonJS build, while an ESM `import` gets its .mjs build — a
// second copy whose tables fail LanceDB's `instanceof` checks ("Table and inner RecordBatch schemas
// must be equivalent"). Compiled to ESM (out/), the CommonJS copy is taken with `createRequire`; in
// an extension bundle (no import.meta.url) scripts/bundle.ts points both at the CommonJS build.

import { createRequire } from 'node:module';
import * as bundled from 'apache-arrow';

type Arrow = typeof bundled;

export const arrow: Arrow = typeof import.meta.url === 'string' ? (createRequire(import.meta.url)('apache-arrow') as Arrow) : bundled;
