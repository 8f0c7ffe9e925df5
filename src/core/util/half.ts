// IEEE 754 half precision (binary16) for stored vectors: half the bytes of float32, and for unit
// vectors of 256 dimensions a cosine moves by about 1e-4. Node 20 has no Float16Array, and
// apache-arrow's own conversion turns some values into NaN (an exponent rounded up to 31), so the
// bits are made here, rounding to nearest even.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function halfBitsOf(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // infinity, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    if (e < -10) return sign; // too small: zero
    // Subnormal: the implicit bit made explicit, shifted into place, rounded to nearest even.
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let bits = m >>> shift;
    if (rest > half || (rest === half && bits & 1)) bits++;
    return sign | bits;
  }
  let bits = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly steps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits++;
  return sign | bits;
}

/** The binary16 bits of each value. */
export function toHalfBits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBitsOf(values[i] ?? 0);
  return out;
}

let table: Float32Array | undefined;

/** Every binary16 bit pattern's value (256 KiB, made on first use by moving the bits into float32's places). */
function halfTable(): Float32Array {
  if (table) return table;
  const bits32 = new Uint32Array(0x10000);
  for (let bits = 0; bits < 0x10000; bits++) {
    const sign = (bits & 0x8000) << 16;
    const exponent = (bits >>> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0x1f) bits32[bits] = sign | 0x7f800000 | (mantissa << 13); // infinity, NaN
    else if (exponent !== 0) bits32[bits] = sign | ((exponent + 112) << 23) | (mantissa << 13);
    else if (mantissa !== 0) {
      // Subnormal: normalise the mantissa, one exponent step per shift.
      let m = mantissa;
      let e = 113;
      while ((m & 0x400) === 0) {
        m <<= 1;
        e--;
      }
      bits32[bits] = sign | (e << 23) | ((m & 0x3ff) << 13);
    } else bits32[bits] = sign;
  }
  table = new Float32Array(bits32.buffer);
  return table;
}

/** The values of binary16 bits. */
export function fromHalfBits(bits: Uint16Array): Float32Array {
  const values = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = values[bits[i] ?? 0] ?? 0;
  return out;
}
