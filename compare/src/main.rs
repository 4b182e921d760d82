//! The side-by-side comparison: runs every scenario for csp and its peers, shows
//! progress, prints a table of time per operation and each library's ratio to csp,
//! and writes a report folder: the table as Markdown (`results.md`), the figures as
//! JSON (`results.json`), and an SVG bar chart per scenario (`charts/`), with the
//! date and the machine it ran on.
//!
//! ```sh
//! cargo run --release -p csp-compare                  # everything (about 8 minutes)
//! cargo run --release -p csp-compare -- --quick       # shorter runs, under a minute
//! cargo run --release -p csp-compare -- --only select --only ping_pong
//! cargo run --release -p csp-compare -- --only cancellation   # the loss table only
//! cargo run --release -p csp-compare -- --cpus 0      # pinned to one CPU
//! cargo run --release -p csp-compare -- --load 2      # beside two CPU-bound processes
//! ```
//!
//! Every run without `--only` (or with `--only cancellation`) also fills the
//! cancellation table: for each async library, hand-offs whose sends and receives are
//! cancelled at random points, and the values that were lost or duplicated
//! (`csp_compare::loss`).
//!
//! A full run (no `--quick`, `--only` or `--load`) ends with a "busy machine" section:
//! the thread scenarios again, each beside as many CPU-bound processes as this
//! process has CPUs, the way a laptop with a build running or a shared CI runner is.
//! Busy measurements (there and under `--load`) take the median of fifteen runs
//! unless `--runs` says otherwise: where the scheduler puts the threads changes from
//! run to run, and five runs land on either side of a peer.

mod chart;

use csp_compare::Scenario;
use csp_compare::busy::{self, Busy};
use csp_compare::loss::Row;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

const USAGE: &str = "usage: csp-compare [--quick] [--only NAME]... [--messages N] [--runs N] \
                     [--cpus LIST] [--load N] [--out DIR]
  --quick         runs of ~50 ms instead of ~250 ms, 3 of them (under a minute on 2 cores)
  --only NAME     only scenarios whose name contains NAME, or of kind NAME (threads,
                  select, async, mixed, cancellation); repeatable
  --messages N    messages (or round trips) per run, for every scenario
  --runs N        runs per measurement; the median counts (default 5, quick 3; beside
                  busy processes 15, quick 5)
  --cpus LIST     pin to these CPUs, as taskset takes them (0 or 0,1 or 0-3)
  --load N        run N CPU-bound processes beside every measurement (a busy machine)
  --out DIR       the report folder (default: report)";

#[derive(Clone)]
struct Options {
    quick: bool,
    only: Vec<String>,
    messages: Option<u64>,
    runs: usize,
    /// Runs per measurement beside busy processes (`--load`, and a full run's busy
    /// section): `--runs` if given, else more than idle. There where the scheduler
    /// puts the threads changes from run to run, and a median of five lands on
    /// either side of a peer by which placements it caught (README, "Busy, fifteen
    /// runs a measurement").
    busy_runs: usize,
    cpus: Option<String>,
    /// CPU-bound processes to run beside every measurement (`--load`).
    load: Option<usize>,
    out: PathBuf,
}

