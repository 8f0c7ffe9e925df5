// What a native addon is built for, from its first bytes: the executable format (ELF on Linux,
// Mach-O on macOS, PE on Windows) and the processor. Enough to tell one platform's LanceDB addon
// from another's, without running it.

/** How many leading bytes describeBinary needs (a PE header lies a few hundred bytes in). */
export const HEADER_BYTES = 4096;

const ELF_MACHINES: Record<number, string> = { 0x3e: 'x86-64', 0xb7: 'aarch64' };
const MACH_O_CPUS: Record<number, string> = { 0x01000007: 'x86-64', 0x0100000c: 'arm64' };
const PE_MACHINES: Record<number, string> = { 0x8664: 'x86-64', 0xaa64: 'arm64' };

const hex = (n: number) => `0x${n.toString(16)}`;

/** E.g. "ELF aarch64", "Mach-O arm64", "PE x86-64"; "unknown format" when it is none of the three. */
export function describeBinary(header: Buffer): string {
  if (header.length >= 20 && header.readUInt32BE(0) === 0x7f454c46) {
    const machine = header.readUInt16LE(18); // e_machine (little-endian files, as all of ours are)
    return `ELF ${ELF_MACHINES[machine] ?? `machine ${hex(machine)}`}`;
  }
  if (header.length >= 8 && header.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = header.readUInt32LE(4); // 64-bit Mach-O: cputype
    return `Mach-O ${MACH_O_CPUS[cpu] ?? `cpu ${hex(cpu)}`}`;
  }
  if (header.length >= 0x40 && header.toString('latin1', 0, 2) === 'MZ') {
    const pe = header.readUInt32LE(0x3c); // e_lfanew: where the PE signature is
    if (pe + 6 <= header.length && header.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = header.readUInt16LE(pe + 4);
      return `PE ${PE_MACHINES[machine] ?? `machine ${hex(machine)}`}`;
    }
  }
  return 'unknown format';
}
