//! JSON helpers for the parsers: turns JSON text into typed values, with the
//! line and key path of the first problem.

use super::Problem;
use serde::de::DeserializeOwned;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;

/// The events of a stream with one JSON object per line (`go test -json`,
/// libtest's `--format json`), each with its line number. Lines that do not
/// start with `{` are skipped: the tool's own messages on a merged standard
/// error are not events. A line that does not read as `T` is an error at
/// that line, saying what `what` expected.
pub(crate) fn events<'a, T: DeserializeOwned>(
    text: &'a str,
    what: &'a str,
) -> impl Iterator<Item = Result<(usize, T), Problem>> + 'a {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim().starts_with('{'))
        .map(move |(i, line)| {
            let line_no = i + 1;
            from_str(line.trim())
                .map(|event| (line_no, event))
                .map_err(|p| Problem::at(line_no, format!("expected {what}: {}", p.message)))
        })
}

/// Deserializes `text` as `T`; errors carry serde_json's line and the key
/// path (`benchmarks[2].stats.median`).
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
        let line = (inner.line() > 0).then_some(inner.line());
        let message = if path == "." || path.is_empty() {
            message
        } else {
            format!("at `{path}`: {message}")
        };
        Problem::near(line, message)
    })?;
    de.end()
        .map_err(|e| Problem::near(Some(e.line()), "unexpected text after the JSON value"))?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the file:line prefix says it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A finite, non-negative number; anything else fails where it stands, so the
/// error keeps its line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NonNeg(pub f64);

impl<'de> Deserialize<'de> for NonNeg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        super::non_negative(v, "the value")
            .map(NonNeg)
            .map_err(serde::de::Error::custom)
    }
}

/// Unwraps a list of checked numbers.
pub(crate) fn plain(values: &[NonNeg]) -> Vec<f64> {
    values.iter().map(|v| v.0).collect()
}

/// A time unit name (`ns`, `us`, `ms`, `s`) as nanoseconds per unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeUnit(pub f64);

impl<'de> Deserialize<'de> for TimeUnit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        super::ns_per(&s).map(TimeUnit).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown time unit `{s}`; expected ns, us, ms or s"))
        })
    }
}

/// A JSON object's entries in order, refusing a key seen twice (serde_json's
/// map would keep the last one silently: a lost benchmark).
pub(crate) struct UniqueKeys<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for UniqueKeys<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Each<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Each<T> {
            type Value = UniqueKeys<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!(
                            "`{key}` appears twice in one object; a JSON parser would keep only the last"
                        )));
                    }
                    let value = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(UniqueKeys(entries))
            }
        }
        d.deserialize_map(Each(PhantomData))
    }
}

/// Any JSON value, refusing a key seen twice in any object on the way down
/// (serde_json's `Value` keeps the last one silently).
pub(crate) struct Strict(pub serde_json::Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde_json::{Map, Number, Value};
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Strict;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
                Ok(Strict(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
                Ok(Strict(Value::Number(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
                Ok(Strict(Value::Number(v.into())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
                Ok(Strict(
                    Number::from_f64(v).map_or(Value::Null, Value::Number),
                ))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
                Ok(Strict(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Strict, E> {
                Ok(Strict(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                let mut items = Vec::new();
                while let Some(Strict(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Strict(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
                let mut object = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if object.contains_key(&key) {
                        return Err(de::Error::custom(format!(
                            "`{key}` appears twice in one object; a JSON parser would keep only the last"
                        )));
                    }
                    let Strict(v) = map.next_value()?;
                    object.insert(key, v);
                }
                Ok(Strict(Value::Object(object)))
            }
        }
        d.deserialize_any(Any)
    }
}
