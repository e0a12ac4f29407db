//! Locations: turns spanned TOML into typed values whose errors keep their
//! span and key path, and key paths (`phase[0].criteria."wall.p95"`) into
//! the spans they are written at, for errors found after deserializing.

use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// A byte range of the configuration text.
pub(crate) type Span = Range<usize>;

/// An error with the span and key path it belongs to, when known.
pub(crate) type Located = (Option<Span>, Option<String>, String);

/// Deserializes a spanned TOML value, keeping the key path and span of errors.
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    prefix: &str,
) -> Result<T, Located> {
    let de = ValueDeserializer::from(value);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let key = match (prefix.is_empty(), path == ".") {
            (true, true) => None,
            (true, false) => Some(path),
            (false, true) => Some(prefix.to_owned()),
            (false, false) => Some(format!("{prefix}.{path}")),
        };
        let inner = e.into_inner();
        (inner.span(), key, inner.message().trim().to_owned())
    })
}

/// One written key: its path and where the key and its value are.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    path: Vec<Segment>,
    /// The key itself (`min_history` in `min_history = 1`).
    pub key: Span,
    /// The value; for a `[table]` or `[[table]]`, its header.
    pub value: Span,
    /// The value is a table or an array of tables.
    pub is_table: bool,
}

impl Written {
    /// Where an error about this key points: a key's own name, or the header
    /// of a `[table]`, the line a reader looks for.
    pub fn key_or_header(&self) -> Span {
        if self.is_table {
            self.value.clone()
        } else {
            self.key.clone()
        }
    }
}

/// One step of a key path: a key (unquoted) or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Every key written in a TOML table, all levels deep, arrays by index.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySpans(Vec<Written>);

impl KeySpans {
    pub fn of(table: &DeTable<'_>) -> KeySpans {
        let mut out = KeySpans::default();
        out.table(&[], table);
        out
    }

    fn table(&mut self, prefix: &[Segment], table: &DeTable<'_>) {
        for (k, v) in table {
            let mut path = prefix.to_vec();
            path.push(Segment::Key(k.get_ref().to_string()));
            self.0.push(Written {
                path: path.clone(),
                key: k.span(),
                value: v.span(),
                is_table: is_table(v.get_ref()),
            });
            self.value(&path, v.get_ref());
        }
    }

    fn value(&mut self, path: &[Segment], value: &DeValue<'_>) {
        match value {
            DeValue::Table(t) => self.table(path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut at = path.to_vec();
                    at.push(Segment::Index(i));
                    self.0.push(Written {
                        path: at.clone(),
                        key: item.span(),
                        value: item.span(),
                        is_table: is_table(item.get_ref()),
                    });
                    self.value(&at, item.get_ref());
                }
            }
            _ => {}
        }
    }

    /// The written key named by `path` (`slo[1].objective`,
    /// `criteria."wall.p95"`), or else its nearest written parent; `None`
    /// when not even the first key is written.
    pub fn nearest(&self, path: &str) -> Option<&Written> {
        let wanted = segments(path);
        self.0
            .iter()
            .filter(|w| wanted.starts_with(&w.path))
            .max_by_key(|w| w.path.len())
    }
}

fn is_table(value: &DeValue<'_>) -> bool {
    match value {
        DeValue::Table(_) => true,
        DeValue::Array(items) => items
            .iter()
            .next()
            .is_some_and(|i| matches!(i.get_ref(), DeValue::Table(_))),
        _ => false,
    }
}

/// Splits `a.b[0]."c.d"` into `a`, `b`, `0`, `c.d`.
fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars();
    let mut quoted = false;
    let push_key = |key: &mut String, out: &mut Vec<Segment>| {
        if !key.is_empty() {
            out.push(Segment::Key(std::mem::take(key)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => push_key(&mut key, &mut out),
            '[' if !quoted => {
                push_key(&mut key, &mut out);
                let index: String = chars.by_ref().take_while(|&c| c != ']').collect();
                match index.trim().parse() {
                    Ok(i) => out.push(Segment::Index(i)),
                    Err(_) => out.push(Segment::Key(index)),
                }
            }
            c => key.push(c),
        }
    }
    push_key(&mut key, &mut out);
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> KeySpans {
        KeySpans::of(DeTable::parse(text).unwrap().get_ref())
    }

    fn at(text: &str, path: &str) -> Option<(usize, usize)> {
        let s = spans(text);
        s.nearest(path)
            .map(|w| line_column(text, w.key_or_header().start))
    }

    #[test]
    fn key_paths_split_on_dots_outside_quotes_and_on_indices() {
        assert_eq!(
            segments("phase[2].criteria.\"wall.p95\""),
            vec![
                Segment::Key("phase".into()),
                Segment::Index(2),
                Segment::Key("criteria".into()),
                Segment::Key("wall.p95".into()),
            ]
        );
    }

    #[test]
    fn nested_keys_are_found_in_every_toml_form() {
        // A `[table]` section, an inline table, a dotted key and a quoted key.
        let text = "[compare]\n  min_history = 1\n";
        assert_eq!(at(text, "compare.min_history"), Some((2, 3)));
        let text = "compare = { band_k = 0 }\n";
        assert_eq!(at(text, "compare.band_k"), Some((1, 13)));
        let text = "compare.confirm = 99\n";
        assert_eq!(at(text, "compare.confirm"), Some((1, 9)));
        let text = "[compare]\n\"confirm\" = 99\n";
        assert_eq!(at(text, "compare.confirm"), Some((2, 1)));
    }

    #[test]
    fn the_nth_array_table_is_told_apart() {
        let text = "[[slo]]\nmetric = \"a\"\n\n[[slo]]\nmetric = \"b\"\nwindow = \"x\"\n";
        assert_eq!(at(text, "slo[1].window"), Some((6, 1)));
        // An unwritten key falls back to its table's header.
        assert_eq!(at(text, "slo[1].objective"), Some((4, 1)));
        assert_eq!(at(text, "slo[0].window"), Some((1, 1)));
        assert_eq!(at(text, "other.key"), None);
    }
}
