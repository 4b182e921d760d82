//! The side-by-side comparison under criterion: one group per scenario, one function
//! per library, running the same functions as `cargo run --release -p csp-compare`
//! (see `compare/`). Filter by kind or name, for example:
//!
//! ```sh
//! cargo bench --bench compare -- threads/ping_pong
//! taskset -c 0 cargo bench --bench compare -- select
//! ```

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

fn compare(c: &mut Criterion) {
    for scenario in csp_compare::scenarios() {
        let mut group = c.benchmark_group(format!("{}/{}", scenario.kind, scenario.name));
        group.throughput(Throughput::Elements(1));
        for entry in &scenario.entries {
            group.bench_function(entry.lib, |b| b.iter_custom(|n| (entry.run)(n)));
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(15);
    targets = compare
}
criterion_main!(benches);
