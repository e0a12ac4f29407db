//! Notify: turns a nightly run's findings into what reaches people and
//! dashboards: the tracking issue, webhooks (Slack or the comparison
//! JSON), a Prometheus Pushgateway and textfile. A delivery that fails is a
//! warning, never a changed verdict.

pub mod prometheus;
pub mod render;
pub mod watch;
pub mod webhook;

use crate::compare::Comparison;
use crate::config::{Notify, WebhookFormat};
use crate::results::Run;
use watch::Watch;
use webhook::{Body, Delivery, Retry};

/// Sends the webhooks when the findings reach `[notify] on`.
pub fn webhooks(notify: &Notify, watch: &Watch, comparison: &Comparison) -> Vec<Delivery> {
    if notify.webhooks.is_empty() || !watch.severity().reaches(notify.on) {
        return Vec::new();
    }
    let body = match notify.webhook_format {
        WebhookFormat::Slack => Body::Json(render::slack(watch)),
        WebhookFormat::Json => {
            Body::Json(serde_json::to_value(comparison).expect("a comparison serializes"))
        }
    };
    let retry = Retry::from_env();
    notify
        .webhooks
        .iter()
        .map(|w| webhook::deliver(w, "", reqwest::Method::POST, &body, retry))
        .collect()
}

/// Pushes the run's metrics to the Pushgateway, replacing the suite's
/// group (a PUT), when one is configured.
pub fn push(notify: &Notify, run: &Run, comparison: Option<&Comparison>) -> Option<Delivery> {
    let gateway = notify.pushgateway.as_ref()?;
    let text = prometheus::exposition(run, comparison, true);
    Some(webhook::deliver(
        gateway,
        &prometheus::push_path(run),
        reqwest::Method::PUT,
        &Body::Exposition(text),
        Retry::from_env(),
    ))
}
