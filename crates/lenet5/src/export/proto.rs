//! The protocol-buffers wire format, just enough of it to write (and read back) ONNX
//! files: varints, length-delimited fields, 32-bit floats.
//!
//! A message is a sequence of fields; each starts with a key `(field_number << 3) |
//! wire_type` as a varint. Wire types used here: 0 = varint (integers, enums), 2 =
//! length-delimited (strings, bytes, sub-messages), 5 = 32-bit little-endian (float).
//! Repeated scalars are written unpacked (one key per element), which every parser
//! accepts, whether the field was declared packed or not.

use crate::error::{Error, Result};

/// Wire type of varint fields.
pub const VARINT: u8 = 0;
/// Wire type of 64-bit fields.
pub const FIXED64: u8 = 1;
/// Wire type of length-delimited fields.
pub const LEN: u8 = 2;
/// Wire type of 32-bit fields.
pub const FIXED32: u8 = 5;

/// A message under construction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Msg {
    /// The encoded fields so far.
    pub buf: Vec<u8>,
}

/// Appends `v` as a base-128 varint (least significant group first).
pub fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

impl Msg {
    /// An empty message.
    pub fn new() -> Self {
        Msg::default()
    }
    fn key(&mut self, field: u32, wire: u8) {
        put_varint(&mut self.buf, (u64::from(field) << 3) | u64::from(wire));
    }
    /// An integer field (int32, int64, enum; negative values take 10 bytes, as
    /// protobuf's two's-complement encoding says).
    pub fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.key(field, VARINT);
        put_varint(&mut self.buf, v as u64);
        self
    }
    /// Each value of a repeated integer field, unpacked.
    pub fn ints(&mut self, field: u32, vs: &[i64]) -> &mut Self {
        for &v in vs {
            self.int(field, v);
        }
        self
    }
    /// A `float` field.
    pub fn float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, FIXED32);
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// A `bytes` field.
    pub fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.key(field, LEN);
        put_varint(&mut self.buf, v.len() as u64);
        self.buf.extend_from_slice(v);
        self
    }
    /// A `string` field.
    pub fn string(&mut self, field: u32, s: &str) -> &mut Self {
        self.bytes(field, s.as_bytes())
    }
    /// A sub-message field.
    pub fn msg(&mut self, field: u32, m: &Msg) -> &mut Self {
        self.bytes(field, &m.buf)
    }
    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// One decoded field: its number and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    pub number: u32,
    pub value: Value<'a>,
}

/// A decoded field value, uninterpreted (the schema says what it means).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    /// The integer of a varint field (two's complement for negative int64).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Varint(v) => Some(v as i64),
            _ => None,
        }
    }
    /// The payload of a length-delimited field.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
    /// The text of a string field.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }
    /// The value of a float field.
    pub fn as_f32(&self) -> Option<f32> {
        match *self {
            Value::Fixed32(v) => Some(f32::from_bits(v)),
            _ => None,
        }
    }
}

fn malformed(what: impl Into<String>) -> Error {
    Error::Usage(format!("malformed protobuf: {}", what.into()))
}

fn read_varint(b: &[u8], pos: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b
            .get(*pos)
            .ok_or_else(|| malformed(format!("varint cut off at byte {pos}")))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(malformed(format!(
        "varint longer than 10 bytes at byte {pos}"
    )))
}

/// Splits one message into its fields (one level; decode a sub-message by calling this
/// on its bytes). Errors on truncation or an unknown wire type.
pub fn parse(b: &[u8]) -> Result<Vec<Field<'_>>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < b.len() {
        let key = read_varint(b, &mut pos)?;
        let number = u32::try_from(key >> 3).map_err(|_| malformed("field number too large"))?;
        let take = |pos: &mut usize, n: usize| -> Result<&[u8]> {
            let end = pos
                .checked_add(n)
                .filter(|&e| e <= b.len())
                .ok_or_else(|| malformed(format!("field {number} runs past the end")))?;
            let s = &b[*pos..end];
            *pos = end;
            Ok(s)
        };
        let value = match (key & 7) as u8 {
            VARINT => Value::Varint(read_varint(b, &mut pos)?),
            FIXED64 => {
                let s = take(&mut pos, 8)?;
                Value::Fixed64(u64::from_le_bytes(
                    s.try_into().map_err(|_| malformed("fixed64"))?,
                ))
            }
            LEN => {
                let n = read_varint(b, &mut pos)?;
                let n = usize::try_from(n).map_err(|_| malformed("length too large"))?;
                Value::Bytes(take(&mut pos, n)?)
            }
            FIXED32 => {
                let s = take(&mut pos, 4)?;
                Value::Fixed32(u32::from_le_bytes(
                    s.try_into().map_err(|_| malformed("fixed32"))?,
                ))
            }
            w => {
                return Err(malformed(format!(
                    "field {number} has unsupported wire type {w}"
                )));
            }
        };
        out.push(Field { number, value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_the_protobuf_documentation() {
        let enc = |v: u64| {
            let mut b = vec![];
            put_varint(&mut b, v);
            b
        };
        assert_eq!(enc(1), [0x01]);
        assert_eq!(enc(150), [0x96, 0x01]);
        assert_eq!(enc(300), [0xac, 0x02]);
        assert_eq!(enc(u64::MAX).len(), 10);
        // Field 1 = 150: the documentation's "08 96 01".
        let mut m = Msg::new();
        m.int(1, 150);
        assert_eq!(m.buf, [0x08, 0x96, 0x01]);
        // Field 2 = "testing": "12 07 74 65 73 74 69 6e 67".
        let mut m = Msg::new();
        m.string(2, "testing");
        assert_eq!(m.buf, b"\x12\x07testing");
    }

    #[test]
    fn fields_round_trip_and_truncation_is_an_error() {
        let mut inner = Msg::new();
        inner.int(1, -1).float(2, 1.5);
        let mut m = Msg::new();
        m.int(3, 7).ints(4, &[1, 300]).string(5, "x").msg(6, &inner);
        let f = parse(&m.buf).unwrap();
        assert_eq!(f.len(), 5);
        assert_eq!(
            f[0],
            Field {
                number: 3,
                value: Value::Varint(7)
            }
        );
        assert_eq!(f[2].value.as_i64(), Some(300));
        assert_eq!(f[3].value.as_str(), Some("x"));
        let g = parse(f[4].value.as_bytes().unwrap()).unwrap();
        assert_eq!(g[0].value.as_i64(), Some(-1));
        assert_eq!(g[1].value.as_f32(), Some(1.5));
        for cut in 1..m.buf.len() {
            // Every strict prefix either parses to fewer fields or is an error; never a panic.
            if let Ok(f) = parse(&m.buf[..cut]) {
                assert!(f.len() < 5);
            }
        }
        assert!(parse(&[0x0b]).is_err()); // wire type 3 (groups): unsupported
    }
}
