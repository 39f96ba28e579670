// Draws Mu's app icons (public/icons/*.png and icon.svg) from a few shapes, without any
// image library: anti-aliased by 4×4 supersampling, encoded as PNG with node:zlib.
// Run: npm run icons (the PNGs are committed; rerun after changing the shapes).
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../public/icons/', import.meta.url));
const BG = [10, 93, 194]; // #0a5dc2
const FG = [255, 255, 255];
const STROKE = 2.4; // in the 32-unit design grid, as in the SVG
// The glyph "Mu" as segments and one arc, in a 32×32 grid (same path as the SVG logo).
const SEGMENTS = [
  [8, 23, 8, 10],
  [8, 10, 12.5, 17],
  [12.5, 17, 17, 10],
  [17, 10, 17, 23],
  [20, 14, 20, 20.2],
  [25.6, 20.2, 25.6, 14],
];
const ARC = { cx: 22.8, cy: 20.2, r: 2.8 }; // lower half circle joining the two strokes of "u"

function segDist(px, py, [x1, y1, x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

function glyphDist(x, y) {
  let d = Infinity;
  for (const s of SEGMENTS) d = Math.min(d, segDist(x, y, s));
  if (y >= ARC.cy) d = Math.min(d, Math.abs(Math.hypot(x - ARC.cx, y - ARC.cy) - ARC.r));
  return d;
}

function insideRoundedRect(x, y, size, radius) {
  const cx = Math.min(Math.max(x, radius), size - radius);
  const cy = Math.min(Math.max(y, radius), size - radius);
  return Math.hypot(x - cx, y - cy) <= radius;
}

/** RGBA pixels of the icon: `maskable` fills the square and shrinks the glyph into the safe zone. */
function draw(size, maskable) {
  const px = new Uint8Array(size * size * 4);
  const radius = maskable ? 0 : size * 0.22;
  const glyphScale = maskable ? 0.62 : 0.84; // share of the icon the 32-unit grid covers
  const grid = (size * glyphScale) / 32;
  const offset = (size - size * glyphScale) / 2;
  const N = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const fx = x + (sx + 0.5) / N;
          const fy = y + (sy + 0.5) / N;
          if (!insideRoundedRect(fx, fy, size, radius)) continue;
          bg++;
          // centre the glyph (its ink spans x 6.8..26.8, y 8.8..24.2 in the grid)
          const gx = (fx - offset) / grid + 0.2;
          const gy = (fy - offset) / grid + 0.5;
          if (glyphDist(gx, gy) <= STROKE / 2) fg++;
        }
      }
      const a = bg / (N * N);
      const f = bg ? fg / bg : 0;
      const i = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) px[i + c] = Math.round(BG[c] * (1 - f) + FG[c] * f);
      px[i + 3] = Math.round(a * 255);
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(out, { recursive: true });
for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['maskable-512.png', 512, true],
]) {
  writeFileSync(out + name, png(size, draw(size, maskable)));
  console.log('wrote', name);
}
writeFileSync(
  out + 'icon.svg',
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0a5dc2"/>` +
    `<g transform="translate(2.39 2.14) scale(0.84)"><path d="M8 23V10l4.5 7L17 10v13M20 14v6.2a2.8 2.8 0 0 0 5.6 0V14" ` +
    `fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></g></svg>\n`,
);
console.log('wrote icon.svg');