fn parse() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        quick: false,
        only: Vec::new(),
        messages: None,
        runs: 0,
        busy_runs: 0,
        cpus: None,
        load: None,
        out: PathBuf::from("report"),
    };
    let number = |value: Option<String>, flag: &str| -> Result<u64, String> {
        value
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{flag} takes a positive number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--only" => options.only.push(args.next().ok_or("--only takes a name")?),
            "--messages" => options.messages = Some(number(args.next(), "--messages")?),
            "--runs" => options.runs = number(args.next(), "--runs")? as usize,
            "--cpus" => options.cpus = Some(args.next().ok_or("--cpus takes a list")?),
            "--load" => options.load = Some(number(args.next(), "--load")? as usize),
            "--out" => options.out = PathBuf::from(args.next().ok_or("--out takes a folder")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.runs == 0 {
        options.runs = if options.quick { 3 } else { 5 };
        options.busy_runs = if options.quick { 5 } else { 15 };
    } else {
        options.busy_runs = options.runs;
    }
    if options.load.is_some() {
        // Every measurement of this run is a busy one.
        options.runs = options.busy_runs;
    }
    Ok(options)
}

/// Re-runs this program under `taskset` when asked to pin, once.
fn pin(cpus: &str) -> ! {
    let status = Command::new("taskset")
        .arg("-c")
        .arg(cpus)
        .args(std::env::args_os())
        .env("CSP_COMPARE_PINNED", cpus)
        .status()
        .unwrap_or_else(|err| {
            eprintln!("csp-compare: --cpus needs taskset ({err})");
            std::process::exit(2)
        });
    std::process::exit(status.code().unwrap_or(1))
}

/// One library's result in one scenario.
struct Measured {
    lib: &'static str,
    note: &'static str,
    /// The median run's time per operation; infinite if a run did not finish.
    nanos: f64,
    /// The fastest and the slowest run's, where this program timed the runs itself
    /// (not Go's rows) and all of them finished.
    range: Option<(f64, f64)>,
    /// Messages (or round trips) a run, where this program ran them (not Go's rows).
    messages: Option<u64>,
    /// Whether the runs are no longer than the calibration's probe: its first runs
    /// took longer than the target, so the count could not be scaled to it. Such
    /// runs, far shorter than the others', may catch another mode of a library whose
    /// runs are bimodal (a busy machine), and the tables say so.
    probe_length: bool,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// How long one measured run should last: long enough that thread start-up and
/// first parks are noise, short enough for the whole comparison to stay quick.
fn target(options: &Options) -> Duration {
    Duration::from_millis(if options.quick { 50 } else { 250 })
}

/// What else the machine was doing while the comparison ran: the figures of a busy
/// machine mean little (a waiting thread's CPU goes to the other processes), so the
/// report says so, at the top.
struct Load {
    /// CPUs online on the machine (not only those this process may use).
    cpus: usize,
    /// The kernel's one-minute load average before and after the run.
    before: Option<f64>,
    after: Option<f64>,
    /// Runnable processes other than this one, sampled between runs, when this
    /// process runs only its main thread. A one-minute average would also count the
    /// build that `cargo run` just did, and this run itself.
    others: Vec<u32>,
    /// CPU-bound processes this run started itself (`--load`): not counted as others.
    ours: usize,
}

impl Load {
    /// Samples the machine's load before the run; `ours` CPU-bound processes of this
    /// run's own (`--load`) are already running and not counted as others.
    fn start(ours: usize) -> Self {
        let cpus = std::fs::read_to_string("/proc/stat")
            .map(|stat| {
                stat.lines()
                    .filter(|l| {
                        l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
                    })
                    .count()
            })
            .unwrap_or(0)
            .max(1);
        let mut load = Load {
            cpus,
            before: load_average(),
            after: None,
            others: Vec::new(),
            ours,
        };
        for _ in 0..5 {
            load.sample();
            std::thread::sleep(Duration::from_millis(50));
        }
        load
    }

    /// Counts the other runnable processes now (Linux's `procs_running`, which
    /// includes this process's running main thread).
    fn sample(&mut self) {
        let running = std::fs::read_to_string("/proc/stat").ok().and_then(|stat| {
            stat.lines()
                .find_map(|l| l.strip_prefix("procs_running "))
                .and_then(|n| n.trim().parse::<u32>().ok())
        });
        if let Some(running) = running {
            self.others
                .push(running.saturating_sub(1 + self.ours as u32));
        }
    }

    /// Other processes' runnable count, on average over the samples.
    fn others(&self) -> f64 {
        self.others.iter().map(|&n| f64::from(n)).sum::<f64>() / self.others.len().max(1) as f64
    }

    /// Busy: other processes wanted, on average, at least half the CPUs, so the
    /// scenarios' threads (two or more) could not each have one.
    /// With load of our own (`--load`) the count is rougher (threads queued behind it
    /// are runnable longer), so then it takes other processes wanting every CPU.
    fn busy(&self) -> bool {
        let limit = if self.ours > 0 { 1.0 } else { 0.5 };
        !self.others.is_empty() && self.others() >= self.cpus as f64 * limit
    }

    /// The report's line on the machine's load, and its warning if busy.
    fn describe(&self) -> String {
        let avg = |a: Option<f64>| a.map_or("unknown".into(), |a| format!("{a:.2}"));
        let line = format!(
            "Load: {} CPUs online; one-minute load average {} before, {} after; other \
             processes runnable between runs: {:.1} on average.",
            self.cpus,
            avg(self.before),
            avg(self.after),
            self.others()
        );
        let line = if self.ours > 0 {
            format!(
                "{line} Loaded on purpose (`--load {}`): {} CPU-bound processes ran beside \
                 every measurement.",
                self.ours, self.ours
            )
        } else {
            line
        };
        if self.busy() {
            format!(
                "**Warning: the machine was busy** (other processes wanted {:.1} of its {} \
                 CPUs). Waiting strategies behave differently when the CPUs are shared: \
                 these figures can be 10-50x off an idle machine's, and the ranking can \
                 change. Rerun on an idle machine to compare libraries.\n\n{line}",
                self.others(),
                self.cpus
            )
        } else {
            line
        }
    }
}

/// The kernel's one-minute load average (`/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// How one call of a library's run ends: its time, or, with a budget, `None` if it
/// had not finished within it.
fn run_once(
    entry: &'static csp_compare::Entry,
    messages: u64,
    budget: Option<Duration>,
) -> Option<Duration> {
    let Some(budget) = budget else {
        return Some((entry.run)(messages));
    };
    // On a busy machine a library that waits by yielding may all but stop (each
    // yield puts its thread behind the CPU-bound processes): run it on a thread of
    // its own, and give up on it after `budget`. The run goes on in the background,
    // still yielding, and ends when the load does.
    let (done, took) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send((entry.run)(messages));
    });
    took.recv_timeout(budget).ok()
}

