//! The sharding examples: the Kubernetes manifests pass kubernetes-validate
//! (installed by .ci/run), and the suite the ConfigMap carries is a valid
//! configuration that splits into four shards.

use std::path::Path;

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes")
}

#[test]
fn kubernetes_manifests_pass_kubernetes_validate() {
    let mut files: Vec<_> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    let out = std::process::Command::new("kubernetes-validate")
        .arg("--strict")
        .args(&files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run kubernetes-validate ({e}): pip install kubernetes-validate")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches(" passed for resource ").count(), 4, "{text}");
}

#[test]
fn the_configmap_suite_parses_and_splits_into_four_shards() {
    let yaml = std::fs::read_to_string(examples().join("configmap.yaml")).unwrap();
    let toml: String = yaml
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("perfguard.toml: |"))
        .skip(1)
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    let config = perfguard::config::Config::parse(&toml, Path::new("configmap.yaml")).unwrap();
    for index in 0..4 {
        let shard = perfguard::shard::Shard { index, count: 4 };
        perfguard::shard::configure(&config, shard).unwrap();
    }
}
