//! Serde helpers used by generated code.
//!
//! WeChat is loose about JSON types: booleans arrive as `0`/`1`, numbers as strings, and string
//! fields sometimes as numbers. The `with`-modules here make one field tolerant; the functions
//! below implement the (de)serialization of open enums, closed enums and tagged unions, so that
//! generated code stays small. None of this is meant to be called by hand.

use std::fmt::{self, Display};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::{Error as _, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A `bool` sent as `0`/`1`; accepts `0`, `1`, `true`, `false` (and `"0"`/`"1"`).
pub mod int_bool {
    use super::*;

    /// Writes `true` as `1` and `false` as `0`.
    pub fn serialize<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*value))
    }

    /// Reads `0`/`1`/`true`/`false`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(IntBoolVisitor)
    }
}

/// `Option<bool>` sent as `0`/`1`; use with `#[serde(default)]`. `null` reads as `None`.
pub mod opt_int_bool {
    use super::*;

    /// Writes `Some(true)` as `1`, `Some(false)` as `0` and `None` as `null`.
    pub fn serialize<S: Serializer>(value: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_u8(u8::from(*v)),
            None => s.serialize_none(),
        }
    }

    /// Reads `0`/`1`/`true`/`false` or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        d.deserialize_option(OptionVisitor(IntBoolVisitor))
    }
}

/// A number sent as a JSON string (`"123"`); accepts `"123"` or `123`.
pub mod string_number {
    use super::*;

    /// Writes the number as a string.
    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    /// Reads a string holding a number, or a number.
    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        d.deserialize_any(StringNumberVisitor(PhantomData))
    }
}

/// `Option` of a number sent as a string; use with `#[serde(default)]`.
pub mod opt_string_number {
    use super::*;

    /// Writes `Some(n)` as `"n"` and `None` as `null`.
    pub fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    /// Reads a string holding a number, a number, or `null`.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        d.deserialize_option(OptionVisitor(StringNumberVisitor(PhantomData)))
    }
}

/// A `String` that WeChat sometimes sends as a number; numbers are kept as their decimal text.
pub mod string_or_int {
    use super::*;

    /// Writes the string.
    pub fn serialize<S: Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value)
    }

    /// Reads a string or a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_any(StringOrIntVisitor)
    }
}

/// `Option<String>` that may arrive as a number; use with `#[serde(default)]`.
pub mod opt_string_or_int {
    use super::*;

    /// Writes `Some(s)` as a string and `None` as `null`.
    pub fn serialize<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(v),
            None => s.serialize_none(),
        }
    }

    /// Reads a string, a number, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_option(OptionVisitor(StringOrIntVisitor))
    }
}

/// Deserializes an open enum: any string, mapped by `from_wire` (which keeps unknown values).
pub fn open_enum<'de, D, T>(d: D, from_wire: fn(&str) -> T) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let s = String::deserialize(d)?;
    Ok(from_wire(&s))
}

/// Deserializes a closed enum: a string that `from_wire` must know; `expected` lists the values
/// for the error message.
pub fn closed_enum<'de, D, T>(
    d: D,
    from_wire: fn(&str) -> Option<T>,
    expected: &'static [&'static str],
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let s = String::deserialize(d)?;
    from_wire(&s).ok_or_else(|| de::Error::unknown_variant(&s, expected))
}

/// Serializes an enum as its wire string.
pub fn enum_str<S: Serializer>(s: S, wire: &str) -> Result<S::Ok, S::Error> {
    s.serialize_str(wire)
}