/// The message count of a scenario's first runs, from which the count of its
/// measured runs is calibrated.
fn probe(scenario: &Scenario) -> u64 {
    (scenario.messages / 100).max(100)
}

/// How many probe runs a library makes at least ([`probe_runs`]).
const PROBES: usize = 3;

/// Runs `run` (a probe run) until `least` has passed and at least [`PROBES`] times,
/// and returns the median of their times, or `None` if a run did not finish in its
/// budget. The runs warm up threads, caches and the allocator; their median is what
/// the count is calibrated from ([`calibrate`]). Not the last run's time: beside busy
/// processes a library that waits by yielding is bimodal (each yield may give the CPU
/// to a busy process for its whole time slice), and one slow probe last scaled its
/// runs down to the probe's own length (kanal's 4x1 runs of 400 messages against
/// csp's 150,000), runs short enough to end inside one time slice, that then caught
/// its fast mode more often than long runs would.
fn probe_runs(least: Duration, mut run: impl FnMut() -> Option<Duration>) -> Option<Duration> {
    let start = Instant::now();
    let mut times = Vec::with_capacity(PROBES);
    while times.len() < PROBES || start.elapsed() < least {
        times.push(run()?);
    }
    times.sort_unstable();
    Some(times[times.len() / 2])
}

/// The message count whose run takes about `target`, from a run of `probe`
/// messages that took `took`; at most `most`. Scaling once from the probe is not
/// enough: a run's fixed cost (starting its threads, a barrier) can be most of a
/// probe's time, above all on a busy machine, where each new thread waits for a CPU.
/// There a 4x1 probe of 4,000 messages took about 4 ms, nearly all of it start-up, so
/// the runs it scaled to were 5 ms long instead of 50, and their figures mostly
/// start-up too. So the count is scaled again from a run of the scaled count, until a
/// run takes at least half the target (or the count stops growing). `None` if a run
/// did not finish in its budget.
fn calibrate(
    probe: u64,
    took: Duration,
    most: u64,
    target: Duration,
    mut run: impl FnMut(u64) -> Option<Duration>,
) -> Option<u64> {
    let target = target.as_secs_f64();
    let (mut messages, mut took) = (probe, took);
    // Each step at least doubles the count, so a few suffice.
    for _ in 0..8 {
        let secs = took.max(Duration::from_micros(1)).as_secs_f64();
        let scaled = ((messages as f64 * target / secs) as u64).clamp(probe, most);
        // Long enough to scale from, or as long as it may be.
        if secs >= target / 2.0 || scaled < messages * 2 {
            return Some(scaled);
        }
        messages = scaled;
        took = run(messages)?;
    }
    Some(messages)
}

