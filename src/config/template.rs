//! Templates: turns strings with `{{ var }}` holes (a step's path, headers,
//! query, body; the strings of a JSON body) into text and variable parts,
//! once, when the configuration is read.

use schemars::JsonSchema;
use serde::Deserialize;
use std::fmt;

/// One piece of a `{{ var }}` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Var(String),
}

/// A string with `{{ var }}` holes, as written and as parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<Part>,
}

impl Template {
    /// Splits `a/{{ id }}/b` into text and variables; an unclosed `{{` or a
    /// hole that is not a variable name is an error.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(format!("`{text}` opens `{{{{` without closing `}}}}`"));
            };
            let name = after[..close].trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "`{{{{ {name} }}}}` in `{text}` is not a variable name (letters, digits, _ and -)"
                ));
            }
            parts.push(Part::Var(name.to_owned()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template {
            text: text.to_owned(),
            parts,
        })
    }

    /// The template as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The variables the template reads, in order.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Template::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// As written, so a default shown in the JSON Schema reads as TOML would.
impl serde::Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl JsonSchema for Template {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Template".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// A JSON body whose strings are templates.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonBody {
    /// A number, boolean or datetime, sent as it is.
    Scalar(toml::Value),
    Text(Template),
    Array(Vec<JsonBody>),
    Table(Vec<(String, JsonBody)>),
}

impl JsonBody {
    fn of(value: toml::Value) -> Result<JsonBody, String> {
        Ok(match value {
            toml::Value::String(s) => JsonBody::Text(Template::parse(&s)?),
            toml::Value::Array(a) => {
                JsonBody::Array(a.into_iter().map(JsonBody::of).collect::<Result<_, _>>()?)
            }
            toml::Value::Table(t) => JsonBody::Table(
                t.into_iter()
                    .map(|(k, v)| Ok((k, JsonBody::of(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => JsonBody::Scalar(other),
        })
    }

    /// Every template in the body, depth first.
    pub fn templates(&self) -> Vec<&Template> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Template>) {
        match self {
            JsonBody::Scalar(_) => {}
            JsonBody::Text(t) => out.push(t),
            JsonBody::Array(a) => a.iter().for_each(|v| v.collect(out)),
            JsonBody::Table(t) => t.iter().for_each(|(_, v)| v.collect(out)),
        }
    }
}

impl<'de> Deserialize<'de> for JsonBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        JsonBody::of(toml::Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Result<Vec<Part>, String> {
        Template::parse(text).map(|t| t.parts().to_vec())
    }

    #[test]
    fn templates_split_into_text_and_variables() {
        assert_eq!(
            parts("/m/{{ id }}/x{{iteration}}").unwrap(),
            vec![
                Part::Text("/m/".into()),
                Part::Var("id".into()),
                Part::Text("/x".into()),
                Part::Var("iteration".into()),
            ]
        );
        assert_eq!(parts("plain").unwrap(), vec![Part::Text("plain".into())]);
        assert!(parts("/m/{{ id").unwrap_err().contains("without closing"));
        assert!(
            parts("{{ a b }}")
                .unwrap_err()
                .contains("not a variable name")
        );
        assert!(parts("{{}}").is_err());
        let t = Template::parse("/a/{{ x }}/{{y}}").unwrap();
        assert_eq!(t.vars().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(t.to_string(), "/a/{{ x }}/{{y}}");
    }

    #[test]
    fn json_bodies_parse_every_string_and_keep_other_values() {
        let value: toml::Value =
            toml::from_str("body = { id = \"{{ id }}\", n = 3, tags = [\"a\", \"{{ vu }}\"] }")
                .unwrap();
        let body = JsonBody::of(value["body"].clone()).unwrap();
        let vars: Vec<&str> = body.templates().iter().flat_map(|t| t.vars()).collect();
        assert_eq!(vars, ["id", "vu"]);
        let JsonBody::Table(fields) = &body else {
            panic!("not a table: {body:?}")
        };
        assert!(fields.contains(&("n".into(), JsonBody::Scalar(toml::Value::Integer(3)))));
        let bad: toml::Value = toml::from_str("body = [\"{{ open\"]").unwrap();
        assert!(
            JsonBody::of(bad["body"].clone())
                .unwrap_err()
                .contains("without closing")
        );
    }
}
