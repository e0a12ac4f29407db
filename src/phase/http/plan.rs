//! Load plans: turns a validated `HttpPhase` into compiled scenarios whose
//! steps render requests from variables (`{{ var }}`), check responses and
//! capture values.

use crate::config::http::{Expect, HttpPhase, StatusSet, Step, json_pointer};
use crate::config::template::{self, JsonBody, Part};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

/// Variables visible to one iteration's templates.
#[derive(Debug, Default)]
pub struct Vars {
    pub iteration: u64,
    pub vu: u64,
    pub captured: HashMap<String, serde_json::Value>,
}

impl Vars {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        match name {
            "iteration" => Some(Cow::Owned(self.iteration.to_string())),
            "vu" => Some(Cow::Owned(self.vu.to_string())),
            _ => self.captured.get(name).map(|v| match v {
                serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.to_string()),
            }),
        }
    }
}

/// A string with `{{ var }}` holes.
#[derive(Debug, Clone)]
pub struct Template(Vec<Part>);

impl Template {
    /// The configuration's template, parsed when it was read.
    pub fn of(t: &template::Template) -> Template {
        Template(t.parts().to_vec())
    }

    pub fn is_static(&self) -> bool {
        self.0.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// The whole template is one variable (`"{{ id }}"`).
    fn single_var(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Part::Var(v)] => Some(v),
            _ => None,
        }
    }

    /// Renders with `vars`; a variable not set yet renders empty and is named
    /// in the error.
    pub fn render(&self, vars: &Vars) -> Result<String, String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => match vars.get(v) {
                    Some(s) => out.push_str(&s),
                    None => return Err(format!("variable `{v}` was not captured")),
                },
            }
        }
        Ok(out)
    }
}

