//! Criteria: turns `"< 50ms"` into a comparison operator and a quantity, and
//! judges a measured value against it.

use crate::metrics::units::{Dimension, Quantity, UnitError, parse_quantity};
use serde::Deserialize;
use std::fmt;

/// A comparison operator of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Op::Lt => actual < limit,
            Op::Le => actual <= limit,
            Op::Gt => actual > limit,
            Op::Ge => actual >= limit,
        }
    }
}

/// An absolute gate on one metric, such as `< 200ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub op: Op,
    pub limit: Quantity,
    /// The text as the user wrote it, for reports.
    pub text: String,
}

impl Criterion {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let (op, rest) = if let Some(r) = t.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = t.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = t.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Op::Gt, r)
        } else {
            return Err(format!(
                "criterion `{text}` must start with <, <=, > or >=, as in \"< 50ms\" or \">= 100/s\""
            ));
        };
        let limit =
            parse_quantity(rest).map_err(|e: UnitError| format!("criterion `{text}`: {e}"))?;
        Ok(Criterion {
            op,
            limit,
            text: t.to_owned(),
        })
    }

    /// Whether the limit can apply to a metric of `dimension`. A plain number
    /// fits any metric (it is read in the metric's own unit).
    pub fn fits(&self, dimension: Option<Dimension>) -> bool {
        match (self.limit.dimension, dimension) {
            (Dimension::Count, _) => true,
            (d, Some(m)) => d == m,
            (_, None) => false,
        }
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Criterion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Criterion;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a criterion string such as \"< 50ms\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Criterion, E> {
                Criterion::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl schemars::JsonSchema for Criterion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Criterion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": r"^\s*(<=|>=|<|>)\s*[0-9]",
            "description": "An absolute gate: an operator (<, <=, >, >=) and a value with a unit (ns, us, ms, s, m; B, KB, MB, GB, KiB, MiB, GiB; %; /s).",
            "examples": ["< 50ms", "< 200MB", "< 1%", "> 100/s"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operators_and_units() {
        let c = Criterion::parse("< 50ms").unwrap();
        assert_eq!(c.op, Op::Lt);
        assert_eq!(c.limit.value, 50e6);
        assert_eq!(Criterion::parse(">= 100/s").unwrap().op, Op::Ge);
        assert_eq!(Criterion::parse("<=1%").unwrap().limit.value, 0.01);
        assert_eq!(Criterion::parse("> 95%").unwrap().op, Op::Gt);
    }

    #[test]
    fn rejects_malformed_criteria() {
        assert!(
            Criterion::parse("50ms")
                .unwrap_err()
                .contains("must start with")
        );
        assert!(
            Criterion::parse("< fast")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            Criterion::parse("< 5 furlongs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(Criterion::parse("== 5ms").is_err());
    }

    #[test]
    fn boundaries_are_exact() {
        assert!(!Op::Lt.holds(50.0, 50.0));
        assert!(Op::Le.holds(50.0, 50.0));
        assert!(!Op::Gt.holds(50.0, 50.0));
        assert!(Op::Ge.holds(50.0, 50.0));
    }
}
