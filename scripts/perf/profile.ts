// Reads a V8 .cpuprofile (node --cpu-prof) and says where the main thread's time went: self time
// by area of the code and by function. Work on LanceDB's Rust threads is not in a JS profile; the
// main thread shows it as (idle) while it awaits.

import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  byArea: ProfileEntry[];
  topFunctions: ProfileEntry[];
}

function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(idle)') return '(idle: awaiting I/O or native threads)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: native, outside JS)';
    return '(native)';
  }
  const out = /\/out\/(src\/core\/[a-z-]+|src\/[a-z]+|scripts)/.exec(url);
  if (out) return out[1]?.replace(/\/(chunk|crawl|embed|train)$/, '/$1/') ?? url;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith('node:')) return 'node: internals';
  if (url.startsWith('wasm://')) return 'WebAssembly (tree-sitter)';
  return url;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/out/');
  if (i >= 0) return url.slice(i + 5);
  const j = url.lastIndexOf('/node_modules/');
  if (j >= 0) return url.slice(j + 14);
  return url.replace(/^file:\/\//, '');
}

export async function summarizeProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const frames = new Map<number, CallFrame>();
  for (const node of profile.nodes) frames.set(node.id, node.callFrame);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const frame = frames.get(id);
    if (!frame) return;
    totalUs += us;
    const a = area(frame);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const name = frame.url === '' ? frame.functionName : `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  });
  const entries = (map: Map<string, number>): ProfileEntry[] =>
    [...map]
      .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return { file, totalMs: totalUs / 1000, byArea: entries(byArea), topFunctions: entries(byFunction).slice(0, top) };
}
