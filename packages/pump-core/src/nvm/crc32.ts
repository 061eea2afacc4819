/**
 * CRC-32 as in IEEE 802.3 / zlib (reflected, polynomial 0xEDB88320, init and final xor
 * 0xFFFFFFFF). A well-known variant so records can be checked by any off-the-shelf tool.
 */
const POLY_REFLECTED = 0xedb88320;

const TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY_REFLECTED ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 of `bytes`. Pass the CRC of the preceding bytes as `previous` to continue a running
 * CRC, so that crc32(b, crc32(a)) === crc32(a ++ b) and a header and payload can be checked
 * without concatenating them.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
