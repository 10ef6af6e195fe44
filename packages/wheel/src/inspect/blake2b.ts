/**
 * BLAKE2b with a 32-byte digest (RFC 7693), which the PyPI upload form asks for as
 * `blake2_256_digest`. Node's OpenSSL build only exposes the 64-byte variant, and a
 * BLAKE2b-256 digest is not a truncated BLAKE2b-512 (the length is in the parameter
 * block), so it is computed here on 32-bit word pairs.
 */

const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
])

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
].map((row) => row.map((i) => i * 2))

const BLOCK = 128
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const OUT = 32

export class Blake2b256 {
  readonly #h = new Uint32Array(IV)
  readonly #v = new Uint32Array(32)
  readonly #m = new Uint32Array(32)
  readonly #block = Buffer.alloc(BLOCK)
  /** The block's words, read in place on little-endian hosts. */
  readonly #words = LITTLE_ENDIAN
    ? new Uint32Array(this.#block.buffer, this.#block.byteOffset, 32)
    : undefined
  #filled = 0
  #counter = 0

  constructor() {
    this.#h[0] = this.#h[0]! ^ 0x01010000 ^ OUT
  }

  update(data: Uint8Array): this {
    let p = 0
    while (p < data.length) {
      if (this.#filled === BLOCK) {
        this.#counter += BLOCK
        this.#compress(false)
        this.#filled = 0
      }
      const take = Math.min(BLOCK - this.#filled, data.length - p)
      this.#block.set(data.subarray(p, p + take), this.#filled)
      this.#filled += take
      p += take
    }
    return this
  }

  /** The digest as lowercase hex; the hasher is spent afterwards. */
  hex(): string {
    this.#counter += this.#filled
    this.#block.fill(0, this.#filled)
    this.#compress(true)
    return Buffer.from(this.#h.buffer, this.#h.byteOffset, OUT).toString('hex')
  }

  #compress(last: boolean): void {
    const v = this.#v
    const m = this.#m
    const h = this.#h
    if (this.#words !== undefined) m.set(this.#words)
    else for (let i = 0; i < 32; i++) m[i] = this.#block.readUInt32LE(i * 4)
    v.set(h, 0)
    v.set(IV, 16)
    v[24] = v[24]! ^ (this.#counter % 0x100000000)
    v[25] = v[25]! ^ Math.floor(this.#counter / 0x100000000)
    if (last) {
      v[28] = ~v[28]!
      v[29] = ~v[29]!
    }
    for (let round = 0; round < 12; round++) {
      const s = SIGMA[round % 10]!
      g(v, m, 0, 8, 16, 24, s[0]!, s[1]!)
      g(v, m, 2, 10, 18, 26, s[2]!, s[3]!)
      g(v, m, 4, 12, 20, 28, s[4]!, s[5]!)
      g(v, m, 6, 14, 22, 30, s[6]!, s[7]!)
      g(v, m, 0, 10, 20, 30, s[8]!, s[9]!)
      g(v, m, 2, 12, 22, 24, s[10]!, s[11]!)
      g(v, m, 4, 14, 16, 26, s[12]!, s[13]!)
      g(v, m, 6, 8, 18, 28, s[14]!, s[15]!)
    }
    for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!
  }
}

/** v[a] += v[b] on 64-bit words stored as (lo, hi) pairs. */
function add(v: Uint32Array, a: number, b: number): void {
  const lo = v[a]! + v[b]!
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo >= 0x100000000 ? 1 : 0)
  v[a] = lo
}

/** v[a] += (hi, lo) */
function addWord(v: Uint32Array, a: number, lo: number, hi: number): void {
  const sum = v[a]! + lo
  v[a + 1] = v[a + 1]! + hi + (sum >= 0x100000000 ? 1 : 0)
  v[a] = sum
}

function g(
  v: Uint32Array,
  m: Uint32Array,
  a: number,
  b: number,
  c: number,
  d: number,
  x: number,
  y: number,
): void {
  add(v, a, b)
  addWord(v, a, m[x]!, m[x + 1]!)
  let lo = v[d]! ^ v[a]!
  let hi = v[d + 1]! ^ v[a + 1]!
  v[d] = hi // rotate right 32
  v[d + 1] = lo
  add(v, c, d)
  lo = v[b]! ^ v[c]!
  hi = v[b + 1]! ^ v[c + 1]!
  v[b] = (lo >>> 24) ^ (hi << 8) // rotate right 24
  v[b + 1] = (hi >>> 24) ^ (lo << 8)
  add(v, a, b)
  addWord(v, a, m[y]!, m[y + 1]!)
  lo = v[d]! ^ v[a]!
  hi = v[d + 1]! ^ v[a + 1]!
  v[d] = (lo >>> 16) ^ (hi << 16) // rotate right 16
  v[d + 1] = (hi >>> 16) ^ (lo << 16)
  add(v, c, d)
  lo = v[b]! ^ v[c]!
  hi = v[b + 1]! ^ v[c + 1]!
  v[b] = (hi >>> 31) ^ (lo << 1) // rotate right 63
  v[b + 1] = (lo >>> 31) ^ (hi << 1)
}
