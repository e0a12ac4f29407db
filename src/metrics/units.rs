//! Units: turns text such as `50ms`, `200MB`, `1%` or `100/s` into quantities
//! in base units, and base-unit values back into human text (`1.24 ms`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a quantity measures; two quantities compare only within one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Nanoseconds.
    Time,
    /// Bytes.
    Bytes,
    /// A fraction: `1%` is 0.01.
    Ratio,
    /// Events per second.
    Rate,
    /// A plain number.
    Count,
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Time => "a time (ns, us, ms, s, m)",
            Dimension::Bytes => "a size (B, KB, MB, GB, KiB, MiB, GiB)",
            Dimension::Ratio => "a percentage (%)",
            Dimension::Rate => "a rate (/s)",
            Dimension::Count => "a plain number",
        })
    }
}

/// A number in the base unit of its dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub dimension: Dimension,
}

/// The unit of a metric in the results contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Ns,
    Bytes,
    PerSecond,
    Ratio,
    Count,
    /// A harness's own unit, kept as it named it.
    Other(String),
}

impl Unit {
    pub fn as_str(&self) -> &str {
        match self {
            Unit::Ns => "ns",
            Unit::Bytes => "bytes",
            Unit::PerSecond => "per_second",
            Unit::Ratio => "ratio",
            Unit::Count => "count",
            Unit::Other(s) => s,
        }
    }

    pub fn dimension(&self) -> Option<Dimension> {
        match self {
            Unit::Ns => Some(Dimension::Time),
            Unit::Bytes => Some(Dimension::Bytes),
            Unit::PerSecond => Some(Dimension::Rate),
            Unit::Ratio => Some(Dimension::Ratio),
            Unit::Count => Some(Dimension::Count),
            Unit::Other(_) => None,
        }
    }
}

impl Unit {
    /// The dimension and the factor that takes a value in this unit to the
    /// dimension's base unit (`s` is time, 1e9 ns); `None` for a unit of no
    /// known dimension (`ops`, `widgets`).
    pub fn scale(&self) -> Option<(Dimension, f64)> {
        match self {
            Unit::Other(s) => {
                let s = s.trim();
                if s.is_empty() {
                    return None;
                }
                // The space keeps a unit like `e5` from reading as an exponent.
                parse_quantity(&format!("1 {s}"))
                    .ok()
                    .map(|q| (q.dimension, q.value))
            }
            known => known.dimension().map(|d| (d, 1.0)),
        }
    }
}

/// The factor that converts values in `from` into `to`, or why they cannot
/// be compared.
pub fn conversion(from: &Unit, to: &Unit) -> Result<f64, String> {
    if from == to {
        return Ok(1.0);
    }
    match (from.scale(), to.scale()) {
        (Some((df, ff)), Some((dt, ft))) if df == dt => Ok(ff / ft),
        (Some((df, _)), Some((dt, _))) => Err(format!("`{from}` is {df} and `{to}` is {dt}")),
        _ => Err(format!(
            "`{from}` and `{to}` are different units and perfguard knows no conversion between them"
        )),
    }
}

