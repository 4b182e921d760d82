//! One SVG bar chart per scenario: time per operation for each library, on a log
//! scale (peers differ by up to 100x), csp's bar in its own colour.

use plotters::prelude::*;
use std::path::Path;

/// Draws `bars` (library, nanoseconds per operation) as a horizontal bar chart. A
/// library whose runs did not finish (an infinite time) gets a bar across the whole
/// chart, labelled so; the scale comes from the others. (An infinite bound made the
/// log scale's tick search run forever: a busy-machine run that timed one library
/// out never wrote its charts.)
pub fn bars(path: &Path, title: &str, unit: &str, bars: &[(&str, f64)]) -> Result<(), String> {
    if bars.is_empty() {
        return Ok(());
    }
    let height = 70 + 34 * bars.len() as u32;
    let root = SVGBackend::new(path, (720, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let finite = || bars.iter().map(|b| b.1).filter(|nanos| nanos.is_finite());
    let low = finite().fold(f64::INFINITY, f64::min);
    let high = finite().fold(0.0, f64::max);
    let (low, high) = if low.is_finite() {
        (low / 2.0, high * 2.0)
    } else {
        (1.0, 10.0)
    };
    // Where a bar ends, and what it says.
    let end = |nanos: f64| if nanos.is_finite() { nanos } else { high };
    let label = |nanos: f64| {
        if nanos.is_finite() {
            crate::human(nanos)
        } else {
            "did not finish".to_string()
        }
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        // Segmented 0..=n-1 gives exactly n rows.
        .build_cartesian_2d(
            (low..high).log_scale(),
            (0..bars.len() - 1).into_segmented(),
        )
        .map_err(|e| e.to_string())?;
    // Row 0 is at the bottom: list the bars top down, csp (the first) on top.
    let row = |i: usize| bars.len() - 1 - i;
    let labels = row_labels(bars.iter().map(|b| b.0));
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(bars.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_labels(4)
        .x_label_formatter(&|nanos| crate::human(*nanos))
        .x_desc(format!("time per {unit} (log scale; shorter is faster)"))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(lib, nanos))| {
            let mut bar = Rectangle::new(
                [
                    (low, SegmentValue::Exact(row(i))),
                    (end(nanos), SegmentValue::Exact(row(i) + 1)),
                ],
                colour(lib).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(_, nanos))| {
            Text::new(
                label(nanos),
                (
                    if nanos.is_finite() {
                        nanos * 1.08
                    } else {
                        high / 4.0
                    },
                    SegmentValue::CenterOf(row(i)),
                ),
                ("sans-serif", 13).into_font(),
            )
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Draws `bars` (library, a count) as a horizontal bar chart on a linear scale, each
/// bar labelled with its count (a zero has no bar, only its label).
pub fn counts(path: &Path, title: &str, bars: &[(&str, u64)]) -> Result<(), String> {
    if bars.is_empty() {
        return Ok(());
    }
    let height = 70 + 34 * bars.len() as u32;
    let root = SVGBackend::new(path, (720, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let high = (bars.iter().map(|b| b.1).max().unwrap_or(0) as f64 * 1.25).max(10.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..high, (0..bars.len() - 1).into_segmented())
        .map_err(|e| e.to_string())?;
    let row = |i: usize| bars.len() - 1 - i;
    let labels = row_labels(bars.iter().map(|b| b.0));
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(bars.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_labels(5)
        .x_label_formatter(&|n| format!("{n:.0}"))
        .x_desc("values (fewer is better; 0 is exact)")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(lib, n))| {
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row(i))),
                    (n as f64, SegmentValue::Exact(row(i) + 1)),
                ],
                colour(lib).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(_, n))| {
            Text::new(
                n.to_string(),
                (n as f64 + high * 0.01, SegmentValue::CenterOf(row(i))),
                ("sans-serif", 13).into_font(),
            )
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// A library's bar colour: csp's its own.
fn colour(lib: &str) -> RGBColor {
    if lib.starts_with("csp") {
        RGBColor(200, 60, 40)
    } else {
        RGBColor(90, 110, 150)
    }
}

/// The y labels of a bar chart: row 0 is at the bottom, so the bars' names bottom up.
fn row_labels<'a>(libs: impl DoubleEndedIterator<Item = &'a str>) -> Vec<String> {
    libs.rev().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    /// Draws `bars` into a temporary file on a thread of its own; a drawing that hangs
    /// fails the test after 20 s instead of hanging the suite.
    fn draw(name: &str, bars: &'static [(&'static str, f64)]) -> String {
        let path =
            std::env::temp_dir().join(format!("csp-compare-{}-{name}.svg", std::process::id()));
        let (done, drawn) = mpsc::channel();
        let target = path.clone();
        std::thread::spawn(move || {
            let _ = done.send(super::bars(
                &target,
                "threads ping_pong/cap0",
                "round trip",
                bars,
            ));
        });
        match drawn.recv_timeout(Duration::from_secs(20)) {
            Ok(result) => result.expect("the chart is drawn"),
            Err(_) => panic!("drawing the {name} chart did not finish in 20 s"),
        }
        let svg = std::fs::read_to_string(&path).expect("the chart file");
        let _ = std::fs::remove_file(&path);
        svg
    }

    #[test]
    fn a_library_that_did_not_finish_gets_a_labelled_bar() {
        let svg = draw(
            "unfinished",
            &[("csp", 250.0), ("kanal", f64::INFINITY), ("flume", 4000.0)],
        );
        assert!(
            svg.contains("did not finish"),
            "the unfinished bar is labelled"
        );
        assert!(svg.contains("kanal") && svg.contains("flume"));
    }

    #[test]
    fn a_chart_where_nothing_finished_is_still_drawn() {
        let svg = draw("none", &[("csp", f64::INFINITY), ("kanal", f64::INFINITY)]);
        assert_eq!(svg.matches("did not finish").count(), 2);
    }
}
