//! Workflow commands: turns annotations, masks and outputs into the text the
//! Actions runner reads (`::error ...::`, `$GITHUB_OUTPUT` heredocs), escaped
//! as the workflow-command spec says (pure).

use std::fmt::Write;

/// An annotation's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// One `::error title=…::message` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: Level,
    pub title: String,
    pub message: String,
}

impl Annotation {
    /// The command line, newline-terminated.
    pub fn command(&self) -> String {
        format!(
            "::{} title={}::{}\n",
            self.level.as_str(),
            escape_property(&self.title),
            escape_data(&self.message)
        )
    }
}

/// Escapes a command's message: `%`, `\r` and `\n` (the runner's `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value: as data, plus `:` and `,` (the
/// runner's `escapeProperty`), so a title cannot end the property list.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::add-mask::` for a secret, so the runner hides it in every later log line.
pub fn add_mask(secret: &str) -> String {
    format!("::add-mask::{}\n", escape_data(secret))
}

/// The `$GITHUB_OUTPUT` entries for `outputs`, each in the heredoc form with a
/// delimiter that occurs in no value, so multi-line values cannot inject
/// other outputs.
pub fn output_entries(outputs: &[(&str, String)]) -> String {
    let mut s = String::new();
    for (name, value) in outputs {
        let delimiter = delimiter_for(value);
        let _ = write!(s, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
    }
    s
}

/// `ghadelimiter_<random>`, as the runner's own toolkit does; drawn again in
/// the (astronomically unlikely) case that the value contains it.
fn delimiter_for(value: &str) -> String {
    loop {
        let d = format!("ghadelimiter_{:016x}{:016x}", random_u64(), random_u64());
        if !value.contains(&d) {
            return d;
        }
    }
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process and per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_before_newlines() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
    }

    #[test]
    fn property_escapes_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn annotation_cannot_inject_a_second_command() {
        let a = Annotation {
            level: Level::Error,
            title: "load::latency".into(),
            message: "worse\n::set-output name=x::y".into(),
        };
        let line = a.command();
        assert_eq!(line.lines().count(), 1);
        assert_eq!(
            line,
            "::error title=load%3A%3Alatency::worse%0A::set-output name=x::y\n"
        );
    }

    #[test]
    fn outputs_use_a_heredoc_delimiter_absent_from_the_value() {
        let text = output_entries(&[
            ("verdict", "fail".into()),
            ("note", "line one\nregressions<<EOF\nline".into()),
        ]);
        let mut lines = text.lines();
        let first = lines.next().unwrap();
        let delim = first.strip_prefix("verdict<<").unwrap();
        assert!(delim.starts_with("ghadelimiter_"));
        assert_eq!(lines.next(), Some("fail"));
        assert_eq!(lines.next(), Some(delim));
        let second = lines.next().unwrap();
        let d2 = second.strip_prefix("note<<").unwrap();
        assert_ne!(d2, delim);
        assert_eq!(
            lines.collect::<Vec<_>>(),
            vec!["line one", "regressions<<EOF", "line", d2]
        );
    }

    #[test]
    fn mask_is_one_line_even_for_a_token_with_a_newline() {
        assert_eq!(add_mask("ab\ncd"), "::add-mask::ab%0Acd\n");
    }
}