/// A JSON body whose strings may be templates.
#[derive(Debug, Clone)]
enum JsonTemplate {
    Value(serde_json::Value),
    Text(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    fn of(v: &JsonBody) -> JsonTemplate {
        match v {
            JsonBody::Text(t) => JsonTemplate::Text(Template::of(t)),
            JsonBody::Array(a) => JsonTemplate::Array(a.iter().map(JsonTemplate::of).collect()),
            JsonBody::Table(t) => JsonTemplate::Object(
                t.iter()
                    .map(|(k, v)| (k.clone(), JsonTemplate::of(v)))
                    .collect(),
            ),
            JsonBody::Scalar(other) => JsonTemplate::Value(toml_to_json(other)),
        }
    }

    fn is_static(&self) -> bool {
        match self {
            JsonTemplate::Value(_) => true,
            JsonTemplate::Text(t) => t.is_static(),
            JsonTemplate::Array(a) => a.iter().all(JsonTemplate::is_static),
            JsonTemplate::Object(o) => o.iter().all(|(_, v)| v.is_static()),
        }
    }

    fn render(&self, vars: &Vars) -> Result<serde_json::Value, String> {
        Ok(match self {
            JsonTemplate::Value(v) => v.clone(),
            JsonTemplate::Text(t) => match t.single_var() {
                // `"{{ id }}"` keeps the captured value's JSON type.
                Some(name) if vars.captured.contains_key(name) => vars.captured[name].clone(),
                Some("iteration") => vars.iteration.into(),
                Some("vu") => vars.vu.into(),
                _ => serde_json::Value::String(t.render(vars)?),
            },
            JsonTemplate::Array(a) => serde_json::Value::Array(
                a.iter().map(|v| v.render(vars)).collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(vars)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

/// A TOML value as JSON (datetimes become strings).
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[derive(Debug, Clone)]
enum BodyTemplate {
    Empty,
    Raw(Template),
    Json(JsonTemplate),
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// `host:port`, the connection it goes over.
    pub authority: String,
    /// `https`: the connection is TLS.
    pub tls: bool,
    /// Origin-form target: path and query.
    pub target: http::Uri,
    pub method: http::Method,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// Expectations, compiled.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    pub status: Option<StatusSet>,
    pub contains: Option<Template>,
    pub json: Vec<(String, String, serde_json::Value)>,
    pub max_latency: Option<Duration>,
}

impl Checks {
    fn of(e: Option<&Expect>) -> Checks {
        let Some(e) = e else {
            return Checks::default();
        };
        Checks {
            status: e.status.clone(),
            contains: e.contains.as_ref().map(Template::of),
            json: e
                .json
                .iter()
                .map(|(path, v)| {
                    (
                        path.clone(),
                        json_pointer(path).unwrap_or_default(),
                        toml_to_json(v),
                    )
                })
                .collect(),
            max_latency: e.max_latency.map(|d| d.0),
        }
    }

    pub fn needs_body(&self) -> bool {
        self.contains.is_some() || !self.json.is_empty()
    }
}

/// One compiled step.
#[derive(Debug, Clone)]
pub struct CompiledStep {
    /// Index into [`Plan::step_names`].
    pub name: usize,
    method: http::Method,
    url: Template,
    query: Vec<(String, Template)>,
    headers: Vec<(HeaderName, Template)>,
    body: BodyTemplate,
    pub timeout: Duration,
    /// Variable name, JSON pointer, as written.
    pub captures: Vec<(String, String, String)>,
    pub checks: Checks,
    pub target: Option<String>,
    pub think: Option<Duration>,
    /// The request, when nothing in it is templated.
    fixed: Option<Request>,
}

impl CompiledStep {
    pub fn needs_body(&self) -> bool {
        self.checks.needs_body() || !self.captures.is_empty()
    }

    /// The request for these variables.
    pub fn request(&self, vars: &Vars) -> Result<Cow<'_, Request>, String> {
        if let Some(r) = &self.fixed {
            return Ok(Cow::Borrowed(r));
        }
        self.render(vars).map(Cow::Owned)
    }

    fn render(&self, vars: &Vars) -> Result<Request, String> {
        let mut url = self.url.render(vars)?;
        for (i, (k, v)) in self.query.iter().enumerate() {
            url.push(if i == 0 && !url.contains('?') {
                '?'
            } else {
                '&'
            });
            url.push_str(&encode_component(k));
            url.push('=');
            url.push_str(&encode_component(&v.render(vars)?));
        }
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a valid URL: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(format!("`{url}` is not an http:// or https:// URL")),
        };
        let Some(auth) = uri.authority() else {
            return Err(format!("`{url}` has no host"));
        };
        let authority = if auth.port().is_some() {
            auth.as_str().to_owned()
        } else {
            format!("{}:{}", auth.host(), if tls { 443 } else { 80 })
        };
        let target: http::Uri = uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e| format!("`{url}` has no valid path: {e}"))?;
        let mut headers = Vec::with_capacity(self.headers.len() + 2);
        headers.push((
            http::header::HOST,
            HeaderValue::from_str(auth.as_str()).map_err(|e| e.to_string())?,
        ));
        let body = match &self.body {
            BodyTemplate::Empty => Bytes::new(),
            BodyTemplate::Raw(t) => Bytes::from(t.render(vars)?),
            BodyTemplate::Json(j) => {
                if !self
                    .headers
                    .iter()
                    .any(|(n, _)| n == http::header::CONTENT_TYPE)
                {
                    headers.push((
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ));
                }
                Bytes::from(j.render(vars)?.to_string())
            }
        };
        for (name, value) in &self.headers {
            let v = value.render(vars)?;
            headers.push((
                name.clone(),
                HeaderValue::from_str(&v)
                    .map_err(|_| format!("header `{name}` value `{v}` is not valid"))?,
            ));
        }
        Ok(Request {
            authority,
            tls,
            target,
            method: self.method.clone(),
            headers,
            body,
        })
    }
}

/// One compiled scenario.
#[derive(Debug, Clone)]
pub struct CompiledScenario {
    pub name: String,
    pub weight: u64,
    pub steps: Vec<CompiledStep>,
}

/// Everything the load loop needs to know about requests.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scenarios: Vec<CompiledScenario>,
    pub total_weight: u64,
    /// Distinct step names, indexed by `CompiledStep::name`.
    pub step_names: Vec<String>,
    /// Some step addresses a `target`, so switches are measured.
    pub has_targets: bool,
}

impl Plan {
    pub fn of(phase: &HttpPhase) -> Plan {
        let default_timeout = phase.timeout.0;
        let base = phase
            .base_url
            .as_deref()
            .map(|b| b.trim_end_matches('/').to_owned());
        let mut step_names: Vec<String> = Vec::new();
        let mut has_targets = false;
        let scenarios: Vec<CompiledScenario> = phase
            .scenarios()
            .iter()
            .map(|sc| CompiledScenario {
                name: sc.name.clone(),
                weight: u64::from(sc.weight),
                steps: sc
                    .step
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let name = HttpPhase::step_name(s, i);
                        let index =
                            step_names
                                .iter()
                                .position(|n| *n == name)
                                .unwrap_or_else(|| {
                                    step_names.push(name);
                                    step_names.len() - 1
                                });
                        has_targets |= s.target.is_some();
                        compile_step(s, index, base.as_deref(), phase, default_timeout)
                    })
                    .collect(),
            })
            .collect();
        Plan {
            total_weight: scenarios.iter().map(|s| s.weight).sum(),
            scenarios,
            step_names,
            has_targets,
        }
    }

    /// The scenario for a random draw in `0..total_weight`.
    pub fn pick(&self, draw: u64) -> &CompiledScenario {
        let mut left = draw % self.total_weight.max(1);
        for s in &self.scenarios {
            if left < s.weight {
                return s;
            }
            left -= s.weight;
        }
        &self.scenarios[0]
    }
}

