//! Small, valid images made in code (no binary files in the repository), padded to an exact
//! size so an answer matches its spec example byte count: PNG with a private ancillary chunk,
//! baseline JPEG with comment segments and fill bytes.

/// Bytes of `size` for a binary answer of `content_type`: a real PNG or JPEG for those image
/// types, a deterministic filler otherwise. `seed` varies the PNG's pattern.
pub fn body_for(content_type: &str, size: usize, seed: u64) -> Vec<u8> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/png" => png(size, seed),
        "image/jpeg" | "image/jpg" => jpeg(size),
        _ => (0..size).map(|i| (i % 251) as u8).collect(),
    }
}

/// Side of the square PNG, in pixels.
const PNG_SIDE: u32 = 64;
/// Side of one block of the PNG's pattern, in pixels.
const PNG_BLOCK: u32 = 8;
/// Bytes a PNG chunk adds around its data: length, type and CRC.
const CHUNK_OVERHEAD: usize = 12;
/// Bytes of a one-row grayscale PNG besides its `width` pixels (see [`png`]).
const ONE_ROW_OVERHEAD: usize = 69;

/// A grayscale PNG of exactly `size` bytes when `size` is at least 70: a 64×64 block pattern
/// padded with a private chunk, or for small sizes a one-row image of the right width.
pub fn png(size: usize, seed: u64) -> Vec<u8> {
    let pattern = png_image(PNG_SIDE, PNG_SIDE, |x, y| {
        let block = u64::from((x / PNG_BLOCK) * 31 + (y / PNG_BLOCK) * 17);
        if (block.wrapping_mul(seed | 1) >> 3) & 1 == 1 {
            0x10
        } else {
            0xf0
        }
    });
    if size >= pattern.len() + CHUNK_OVERHEAD {
        return with_png_padding(pattern, size);
    }
    let width = size.saturating_sub(ONE_ROW_OVERHEAD).clamp(1, 65_534);
    // `width` is at most 65 534, so it fits a u32.
    png_image(width as u32, 1, |x, _| if x % 2 == 0 { 0x20 } else { 0xe0 })
}

/// Inserts a private ancillary chunk before `IEND` so the file is `size` bytes long.
fn with_png_padding(mut png: Vec<u8>, size: usize) -> Vec<u8> {
    let iend = png.split_off(png.len() - CHUNK_OVERHEAD);
    let pad = size - png.len() - iend.len() - CHUNK_OVERHEAD;
    push_chunk(&mut png, b"sbXp", &vec![0; pad]);
    png.extend_from_slice(&iend);
    png
}

/// An 8-bit grayscale PNG of `width`×`height` pixels, uncompressed (stored deflate blocks).
fn png_image(width: u32, height: u32, pixel: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend((0..width).map(|x| pixel(x, y)));
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit, grayscale, deflate, no filter, no interlace
    push_chunk(&mut out, b"IHDR", &ihdr);
    push_chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    push_chunk(&mut out, b"IEND", &[]);
    out
}

/// Appends one PNG chunk: length, type, data, CRC of type and data.
fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks made here are far below 4 GiB.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        // A stored block holds at most 65 535 bytes.
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 (ISO-HDLC), as PNG uses.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// Adler-32, as zlib uses.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// The largest JPEG comment segment: marker, length and 65 533 bytes of text.
const JPEG_MAX_COMMENT: usize = 2 + 65_535;

/// A baseline JPEG of an 8×8 mid-gray square, exactly `size` bytes when `size` is at least its
/// natural length: padded with comment segments, then with `0xFF` fill bytes before `EOI`.
pub fn jpeg(size: usize) -> Vec<u8> {
    let mut out = vec![0xff, 0xd8];
    // JFIF APP0.
    out.extend_from_slice(&[
        0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    // One quantisation table of ones.
    out.extend_from_slice(&[0xff, 0xdb, 0x00, 0x43, 0x00]);
    out.extend_from_slice(&[1; 64]);
    // Frame: 8-bit, 8×8, one component, no subsampling, table 0.
    out.extend_from_slice(&[0xff, 0xc0, 0x00, 0x0b, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    // Huffman tables with one 1-bit code each: DC category 0 and AC end-of-block.
    for class in [0x00, 0x10] {
        out.extend_from_slice(&[0xff, 0xc4, 0x00, 0x14, class, 1]);
        out.extend_from_slice(&[0; 15]);
        out.push(0);
    }
    // Scan header, then the one block: DC diff 0 ('0'), EOB ('0'), padded with 1 bits.
    out.extend_from_slice(&[0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0, 0x3f]);
    let natural = out.len() + 2;
    let mut remaining = size.saturating_sub(natural);
    while remaining >= 4 {
        let segment = remaining.min(JPEG_MAX_COMMENT);
        // `segment - 2` is at most 65 535.
        let len = (segment - 2) as u16;
        out.extend_from_slice(&[0xff, 0xfe]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend(std::iter::repeat_n(b' ', segment - 4));
        remaining -= segment;
    }
    out.extend(std::iter::repeat_n(0xff, remaining));
    out.extend_from_slice(&[0xff, 0xd9]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_the_exact_size_and_a_valid_structure() {
        for size in [70, 100, 300, 5_000, 204_800] {
            let png = png(size, 7);
            assert_eq!(png.len(), size, "size {size}");
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert!(
                png.ends_with(&[0xae, 0x42, 0x60, 0x82]),
                "IEND CRC at the end"
            );
            // Every chunk's CRC checks out.
            let mut at = 8;
            while at < png.len() {
                let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
                let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
                assert_eq!(crc32(&png[at + 4..at + 8 + len]), crc);
                at += 12 + len;
            }
            assert_eq!(at, png.len());
        }
    }

    #[test]
    fn jpeg_has_the_exact_size_and_markers() {
        for size in [0, 200, 201, 202, 203, 204, 28_316, 339_721] {
            let jpeg = jpeg(size);
            assert!(jpeg.starts_with(&[0xff, 0xd8]) && jpeg.ends_with(&[0xff, 0xd9]));
            if size >= 200 {
                assert_eq!(jpeg.len(), size, "size {size}");
            }
        }
    }

    #[test]
    fn known_checksums() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn other_types_get_filler_of_the_size() {
        assert_eq!(body_for("voice/speex", 16_384, 1).len(), 16_384);
        assert_eq!(
            &body_for("image/png; charset=binary", 100, 1)[..4],
            b"\x89PNG"
        );
    }
}