/// Serializes one variant of a tagged union: `{tag: tag_value, payload_key: payload}` when
/// `payload_key` is given (payload under a key), else `{tag: tag_value, ...payload's fields}`.
pub fn serialize_tagged<S, T>(
    s: S,
    tag: &str,
    tag_value: &str,
    payload_key: Option<&str>,
    payload: &T,
) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: Serialize + ?Sized,
{
    match payload_key {
        Some(key) => {
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry(tag, tag_value)?;
            map.serialize_entry(key, payload)?;
            map.end()
        }
        None => {
            let fields = match serde_json::to_value(payload).map_err(S::Error::custom)? {
                Value::Object(fields) => fields,
                other => {
                    return Err(S::Error::custom(format_args!(
                        "the payload of `{tag}` = `{tag_value}` must be an object, not {}",
                        json_kind(&other)
                    )));
                }
            };
            let mut map = s.serialize_map(Some(fields.len() + 1))?;
            map.serialize_entry(tag, tag_value)?;
            for (k, v) in fields.iter().filter(|(k, _)| k.as_str() != tag) {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
}

/// Reads a tagged union's JSON object and returns its tag value and the whole object.
pub fn read_tagged<'de, D: Deserializer<'de>>(
    d: D,
    tag: &str,
) -> Result<(String, Value), D::Error> {
    let raw = Value::deserialize(d)?;
    let Value::Object(fields) = &raw else {
        return Err(de::Error::custom(format_args!(
            "expected an object with a `{tag}` field, found {}",
            json_kind(&raw)
        )));
    };
    match fields.get(tag) {
        Some(Value::String(value)) => Ok((value.clone(), raw.clone())),
        Some(other) => Err(de::Error::custom(format_args!(
            "`{tag}` must be a string, found {}",
            json_kind(other)
        ))),
        None => Err(de::Error::custom(format_args!("missing field `{tag}`"))),
    }
}

/// Decodes a union variant's payload from the object `raw` returned by [`read_tagged`]: the value
/// under `payload_key` if given, else the object itself.
pub fn tagged_payload<T: DeserializeOwned, E: de::Error>(
    raw: &Value,
    payload_key: Option<&str>,
) -> Result<T, E> {
    let value = match payload_key {
        Some(key) => raw
            .get(key)
            .ok_or_else(|| E::custom(format_args!("missing field `{key}`")))?,
        None => raw,
    };
    T::deserialize(value).map_err(E::custom)
}

/// The error for a union tag that this version does not know (request-only unions).
pub fn unknown_tag<E: de::Error>(tag: &str, value: &str, expected: &'static [&'static str]) -> E {
    E::custom(format_args!(
        "unknown `{tag}` value `{value}`, expected one of: {}",
        expected.join(", ")
    ))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct IntBoolVisitor;

impl Visitor<'_> for IntBoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0, 1, true or false")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v {
            "0" | "false" => Ok(false),
            "1" | "true" => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

struct StringNumberVisitor<T>(PhantomData<T>);

impl<T> StringNumberVisitor<T>
where
    T: FromStr,
    T::Err: Display,
{
    fn parse<E: de::Error>(text: &str) -> Result<T, E> {
        text.trim()
            .parse()
            .map_err(|e| E::custom(format_args!("invalid number `{text}`: {e}")))
    }
}

impl<T> Visitor<'_> for StringNumberVisitor<T>
where
    T: FromStr,
    T::Err: Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Self::parse(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::parse(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::parse(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Self::parse(&v.to_string())
    }
}

struct StringOrIntVisitor;

impl Visitor<'_> for StringOrIntVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Wraps a visitor so that `null`/absent reads as `None`.
struct OptionVisitor<V>(V);

impl<'de, V> Visitor<'de> for OptionVisitor<V>
where
    V: Visitor<'de> + Copy,
{
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(" or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self.0).map(Some)
    }
}

impl Clone for IntBoolVisitor {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for IntBoolVisitor {}
impl Clone for StringOrIntVisitor {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for StringOrIntVisitor {}
impl<T> Clone for StringNumberVisitor<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for StringNumberVisitor<T> {}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Flags {
        #[serde(with = "super::int_bool")]
        on: bool,
        #[serde(
            with = "super::opt_int_bool",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        maybe: Option<bool>,
    }

    #[test]
    fn int_bool_round_trip_and_leniency() {
        let f: Flags = serde_json::from_value(json!({"on": 1, "maybe": 0})).unwrap();
        assert_eq!(
            f,
            Flags {
                on: true,
                maybe: Some(false)
            }
        );
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"on": 1, "maybe": 0})
        );
        let f: Flags = serde_json::from_value(json!({"on": false})).unwrap();
        assert_eq!(
            f,
            Flags {
                on: false,
                maybe: None
            }
        );
        let f: Flags = serde_json::from_value(json!({"on": "1", "maybe": null})).unwrap();
        assert_eq!(
            f,
            Flags {
                on: true,
                maybe: None
            }
        );
        assert!(serde_json::from_value::<Flags>(json!({"on": 2})).is_err());
        assert!(serde_json::from_value::<Flags>(json!({"on": "yes"})).is_err());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Numbers {
        #[serde(with = "super::string_number")]
        id: i64,
        #[serde(with = "super::opt_string_number", default)]
        count: Option<u32>,
    }

    #[test]
    fn string_number_accepts_both_and_writes_string() {
        let n: Numbers = serde_json::from_value(json!({"id": "42", "count": 7})).unwrap();
        assert_eq!(
            n,
            Numbers {
                id: 42,
                count: Some(7)
            }
        );
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            json!({"id": "42", "count": "7"})
        );
        let n: Numbers = serde_json::from_value(json!({"id": -3})).unwrap();
        assert_eq!(
            n,
            Numbers {
                id: -3,
                count: None
            }
        );
        let err = serde_json::from_value::<Numbers>(json!({"id": "4x"})).unwrap_err();
        assert!(err.to_string().contains("invalid number `4x`"), "{err}");
        assert!(serde_json::from_value::<Numbers>(json!({"id": 1, "count": -1})).is_err());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Texts {
        #[serde(with = "super::string_or_int")]
        code: String,
        #[serde(with = "super::opt_string_or_int", default)]
        other: Option<String>,
    }

    #[test]
    fn string_or_int_keeps_text() {
        let t: Texts = serde_json::from_value(json!({"code": 123, "other": "x"})).unwrap();
        assert_eq!(
            t,
            Texts {
                code: "123".into(),
                other: Some("x".into())
            }
        );
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"code": "123", "other": "x"})
        );
        let t: Texts = serde_json::from_value(json!({"code": "a"})).unwrap();
        assert_eq!(t.other, None);
        assert!(serde_json::from_value::<Texts>(json!({"code": [1]})).is_err());
    }

    #[derive(Debug, PartialEq)]
    enum Scene {
        Search,
        Unknown(String),
    }

    impl<'de> Deserialize<'de> for Scene {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::open_enum(d, |s| match s {
                "ADD_SCENE_SEARCH" => Scene::Search,
                other => Scene::Unknown(other.to_owned()),
            })
        }
    }

    #[derive(Debug, PartialEq)]
    enum Lang {
        En,
    }

    impl<'de> Deserialize<'de> for Lang {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::closed_enum(d, |s| (s == "en").then_some(Lang::En), &["en"])
        }
    }

    impl Serialize for Lang {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::enum_str(s, "en")
        }
    }

    #[test]
    fn enums() {
        assert_eq!(
            serde_json::from_value::<Scene>(json!("ADD_SCENE_SEARCH")).unwrap(),
            Scene::Search
        );
        assert_eq!(
            serde_json::from_value::<Scene>(json!("NEW")).unwrap(),
            Scene::Unknown("NEW".into())
        );
        assert_eq!(
            serde_json::from_value::<Lang>(json!("en")).unwrap(),
            Lang::En
        );
        let err = serde_json::from_value::<Lang>(json!("fr")).unwrap_err();
        assert!(err.to_string().contains("unknown variant `fr`"), "{err}");
        assert_eq!(serde_json::to_value(Lang::En).unwrap(), json!("en"));
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Text {
        content: String,
    }

    #[derive(Debug, PartialEq)]
    enum Message {
        Text(Text),
        Unknown { tag: String, raw: serde_json::Value },
    }

    impl Message {
        fn write<S: serde::Serializer>(&self, s: S, inline: bool) -> Result<S::Ok, S::Error> {
            match self {
                Message::Text(v) => {
                    super::serialize_tagged(s, "msgtype", "text", (!inline).then_some("text"), v)
                }
                Message::Unknown { raw, .. } => raw.serialize(s),
            }
        }

        fn read(raw: serde_json::Value, inline: bool) -> Result<Self, serde_json::Error> {
            let (tag, raw) = super::read_tagged(raw, "msgtype")?;
            match tag.as_str() {
                "text" => {
                    super::tagged_payload(&raw, (!inline).then_some("text")).map(Message::Text)
                }
                _ => Ok(Message::Unknown { tag, raw }),
            }
        }
    }

    #[test]
    fn unions_under_tag_and_inline() {
        let m = Message::Text(Text {
            content: "hi".into(),
        });
        let under = m.write(serde_json::value::Serializer, false).unwrap();
        assert_eq!(under, json!({"msgtype": "text", "text": {"content": "hi"}}));
        let inline = m.write(serde_json::value::Serializer, true).unwrap();
        assert_eq!(inline, json!({"msgtype": "text", "content": "hi"}));
        assert_eq!(Message::read(under, false).unwrap(), m);
        assert_eq!(Message::read(inline, true).unwrap(), m);

        let raw = json!({"msgtype": "video", "video": {}});
        let unknown = Message::read(raw.clone(), false).unwrap();
        assert_eq!(
            unknown,
            Message::Unknown {
                tag: "video".into(),
                raw: raw.clone()
            }
        );
        assert_eq!(
            unknown.write(serde_json::value::Serializer, false).unwrap(),
            raw
        );

        assert!(Message::read(json!({"text": {}}), false).is_err());
        assert!(Message::read(json!({"msgtype": 1}), false).is_err());
        assert!(Message::read(json!([1]), false).is_err());
        assert!(Message::read(json!({"msgtype": "text"}), false).is_err());
        let err: serde_json::Error = super::unknown_tag("msgtype", "x", &["text"]);
        assert!(err.to_string().contains("expected one of: text"));
    }
}