/// Measures every library of `scenario`. Each library is first warmed up and its
/// message count calibrated; then the runs go round-robin (one run of each library,
/// then the next round), so that a slow spell of a shared or virtual machine falls on
/// every library alike instead of on whichever was being measured, and the ratios
/// stay fair even when the absolute times drift. With a `budget`, a library whose run
/// takes longer is reported as not finishing (`nanos` infinite), and not run again.
fn measure(
    scenario: &'static Scenario,
    options: &Options,
    step: &mut usize,
    steps: usize,
    load: &mut Load,
    budget: Option<Duration>,
) -> Vec<Measured> {
    let counts: Vec<Option<u64>> = scenario
        .entries
        .iter()
        .map(|entry| {
            // Probe runs, for at least one target's time and at least three of them,
            // warm up (threads, caches, allocator) and calibrate the message count from
            // their median, unless the count is given.
            let probe = probe(scenario);
            let took = probe_runs(target(options), || run_once(entry, probe, budget))?;
            if let Some(messages) = options.messages {
                return Some(messages);
            }
            calibrate(
                probe,
                took,
                scenario.messages * 20,
                target(options),
                |messages| run_once(entry, messages, budget),
            )
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(options.runs); scenario.entries.len()];
    let mut finished: Vec<bool> = counts.iter().map(Option::is_some).collect();
    for _ in 0..options.runs {
        for (k, entry) in scenario.entries.iter().enumerate() {
            let Some(messages) = counts[k].filter(|_| finished[k]) else {
                continue;
            };
            match run_once(entry, messages, budget) {
                Some(took) => samples[k].push(took.as_nanos() as f64 / messages as f64),
                None => finished[k] = false,
            }
            load.sample();
        }
    }
    scenario
        .entries
        .iter()
        .zip(counts)
        .zip(samples)
        .zip(finished)
        .map(|(((entry, messages), samples), finished)| {
            *step += 1;
            let range = (finished && !samples.is_empty()).then(|| {
                let fastest = samples.iter().copied().fold(f64::INFINITY, f64::min);
                let slowest = samples.iter().copied().fold(0.0, f64::max);
                (fastest, slowest)
            });
            let nanos = if finished {
                median(samples)
            } else {
                f64::INFINITY
            };
            eprintln!(
                "[{step:>3}/{steps}] {} {:<18} {} ({} per run)",
                scenario.name,
                entry.lib,
                human(nanos),
                messages.map_or("?".into(), |m| m.to_string())
            );
            Measured {
                lib: entry.lib,
                note: entry.note,
                nanos,
                range,
                messages,
                probe_length: options.messages.is_none() && messages == Some(probe(scenario)),
            }
        })
        .collect()
}

/// The longest a run of the busy-machine section may take (`measure`'s budget).
const BUSY_BUDGET: Duration = Duration::from_secs(10);

fn human(nanos: f64) -> String {
    if nanos.is_infinite() {
        format!("did not finish a run in {} s", BUSY_BUDGET.as_secs())
    } else if nanos >= 1_000_000.0 {
        format!("{:.2} ms", nanos / 1_000_000.0)
    } else if nanos >= 1_000.0 {
        format!("{:.2} µs", nanos / 1_000.0)
    } else {
        format!("{nanos:.1} ns")
    }
}

/// The machine, as the report records it.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release
                .lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|n| n.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.into());
    let pinned = std::env::var("CSP_COMPARE_PINNED")
        .map(|cpus| format!(", pinned to CPUs {cpus}"))
        .unwrap_or_default();
    format!("{cores} CPUs available ({model}){pinned}, {os}")
}

