/**
 * NaCl `secretbox` (XSalsa20 + Poly1305), the cipher of cosign's encrypted key files.
 * Node's crypto has neither Salsa20 nor a bare Poly1305, and a key file holds ~150 bytes,
 * so a small, test-vector-checked implementation beats a native dependency.
 */

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const

export const SECRETBOX_KEY_BYTES = 32
export const SECRETBOX_NONCE_BYTES = 24
const TAG_BYTES = 16

function load32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  )
}

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0
}

/** Runs the 20 Salsa20 rounds over `input` in place. */
function rounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number) => {
    x[b] = x[b]! ^ rotl((x[a]! + x[d]!) >>> 0, 7)
    x[c] = x[c]! ^ rotl((x[b]! + x[a]!) >>> 0, 9)
    x[d] = x[d]! ^ rotl((x[c]! + x[b]!) >>> 0, 13)
    x[a] = x[a]! ^ rotl((x[d]! + x[c]!) >>> 0, 18)
  }
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12)
    qr(5, 9, 13, 1)
    qr(10, 14, 2, 6)
    qr(15, 3, 7, 11)
    qr(0, 1, 2, 3)
    qr(5, 6, 7, 4)
    qr(10, 11, 8, 9)
    qr(15, 12, 13, 14)
  }
}

/** The Salsa20 state for a 32-byte key and 16 bytes of nonce/counter input. */
function state(key: Uint8Array, input: Uint8Array): Uint32Array {
  const s = new Uint32Array(16)
  s[0] = SIGMA[0]
  s[5] = SIGMA[1]
  s[10] = SIGMA[2]
  s[15] = SIGMA[3]
  for (let i = 0; i < 4; i++) {
    s[1 + i] = load32(key, 4 * i)
    s[11 + i] = load32(key, 16 + 4 * i)
    s[6 + i] = load32(input, 4 * i)
  }
  return s
}

function hsalsa20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const x = state(key, nonce16)
  rounds(x)
  const out = new Uint8Array(32)
  const view = new DataView(out.buffer)
  for (const [i, word] of [0, 5, 10, 15, 6, 7, 8, 9].entries()) view.setUint32(4 * i, x[word]!, true)
  return out
}

/** `length` bytes of Salsa20 keystream for `key` and an 8-byte nonce, counter from 0. */
function salsa20Stream(key: Uint8Array, nonce8: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const input = new Uint8Array(16)
  input.set(nonce8, 0)
  const block = new Uint8Array(64)
  const view = new DataView(block.buffer)
  for (let offset = 0, counter = 0; offset < length; offset += 64, counter++) {
    new DataView(input.buffer).setUint32(8, counter, true)
    const s = state(key, input)
    const x = s.slice()
    rounds(x)
    for (let i = 0; i < 16; i++) view.setUint32(4 * i, (x[i]! + s[i]!) >>> 0, true)
    out.set(block.subarray(0, Math.min(64, length - offset)), offset)
  }
  return out
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

const P1305 = (1n << 130n) - 5n

/** The Poly1305 one-time authenticator (RFC 8439 section 2.5). */
export function poly1305(key: Uint8Array, message: Uint8Array): Uint8Array {
  const r = littleEndian(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn
  const s = littleEndian(key.subarray(16, 32))
  let acc = 0n
  for (let offset = 0; offset < message.length; offset += 16) {
    const chunk = message.subarray(offset, offset + 16)
    acc = ((acc + littleEndian(chunk) + (1n << BigInt(8 * chunk.length))) * r) % P1305
  }
  let tag = (acc + s) & ((1n << 128n) - 1n)
  const out = new Uint8Array(TAG_BYTES)
  for (let i = 0; i < TAG_BYTES; i++, tag >>= 8n) out[i] = Number(tag & 0xffn)
  return out
}

function keystream(key: Uint8Array, nonce: Uint8Array, length: number): Uint8Array {
  if (key.length !== SECRETBOX_KEY_BYTES) throw new Error('secretbox: key must be 32 bytes')
  if (nonce.length !== SECRETBOX_NONCE_BYTES) throw new Error('secretbox: nonce must be 24 bytes')
  return salsa20Stream(hsalsa20(key, nonce.subarray(0, 16)), nonce.subarray(16, 24), 32 + length)
}

function xor(data: Uint8Array, stream: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ stream[i]!
  return out
}

/** `tag || ciphertext`, as Go's `secretbox.Seal` and libsodium's `crypto_secretbox_easy` write it. */
export function secretboxSeal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const stream = keystream(key, nonce, plaintext.length)
  const ciphertext = xor(plaintext, stream.subarray(32))
  const out = new Uint8Array(TAG_BYTES + ciphertext.length)
  out.set(poly1305(stream.subarray(0, 32), ciphertext), 0)
  out.set(ciphertext, TAG_BYTES)
  return out
}

/** The plaintext, or undefined when the box was not sealed with this key (wrong passphrase). */
export function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  if (box.length < TAG_BYTES) return undefined
  const ciphertext = box.subarray(TAG_BYTES)
  const stream = keystream(key, nonce, ciphertext.length)
  const expected = poly1305(stream.subarray(0, 32), ciphertext)
  let difference = 0
  for (let i = 0; i < TAG_BYTES; i++) difference |= expected[i]! ^ box[i]!
  return difference === 0 ? xor(ciphertext, stream.subarray(32)) : undefined
}