impl From<&str> for Unit {
    fn from(s: &str) -> Self {
        match s {
            "ns" => Unit::Ns,
            "bytes" => Unit::Bytes,
            "per_second" => Unit::PerSecond,
            "ratio" => Unit::Ratio,
            "count" => Unit::Count,
            other => Unit::Other(other.to_owned()),
        }
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Unit::from(s.as_str()))
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("`{0}` is not a number followed by a unit")]
    NotANumber(String),
    #[error(
        "`{text}` has unknown unit `{unit}`; expected one of ns, us, µs, ms, s, m, B, KB, MB, GB, KiB, MiB, GiB, %, /s"
    )]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}` is negative or not finite")]
    OutOfRange(String),
}

/// Parses `50ms`, `1.5 s`, `200MB`, `512 KiB`, `1%`, `100/s` or `42`.
pub fn parse_quantity(text: &str) -> Result<Quantity, UnitError> {
    let t = text.trim();
    let split = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit() || c == '.' || c == '_' || (i == 0 && (c == '-' || c == '+')))
                && !((c == 'e' || c == 'E') && is_exponent(&t[i..]))
        })
        .map_or(t.len(), |(i, _)| i);
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .replace('_', "")
        .parse()
        .map_err(|_| UnitError::NotANumber(text.to_owned()))?;
    if !number.is_finite() || number < 0.0 {
        return Err(UnitError::OutOfRange(text.to_owned()));
    }
    let (factor, dimension) = match unit.trim() {
        "" => (1.0, Dimension::Count),
        "ns" => (1.0, Dimension::Time),
        "us" | "µs" | "μs" => (1e3, Dimension::Time),
        "ms" => (1e6, Dimension::Time),
        "s" => (1e9, Dimension::Time),
        "m" | "min" => (60e9, Dimension::Time),
        "h" => (3600e9, Dimension::Time),
        "B" => (1.0, Dimension::Bytes),
        "KB" | "kB" => (1e3, Dimension::Bytes),
        "MB" => (1e6, Dimension::Bytes),
        "GB" => (1e9, Dimension::Bytes),
        "TB" => (1e12, Dimension::Bytes),
        "KiB" => (1024.0, Dimension::Bytes),
        "MiB" => (1024.0 * 1024.0, Dimension::Bytes),
        "GiB" => (1024.0 * 1024.0 * 1024.0, Dimension::Bytes),
        "TiB" => (1024.0f64.powi(4), Dimension::Bytes),
        "%" => (0.01, Dimension::Ratio),
        "/s" | "rps" => (1.0, Dimension::Rate),
        other => {
            return Err(UnitError::UnknownUnit {
                text: text.to_owned(),
                unit: other.to_owned(),
            });
        }
    };
    Ok(Quantity {
        value: number * factor,
        dimension,
    })
}

fn is_exponent(rest: &str) -> bool {
    let mut chars = rest.chars().skip(1);
    match chars.next() {
        Some('-' | '+') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some(c) => c.is_ascii_digit(),
        None => false,
    }
}

/// A duration in configuration (`"10s"`, `"500ms"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub fn parse(text: &str) -> Result<Self, String> {
        match parse_quantity(text) {
            Ok(Quantity {
                value,
                dimension: Dimension::Time,
            }) => Ok(Duration(std::time::Duration::from_nanos(
                value.round() as u64
            ))),
            Ok(_) => Err(format!(
                "`{text}` is not a duration; expected a number with a unit such as \"500ms\", \"10s\" or \"2m\""
            )),
            Err(e) => Err(format!(
                "{e}; expected a duration such as \"500ms\", \"10s\" or \"2m\""
            )),
        }
    }
}

/// The largest unit that writes the duration exactly (`10s`, `200ms`), so a
/// default shown in the JSON Schema reads back as the same duration.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos();
        let (value, unit) = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")]
            .into_iter()
            .find(|(per, _)| ns > 0 && ns.is_multiple_of(*per))
            .map_or((ns, "ns"), |(per, unit)| (ns / per, unit));
        write!(f, "{value}{unit}")
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"500ms\" or \"10s\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": r"^\s*[0-9][0-9_.]*\s*(ns|us|µs|ms|s|m|min|h)\s*$",
            "description": "A duration with a unit: ns, us, µs, ms, s, m.",
            "examples": ["500ms", "10s", "2m"]
        })
    }
}

/// Formats a value of `unit` for people: `1.24 ms`, `312 MiB`, `0.50 %`.
pub fn human(value: f64, unit: &Unit) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    match unit {
        Unit::Ns => human_time(value),
        Unit::Bytes => human_bytes(value),
        Unit::Ratio => format!("{} %", sig3(value * 100.0)),
        Unit::PerSecond => format!("{}/s", human_count(value)),
        Unit::Count => human_count(value),
        Unit::Other(u) => format!("{} {u}", sig3(value)),
    }
}