/// Today's date (UTC), from the system clock.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The results as Markdown tables, one per kind; on a busy machine each heading says so,
/// and `under` names a load this run put beside the measurements itself. With `spread`
/// each row also gives its fastest and slowest run: beside CPU-bound processes one
/// library's runs can differ a hundredfold, as the scheduler places its threads
/// differently from run to run, and the median alone hides which of those it caught.
fn table(results: &[(&Scenario, Vec<Measured>)], busy: bool, under: &str, spread: bool) -> String {
    let mut out = String::new();
    let mut kind = "";
    for (scenario, measured) in results {
        if scenario.kind != kind {
            kind = scenario.kind;
            let warning = if busy {
                " (measured on a busy machine: see the warning above)"
            } else {
                ""
            };
            let _ = writeln!(out, "\n## {kind}{under}{warning}\n");
            if spread {
                let _ = writeln!(
                    out,
                    "| scenario | library | time per op | vs csp | fastest – slowest run | note |"
                );
                let _ = writeln!(out, "|---|---|---:|---:|---:|---|");
            } else {
                let _ = writeln!(out, "| scenario | library | time per op | vs csp | note |");
                let _ = writeln!(out, "|---|---|---:|---:|---|");
            }
        }
        let csp = measured[0].nanos;
        for m in measured {
            let range = if spread {
                let range = m.range.map_or("—".into(), |(fastest, slowest)| {
                    format!("{} – {}", human(fastest), human(slowest))
                });
                format!(" {range} |")
            } else {
                String::new()
            };
            let short = match m.messages {
                Some(messages) if m.probe_length && m.nanos.is_finite() => {
                    format!(
                        "runs of {messages} {}s only: its first runs took longer than the target",
                        scenario.unit
                    )
                }
                _ => String::new(),
            };
            let note = [m.note, &short]
                .into_iter()
                .filter(|n| !n.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writeln!(
                out,
                "| {} ({}) | {} | {} | {} |{range} {note} |",
                scenario.name,
                scenario.unit,
                m.lib,
                human(m.nanos),
                ratio(m.nanos, csp),
            );
        }
    }
    out
}

/// A library's time over csp's, for the tables: "—" where either did not finish.
fn ratio(nanos: f64, csp: f64) -> String {
    if nanos.is_finite() && csp.is_finite() {
        format!("{:.2}x", nanos / csp)
    } else {
        "—".into()
    }
}

/// Whether `compare/go/main.go` has the scenario: the thread and select ones (Go has no
/// async tasks apart from goroutines, which the thread rows already are).
fn has_go_counterpart(scenario: &Scenario) -> bool {
    matches!(scenario.kind, "threads" | "select")
}

/// Runs the Go reference (`compare/go/main.go`) for the selected scenarios it has, if
/// `go` is on PATH, and adds its rows. Returns what the report says about Go.
fn run_go(options: &Options, results: &mut [(&Scenario, Vec<Measured>)]) -> String {
    let Ok(version) = Command::new("go").arg("version").output() else {
        return "Go: skipped (go is not on PATH)".into();
    };
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/go/main.go");
    let mut command = Command::new("go");
    command
        .args(["run", program, "-runs", &options.runs.to_string()])
        .args(["-target-ms", &target(options).as_millis().to_string()]);
    let mut any = false;
    for (scenario, _) in results.iter() {
        if has_go_counterpart(scenario) {
            command.args(["-only", &scenario.name]);
            any = true;
        }
    }
    if !any {
        return format!("Go: {version}; no selected scenario has a Go counterpart");
    }
    eprintln!("csp-compare: running the Go reference ({version})");
    let output = match command.output() {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            return format!(
                "Go: failed ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Err(err) => return format!("Go: failed ({err})"),
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some((name, nanos)) = line.split_once('\t') else {
            continue;
        };
        let Ok(nanos) = nanos.trim().parse::<f64>() else {
            continue;
        };
        if let Some((_, measured)) = results
            .iter_mut()
            .find(|(s, _)| has_go_counterpart(s) && s.name == name)
        {
            eprintln!("[go] {name:<30} {}", human(nanos));
            measured.push(Measured {
                lib: "go",
                note: "goroutines and chans",
                nanos,
                range: None,
                messages: None,
                probe_length: false,
            });
        }
    }
    format!(
        "Go: {version}, goroutines and chans (`compare/go/main.go`); async and mixed scenarios have no Go row"
    )
}

/// A JSON string literal (names and notes are plain text; escape what JSON needs).
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json(
    (date, machine): (&str, &str),
    load: &Load,
    quick: bool,
    go: &str,
    results: &[(&Scenario, Vec<Measured>)],
    (processes, loaded): (usize, &[(&Scenario, Vec<Measured>)]),
    cancelled: &[Row],
) -> String {
    let scenarios = |results: &[(&Scenario, Vec<Measured>)]| -> Vec<String> {
        results
        .iter()
        .map(|(scenario, measured)| {
            let csp = measured[0].nanos;
            let rows: Vec<String> = measured
                .iter()
                .map(|m| {
                    // A run that did not finish in its budget has no time: null.
                    let number = |x: f64| {
                        if x.is_finite() {
                            format!("{x:.4}")
                        } else {
                            "null".into()
                        }
                    };
                    let (fastest, slowest) = m.range.unwrap_or((f64::NAN, f64::NAN));
                    format!(
                        "{{\"library\": {}, \"ns_per_op\": {}, \"vs_csp\": {}, \"fastest_run\": {}, \"slowest_run\": {}, \"messages_per_run\": {}, \"note\": {}}}",
                        json_string(m.lib),
                        number(m.nanos),
                        number(m.nanos / csp),
                        number(fastest),
                        number(slowest),
                        m.messages.map_or("null".into(), |n| n.to_string()),
                        json_string(m.note)
                    )
                })
                .collect();
            format!(
                "    {{\"kind\": {}, \"name\": {}, \"unit\": {}, \"results\": [\n      {}\n    ]}}",
                json_string(scenario.kind),
                json_string(&scenario.name),
                json_string(scenario.unit),
                rows.join(",\n      ")
            )
        })
        .collect()
    };
    let busy_machine = if loaded.is_empty() {
        "null".to_owned()
    } else {
        format!(
            "{{\"processes\": {processes}, \"scenarios\": [\n{}\n  ]}}",
            scenarios(loaded).join(",\n")
        )
    };
    let cancellation = if cancelled.is_empty() {
        "null".to_owned()
    } else {
        let rows: Vec<String> = cancelled
            .iter()
            .map(|row| {
                let t = &row.tally;
                format!(
                    "    {{\"library\": {}, \"capacity\": {}, \"cancelled_by\": {}, \"finished\": {}, \"hand_offs\": {}, \"sends_cancelled\": {}, \"receives_cancelled\": {}, \"lost\": {}, \"duplicated\": {}, \"delivered_send_cancelled\": {}}}",
                    json_string(row.lib),
                    row.cap,
                    json_string(row.how.name()),
                    t.finished,
                    t.hand_offs,
                    t.sends_cancelled,
                    t.receives_cancelled,
                    t.lost,
                    t.duplicated,
                    t.delivered_send_cancelled
                )
            })
            .collect();
        format!("[\n{}\n  ]", rows.join(",\n"))
    };
    format!(
        "{{\n  \"date\": {},\n  \"machine\": {},\n  \"load\": {{\"cpus\": {}, \"before\": {}, \"after\": {}, \"others_runnable\": {:.2}, \"busy\": {}, \"ours\": {}}},\n  \"quick\": {quick},\n  \"go\": {},\n  \"scenarios\": [\n{}\n  ],\n  \"busy_machine\": {busy_machine},\n  \"cancellation\": {cancellation}\n}}\n",
        json_string(date),
        json_string(machine),
        load.cpus,
        load.before.map_or("null".into(), |a| format!("{a:.2}")),
        load.after.map_or("null".into(), |a| format!("{a:.2}")),
        load.others(),
        load.busy(),
        load.ours,
        json_string(go),
        scenarios(results).join(",\n")
    )
}

/// The cancellation chart, relative to the report folder.
const CANCELLATION_CHART: &str = "charts/cancellation.svg";

/// A row of the cancellation table, for the progress lines.
fn describe_row(row: &Row) -> String {
    let t = &row.tally;
    let outcome = if t.finished {
        format!(
            "{} lost, {} duplicated ({} sends and {} receives cancelled)",
            t.lost, t.duplicated, t.sends_cancelled, t.receives_cancelled
        )
    } else {
        format!(
            "did not finish in {} s (a lost wake-up?)",
            csp_compare::loss::LIMIT.as_secs()
        )
    };
    format!(
        "{:<14} cap {:<4} {:<7} {outcome}",
        row.lib,
        row.cap,
        row.how.name()
    )
}

/// The cancellation section of the report.
fn cancellation_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let hand_offs = rows.first().map_or(0, |r| r.tally.hand_offs);
    let _ = write!(
        out,
        "\n## cancellation\n\n\
         What each async library does with values when its futures are dropped \
         half-way. A producer task sends {hand_offs} values to a consumer task on \
         tokio's multi-thread runtime (two workers); about half of each side's sends \
         and receives are cancellable, at random: by `tokio::time::timeout_at` a \
         deadline already past (polled once, then dropped), or by losing a \
         `tokio::select!` to a branch ready after 0-3 yields. Then the producer drops \
         its sender and the consumer receives until the channel is closed. **Lost**: \
         the send completed (the sender was told it was delivered) but no receive \
         returned the value. **Duplicated**: received more than once. **Delivered, \
         send cancelled**: the send was dropped, yet the value arrived once: not a \
         loss, but a sender that retries a cancelled send would deliver it twice (on \
         a rendezvous channel a receiver may take a pending send's value just before \
         the send future is dropped). See `compare/src/loss.rs`.\n\n"
    );
    let _ = writeln!(
        out,
        "| library | capacity | cancelled by | sends cancelled | receives cancelled | \
         lost | duplicated | delivered, send cancelled |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let t = &row.tally;
        if t.finished {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                row.lib,
                row.cap,
                row.how.name(),
                t.sends_cancelled,
                t.receives_cancelled,
                bold_if_not_zero(t.lost),
                bold_if_not_zero(t.duplicated),
                t.delivered_send_cancelled
            );
        } else {
            let _ = writeln!(
                out,
                "| {} | {} | {} | did not finish in {} s | | | | |",
                row.lib,
                row.cap,
                row.how.name(),
                csp_compare::loss::LIMIT.as_secs()
            );
        }
    }
    out
}

