//! Units across runs: a metric whose unit changed between the baseline and
//! this run is compared in this run's unit when both measure one dimension
//! (`ms` against `s`, `KiB` against `bytes`), and not compared at all when
//! they do not (`ns` against `bytes`, or a unit perfguard does not know).

use crate::metrics::units::conversion;
use crate::results::{Run, RunIndex};

/// `earlier` (the baseline or a run of history) in the units of the current
/// run (`index`):
/// `None` when every shared metric already has the same unit. Metrics that
/// cannot be converted are left out of the copy, so they read as new, and
/// each is named in `notes` (once per metric).
pub fn align(earlier: &Run, index: &RunIndex, notes: &mut Vec<String>) -> Option<Run> {
    let differs = earlier.phases.iter().any(|p| {
        p.metrics.iter().any(|m| {
            index
                .metric(&p.name, &m.name)
                .is_some_and(|c| c.unit != m.unit)
        })
    });
    if !differs {
        return None;
    }
    let mut aligned = earlier.clone();
    for phase in &mut aligned.phases {
        let name = phase.name.clone();
        phase.metrics.retain_mut(|m| {
            let Some(c) = index.metric(&name, &m.name) else {
                return true;
            };
            match conversion(&m.unit, &c.unit) {
                Ok(factor) => {
                    if factor != 1.0 {
                        m.value *= factor;
                        for s in &mut m.samples {
                            *s *= factor;
                        }
                    }
                    m.unit = c.unit.clone();
                    true
                }
                Err(why) => {
                    let note = format!(
                        "{name} / {}: not compared, the unit changed ({why}); this run starts its history",
                        m.name
                    );
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                    false
                }
            }
        });
    }
    Some(aligned)
}