fn human_time(ns: f64) -> String {
    let a = ns.abs();
    let (v, u) = if a < 1e3 {
        (ns, "ns")
    } else if a < 1e6 {
        (ns / 1e3, "µs")
    } else if a < 1e9 {
        (ns / 1e6, "ms")
    } else if a < 60e9 * 10.0 {
        (ns / 1e9, "s")
    } else {
        (ns / 60e9, "min")
    };
    format!("{} {u}", sig3(v))
}

fn human_bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v.abs() >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{} B", v.round())
    } else {
        format!("{} {}", sig3(v), units[i])
    }
}

fn human_count(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", sig3(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", sig3(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", sig3(v / 1e3))
    } else {
        sig3(v)
    }
}

/// Three significant digits, without a trailing `.0` on whole numbers ≥ 100.
fn sig3(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(t: &str) -> (f64, Dimension) {
        let q = parse_quantity(t).unwrap();
        (q.value, q.dimension)
    }

    #[test]
    fn parses_every_documented_unit() {
        assert_eq!(q("5ns"), (5.0, Dimension::Time));
        assert_eq!(q("5us"), (5e3, Dimension::Time));
        assert_eq!(q("5µs"), (5e3, Dimension::Time));
        assert_eq!(q("50ms"), (50e6, Dimension::Time));
        assert_eq!(q("1.5 s"), (1.5e9, Dimension::Time));
        assert_eq!(q("2m"), (120e9, Dimension::Time));
        assert_eq!(q("10B"), (10.0, Dimension::Bytes));
        assert_eq!(q("10KB"), (10e3, Dimension::Bytes));
        assert_eq!(q("200MB"), (200e6, Dimension::Bytes));
        assert_eq!(q("14GB"), (14e9, Dimension::Bytes));
        assert_eq!(q("1KiB"), (1024.0, Dimension::Bytes));
        assert_eq!(q("1MiB"), (1048576.0, Dimension::Bytes));
        assert_eq!(q("1GiB"), (1073741824.0, Dimension::Bytes));
        assert_eq!(q("1%"), (0.01, Dimension::Ratio));
        assert_eq!(q("100/s"), (100.0, Dimension::Rate));
        assert_eq!(q("42"), (42.0, Dimension::Count));
        assert_eq!(q("1e3ms"), (1e9, Dimension::Time));
        assert_eq!(q("1_000ns"), (1e3, Dimension::Time));
    }

    #[test]
    fn rejects_bad_quantities() {
        assert!(matches!(
            parse_quantity("fast"),
            Err(UnitError::NotANumber(_))
        ));
        assert!(matches!(parse_quantity(""), Err(UnitError::NotANumber(_))));
        assert!(matches!(
            parse_quantity("5 parsecs"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_quantity("-5ms"),
            Err(UnitError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_quantity("1e999s"),
            Err(UnitError::OutOfRange(_))
        ));
    }

    #[test]
    fn durations_need_a_time_unit() {
        assert_eq!(
            Duration::parse("10s").unwrap().0,
            std::time::Duration::from_secs(10)
        );
        assert!(Duration::parse("10").is_err());
        for text in ["10s", "200ms", "1500us", "7ns", "0ns", "120s"] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
            assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
        assert!(Duration::parse("10MB").is_err());
    }

    #[test]
    fn human_units_read_well() {
        assert_eq!(human(1_240_000.0, &Unit::Ns), "1.24 ms");
        assert_eq!(human(312.0 * 1024.0 * 1024.0, &Unit::Bytes), "312 MiB");
        assert_eq!(human(512.0, &Unit::Bytes), "512 B");
        assert_eq!(human(0.005, &Unit::Ratio), "0.500 %");
        assert_eq!(human(1523.0, &Unit::PerSecond), "1523/s");
        assert_eq!(human(15230.0, &Unit::PerSecond), "15.2k/s");
        assert_eq!(human(850.0, &Unit::Ns), "850 ns");
        assert_eq!(human(2.5e9, &Unit::Ns), "2.50 s");
        assert_eq!(human(f64::NAN, &Unit::Ns), "–");
    }
}