fn bold_if_not_zero(n: u64) -> String {
    if n == 0 {
        "0".into()
    } else {
        format!("**{n}**")
    }
}

/// The chart file of a scenario, relative to the report folder.
fn chart_file(scenario: &Scenario) -> String {
    format!(
        "charts/{}-{}.svg",
        scenario.kind,
        scenario.name.replace('/', "-")
    )
}

/// Writes the report folder: Markdown, JSON and one chart per scenario.
fn write_report(
    out: &std::path::Path,
    markdown: &str,
    json: &str,
    results: &[(&Scenario, Vec<Measured>)],
    cancelled: &[Row],
) -> Result<(), String> {
    std::fs::create_dir_all(out.join("charts")).map_err(|e| e.to_string())?;
    if !cancelled.is_empty() {
        // One bar per library: its values lost or duplicated, over all its rows.
        let mut bars: Vec<(&str, u64)> = Vec::new();
        for row in cancelled {
            let wrong = row.tally.lost + row.tally.duplicated;
            match bars.iter_mut().find(|(lib, _)| *lib == row.lib) {
                Some((_, total)) => *total += wrong,
                None => bars.push((row.lib, wrong)),
            }
        }
        let hand_offs: u64 = cancelled
            .iter()
            .filter(|r| r.lib == cancelled[0].lib)
            .map(|r| r.tally.hand_offs)
            .sum();
        chart::counts(
            &out.join(CANCELLATION_CHART),
            &format!("values lost or duplicated, per library, in {hand_offs} hand-offs"),
            &bars,
        )?;
    }
    std::fs::write(out.join("results.md"), markdown).map_err(|e| e.to_string())?;
    std::fs::write(out.join("results.json"), json).map_err(|e| e.to_string())?;
    for (scenario, measured) in results {
        let bars: Vec<(&str, f64)> = measured.iter().map(|m| (m.lib, m.nanos)).collect();
        let title = format!("{} {}", scenario.kind, scenario.name);
        chart::bars(
            &out.join(chart_file(scenario)),
            &title,
            scenario.unit,
            &bars,
        )?;
    }
    Ok(())
}

