//! Phase configuration: turns each `[[phase]]` table into a typed phase,
//! dispatched on its `kind`.

use super::command::CommandPhase;
use super::criterion::Criterion;
use super::http::HttpPhase;
use super::ingest::IngestPhase;
use super::located::{KeySpans, Located, deserialize};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;
use toml::de::DeValue;

/// One `[[phase]]`, by kind.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[expect(
    clippy::large_enum_variant,
    reason = "a handful of phases are parsed once per run; boxing buys nothing"
)]
pub enum PhaseConfig {
    /// A command benchmark, timed over repeated runs (hyperfine-like).
    Command(CommandPhase),
    /// An HTTP load test (k6 / wrk-like).
    Http(HttpPhase),
    /// Results of another benchmark harness, read from files or a command.
    Ingest(IngestPhase),
}

impl PhaseConfig {
    pub fn name(&self) -> &str {
        match self {
            PhaseConfig::Command(p) => &p.name,
            PhaseConfig::Http(p) => &p.name,
            PhaseConfig::Ingest(p) => &p.name,
        }
    }

    pub fn kind(&self) -> crate::results::PhaseKind {
        match self {
            PhaseConfig::Command(_) => crate::results::PhaseKind::Command,
            PhaseConfig::Http(_) => crate::results::PhaseKind::Http,
            PhaseConfig::Ingest(_) => crate::results::PhaseKind::Ingest,
        }
    }

    /// The phase's absolute criteria as written, metric → expression.
    pub fn criteria_text(&self) -> BTreeMap<String, String> {
        let criteria = match self {
            PhaseConfig::Command(p) => &p.criteria,
            PhaseConfig::Http(p) => &p.criteria,
            PhaseConfig::Ingest(p) => &p.criteria,
        };
        criteria_text(criteria)
    }
}

/// Criteria as written, metric → expression, as results carry them.
pub fn criteria_text(criteria: &BTreeMap<String, Criterion>) -> BTreeMap<String, String> {
    criteria
        .iter()
        .map(|(k, c)| (k.clone(), c.text.clone()))
        .collect()
}

const KINDS: &str = "command, http, ingest";

/// Parses one phase table, dispatching on its `kind` key.
pub(super) fn parse_phase(
    item: Spanned<DeValue<'_>>,
    prefix: &str,
) -> Result<PhaseConfig, Located> {
    let span = item.span();
    let mut item = item;
    let DeValue::Table(table) = item.get_mut() else {
        return Err((
            Some(span),
            Some(prefix.to_owned()),
            "expected a table, written as [[phase]]".into(),
        ));
    };
    let kind_key = table
        .keys()
        .find(|k| k.get_ref().as_ref() == "kind")
        .cloned();
    let Some(kind_key) = kind_key else {
        return Err((
            Some(span),
            Some(format!("{prefix}.kind")),
            format!("missing `kind`; expected one of {KINDS}"),
        ));
    };
    let kind_value = table.remove(&kind_key).expect("key just found");
    let kind_span = kind_value.span();
    let Some(kind) = kind_value.get_ref().as_str().map(str::to_owned) else {
        return Err((
            Some(kind_span),
            Some(format!("{prefix}.kind")),
            format!("expected a string, one of {KINDS}"),
        ));
    };
    // Spans of the phase's keys, for errors found after deserializing.
    let spans = KeySpans::of(table);
    let located = |(key, msg): (String, String)| {
        let at = spans
            .nearest(&key)
            .map_or(span.clone(), |w| w.value.clone());
        (Some(at), Some(format!("{prefix}.{key}")), msg)
    };
    match kind.as_str() {
        "command" => {
            let phase: CommandPhase = deserialize(item, prefix)?;
            phase.validate().map_err(located)?;
            Ok(PhaseConfig::Command(phase))
        }
        "http" => {
            let phase: HttpPhase = deserialize(item, prefix)?;
            phase.validate().map_err(located)?;
            Ok(PhaseConfig::Http(phase))
        }
        "ingest" => {
            let phase: IngestPhase = deserialize(item, prefix)?;
            phase.validate().map_err(located)?;
            Ok(PhaseConfig::Ingest(phase))
        }
        other => Err((
            Some(kind_span),
            Some(format!("{prefix}.kind")),
            format!("unknown phase kind `{other}`; expected one of {KINDS}"),
        )),
    }
}