fn compile_step(
    s: &Step,
    name: usize,
    base: Option<&str>,
    phase: &HttpPhase,
    default_timeout: Duration,
) -> CompiledStep {
    let url = match (&s.url, &s.path) {
        (Some(u), _) => Template::of(u),
        (None, path) => {
            let base = base
                .filter(|b| !b.is_empty())
                .map(|b| Part::Text(b.to_owned()));
            let path = path.iter().flat_map(|p| p.parts().iter().cloned());
            Template(base.into_iter().chain(path).collect())
        }
    };
    let mut headers: Vec<(HeaderName, Template)> = Vec::new();
    for (k, v) in phase.headers.iter().chain(&s.headers) {
        let Ok(name) = HeaderName::from_bytes(k.as_bytes()) else {
            continue;
        };
        headers.retain(|(n, _)| *n != name);
        headers.push((name, Template::of(v)));
    }
    let body = match (&s.json, &s.body) {
        (Some(j), _) => BodyTemplate::Json(JsonTemplate::of(j)),
        (None, Some(b)) => BodyTemplate::Raw(Template::of(b)),
        (None, None) => BodyTemplate::Empty,
    };
    let query: Vec<(String, Template)> = s
        .query
        .iter()
        .map(|(k, v)| (k.clone(), Template::of(v)))
        .collect();
    let is_static = url.is_static()
        && query.iter().all(|(_, t)| t.is_static())
        && headers.iter().all(|(_, t)| t.is_static())
        && match &body {
            BodyTemplate::Empty => true,
            BodyTemplate::Raw(t) => t.is_static(),
            BodyTemplate::Json(j) => j.is_static(),
        };
    let mut step = CompiledStep {
        name,
        method: http::Method::from_bytes(s.method.as_bytes()).unwrap_or(http::Method::GET),
        url,
        query,
        headers,
        body,
        timeout: s.timeout.map_or(default_timeout, |d| d.0),
        captures: s
            .capture
            .iter()
            .map(|(k, p)| (k.clone(), json_pointer(p).unwrap_or_default(), p.clone()))
            .collect(),
        checks: Checks::of(s.expect.as_ref()),
        target: s.target.clone(),
        think: s.think_time.map(|d| d.0),
        fixed: None,
    };
    if is_static {
        step.fixed = step.render(&Vars::default()).ok();
    }
    step
}

/// A plain GET of `url` (readiness polling).
pub fn get_request(url: &str) -> Result<Request, String> {
    CompiledStep {
        name: 0,
        method: http::Method::GET,
        url: Template(vec![Part::Text(url.to_owned())]),
        query: Vec::new(),
        headers: Vec::new(),
        body: BodyTemplate::Empty,
        timeout: Duration::from_secs(1),
        captures: Vec::new(),
        checks: Checks::default(),
        target: None,
        think: None,
        fixed: None,
    }
    .render(&Vars::default())
}

/// Percent-encodes a query component (RFC 3986 unreserved kept).
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, PhaseConfig};
    use std::path::Path;

    fn plan(steps: &str) -> Plan {
        let text = format!(
            "[[phase]]\nname = \"p\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9/api/\"\nvus = 1\niterations = 1\n{steps}"
        );
        match Config::parse(&text, Path::new("t.toml"))
            .unwrap()
            .phases
            .remove(0)
        {
            PhaseConfig::Http(h) => Plan::of(&h),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn templates_render_captures_and_the_iteration() {
        let p = plan(
            "[[phase.step]]\nname = \"a\"\npath = \"/x\"\ncapture = { id = \"$.id\" }\n[[phase.step]]\nname = \"b\"\nmethod = \"POST\"\npath = \"/m/{{ id }}\"\nquery = { q = \"a b&{{ iteration }}\" }\njson = { id = \"{{ id }}\", label = \"n{{ iteration }}\" }",
        );
        let steps = &p.scenarios[0].steps;
        assert!(steps[0].fixed.is_some());
        let mut vars = Vars {
            iteration: 7,
            ..Vars::default()
        };
        vars.captured.insert("id".into(), serde_json::json!(42));
        let r = steps[1].request(&vars).unwrap();
        assert_eq!(r.authority, "127.0.0.1:9");
        assert_eq!(r.target, "/api/m/42?q=a%20b%267");
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, serde_json::json!({"id": 42, "label": "n7"}));
        assert!(
            r.headers
                .iter()
                .any(|(n, v)| n == "content-type" && v == "application/json")
        );
    }

    #[test]
    fn a_missing_capture_is_named() {
        let p = plan(
            "[[phase.step]]\npath = \"/x\"\ncapture = { id = \"/id\" }\n[[phase.step]]\npath = \"/m/{{ id }}\"",
        );
        let err = p.scenarios[0].steps[1]
            .request(&Vars::default())
            .unwrap_err();
        assert!(err.contains("`id`"), "{err}");
    }

    #[test]
    fn weighted_picks_follow_the_weights() {
        let p = plan(
            "[[phase.scenario]]\nname = \"a\"\nweight = 3\n[[phase.scenario.step]]\npath = \"/a\"\n[[phase.scenario]]\nname = \"b\"\nweight = 1\n[[phase.scenario.step]]\npath = \"/b\"",
        );
        let picks: Vec<&str> = (0..4).map(|d| p.pick(d).name.as_str()).collect();
        assert_eq!(picks, ["a", "a", "a", "b"]);
    }
}
