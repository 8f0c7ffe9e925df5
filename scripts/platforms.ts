// The platforms a VSIX is built for: VS Code's target name, the LanceDB build its native addon comes
// from, and what that addon's first bytes must say (native-format.ts). The LanceDB version is the
// one installed (package.json pins it): LanceDB's JavaScript and its addon must be the same release.

export interface Platform {
  /** `vsce package --target`, and the VSIX's name. */
  target: string;
  /** LanceDB's name for the build: `@lancedb/lancedb-<triple>`, whose addon is `lancedb.<triple>.node`. */
  triple: string;
  /** What describeBinary (native-format.ts) says of the addon. */
  format: string;
}

export const PLATFORMS: readonly Platform[] = [
  { target: 'linux-x64', triple: 'linux-x64-gnu', format: 'ELF x86-64' },
  { target: 'linux-arm64', triple: 'linux-arm64-gnu', format: 'ELF aarch64' },
  { target: 'darwin-arm64', triple: 'darwin-arm64', format: 'Mach-O arm64' },
  { target: 'win32-x64', triple: 'win32-x64-msvc', format: 'PE x86-64' },
];

/** The addon's file name, as LanceDB's loader looks for it next to the bundle. */
export function addonName({ triple }: Platform): string {
  return `lancedb.${triple}.node`;
}

/** The platform of `target`; a clear error naming the known ones otherwise. */
export function platformOf(target: string): Platform {
  const platform = PLATFORMS.find((p) => p.target === target);
  if (!platform) throw new Error(`no platform ${target}: the targets are ${PLATFORMS.map((p) => p.target).join(', ')}`);
  return platform;
}

/** This machine's platform in VS Code's terms. */
export const HOST_TARGET = `${process.platform}-${process.arch}`;

/** This machine's platform (the e2e tests install its VSIX); an error when no VSIX is built for it. */
export function hostPlatform(): Platform {
  return platformOf(HOST_TARGET);
}