fn main() {
    busy::serve_if_busy();
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("csp-compare: {message}");
            }
            eprintln!("{USAGE}");
            std::process::exit(if message.is_empty() { 0 } else { 2 });
        }
    };
    if let Some(cpus) = &options.cpus {
        if std::env::var_os("CSP_COMPARE_PINNED").is_none() {
            pin(cpus);
        }
    }
    // For the life of the program: a run given up on (`run_once`) goes on using its
    // scenario's entry on a thread of its own.
    let scenarios: &'static [Scenario] = Vec::leak(
        csp_compare::scenarios()
            .into_iter()
            .filter(|s| {
                options.only.is_empty()
                    || options
                        .only
                        .iter()
                        .any(|o| s.name.contains(o.as_str()) || s.kind == o)
            })
            .collect::<Vec<_>>(),
    );
    let cancellation = options.only.is_empty() || options.only.iter().any(|o| o == "cancellation");
    if scenarios.is_empty() && !cancellation {
        eprintln!("csp-compare: no scenario matches {:?}", options.only);
        std::process::exit(2);
    }
    // A full run ends with the thread scenarios again, on a busy machine.
    let full = !options.quick && options.only.is_empty() && options.load.is_none();
    let loaded: Vec<&Scenario> = if full {
        scenarios.iter().filter(|s| s.kind == "threads").collect()
    } else {
        Vec::new()
    };
    let steps = scenarios
        .iter()
        .chain(loaded.iter().copied())
        .map(|s| s.entries.len())
        .sum();
    let _busy = options.load.map(|n| Busy::start(n, None));
    let mut load = Load::start(options.load.unwrap_or(0));
    if load.busy() {
        eprintln!(
            "csp-compare: warning: the machine is busy (other processes want {:.1} of {} \
             CPUs); the figures will say little about an idle machine",
            load.others(),
            load.cpus
        );
    }
    // Under load of our own, a library may all but stop: bound its runs.
    let budget = options.load.map(|_| BUSY_BUDGET);
    let started = Instant::now();
    let mut step = 0;
    eprintln!(
        "csp-compare: {} scenarios, {steps} measurements, median of {} runs",
        scenarios.len(),
        options.runs
    );
    let mut results: Vec<(&Scenario, Vec<Measured>)> = scenarios
        .iter()
        .map(|s| (s, measure(s, &options, &mut step, steps, &mut load, budget)))
        .collect();
    let go = run_go(&options, &mut results);
    let busy_machine = std::thread::available_parallelism().map_or(2, |n| n.get());
    let loaded_results: Vec<(&Scenario, Vec<Measured>)> = if loaded.is_empty() {
        Vec::new()
    } else {
        eprintln!(
            "csp-compare: the thread scenarios again, each beside {busy_machine} CPU-bound \
             processes (a busy machine), median of {} runs",
            options.busy_runs
        );
        let _busy = Busy::start(busy_machine, None);
        load.ours = busy_machine;
        let busy = Options {
            runs: options.busy_runs,
            ..options.clone()
        };
        let measured = loaded
            .iter()
            .map(|s| {
                (
                    *s,
                    measure(s, &busy, &mut step, steps, &mut load, Some(BUSY_BUDGET)),
                )
            })
            .collect();
        load.ours = 0;
        measured
    };
    let cancelled = if cancellation {
        let hand_offs = options
            .messages
            .unwrap_or(if options.quick { 20_000 } else { 100_000 });
        eprintln!(
            "csp-compare: cancellation: {hand_offs} hand-offs per row, sends and receives \
             cancelled at random points"
        );
        csp_compare::loss::table(hand_offs, |row| {
            eprintln!("[cancel] {}", describe_row(row));
        })
    } else {
        Vec::new()
    };
    let elapsed = started.elapsed();
    load.after = load_average();
    let (date, machine) = (today(), machine());
    let mut report = format!(
        "# csp side by side\n\n{date}; {machine}{}; took {} s.\n{go}.\n\n{}\n",
        if options.quick { "; quick run" } else { "" },
        elapsed.as_secs(),
        load.describe(),
    );
    report.push_str(&table(&results, load.busy(), "", options.load.is_some()));
    if !loaded_results.is_empty() {
        let _ = write!(
            report,
            "\n## A busy machine\n\nThe thread scenarios again, each measured beside \
             {busy_machine} CPU-bound processes (one per CPU this run may use), as on a \
             laptop with a build running or a shared CI runner: a library that waits by \
             spinning or yielding loses its CPU to them for a whole time slice, one that \
             parks is woken at once. Where the scheduler puts the waiting threads (beside a \
             busy process or not, together or apart) changes from run to run, and one \
             library's runs can differ a hundredfold: each row gives its fastest and \
             slowest run beside the median, of {} runs. No Go rows here.\n",
            options.busy_runs
        );
        let under = format!(", beside {busy_machine} CPU-bound processes");
        report.push_str(&table(&loaded_results, false, &under, true));
    }
    if !cancelled.is_empty() {
        report.push_str(&cancellation_table(&cancelled));
    }
    println!("{report}");
    report.push_str("\n## Charts\n\n");
    for (scenario, _) in &results {
        report.push_str(&format!(
            "![{} {}]({})\n",
            scenario.kind,
            scenario.name,
            chart_file(scenario)
        ));
    }
    if !cancelled.is_empty() {
        report.push_str(&format!("![cancellation]({CANCELLATION_CHART})\n"));
    }
    let json = json(
        (&date, &machine),
        &load,
        options.quick,
        &go,
        &results,
        (busy_machine, &loaded_results),
        &cancelled,
    );
    if let Err(err) = write_report(&options.out, &report, &json, &results, &cancelled) {
        eprintln!(
            "csp-compare: could not write the report to {}: {err}",
            options.out.display()
        );
        std::process::exit(1);
    }
    eprintln!(
        "csp-compare: report written to {} (results.md, results.json, charts/)",
        options.out.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run with a fixed cost of 4 ms and 50 ns a message, as 4x1 over `bounded(1024)`
    /// beside two busy processes.
    fn busy_run(messages: u64) -> Option<Duration> {
        Some(Duration::from_millis(4) + Duration::from_nanos(50 * messages))
    }

    /// The calibrated runs take about the target even where the probe's time is
    /// nearly all fixed cost. Scaling once from the probe, as before, gave runs of
    /// 6 ms for a target of 50.
    #[test]
    fn calibrated_runs_take_about_the_target_despite_a_fixed_cost() {
        let target = Duration::from_millis(50);
        let probe = 4_000;
        let messages =
            calibrate(probe, busy_run(probe).unwrap(), 8_000_000, target, busy_run).unwrap();
        let took = busy_run(messages).unwrap();
        assert!(
            took >= target.mul_f64(0.8) && took <= target.mul_f64(1.25),
            "{messages} messages take {took:?}, for a target of {target:?}"
        );
    }

    /// No more than `most`, and no run once there; none at all when the probe
    /// already took the target.
    #[test]
    fn calibration_stops_at_the_most_and_after_a_long_enough_probe() {
        let target = Duration::from_millis(50);
        let mut runs = Vec::new();
        let counted = |messages| {
            runs.push(messages);
            busy_run(messages)
        };
        let most = 100_000;
        let got = calibrate(4_000, busy_run(4_000).unwrap(), most, target, counted);
        assert_eq!(got, Some(most));
        assert!(
            runs.is_sorted() && runs.last() == Some(&most),
            "runs of {runs:?}"
        );
        let slow = Duration::from_millis(100);
        let got = calibrate(4_000, slow, most, target, |_| panic!("ran again"));
        assert_eq!(got, Some(4_000));
    }

    /// The probe time is the median of at least three runs, not the last one: a
    /// library whose last probe caught its slow mode (a yield that lost a time slice)
    /// would otherwise have its runs scaled down to the probe's length.
    #[test]
    fn the_probe_time_is_the_median_of_at_least_three_runs() {
        let fast = Duration::from_millis(1);
        let slow = Duration::from_millis(640);
        let mut times = [fast, fast, slow].into_iter();
        let mut runs = 0;
        let took = probe_runs(Duration::ZERO, || {
            runs += 1;
            times.next()
        });
        assert_eq!((took, runs), (Some(fast), 3));
        // A run past its budget ends the probes.
        let mut times = [Some(fast), None].into_iter();
        assert_eq!(probe_runs(Duration::ZERO, || times.next().flatten()), None);
    }

    /// A run that does not finish in its budget ends the calibration.
    #[test]
    fn a_run_past_its_budget_has_no_count() {
        let probe = 4_000;
        let target = Duration::from_millis(50);
        assert_eq!(
            calibrate(probe, busy_run(probe).unwrap(), 8_000_000, target, |_| None),
            None
        );
    }
}
