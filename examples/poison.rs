//! A poisoned pipeline (JCSP's and C++CSP2's *poison*, occam-pi's shutdown protocol):
//! `source -> parse -> square -> sink`, each stage a thread joined to the next by a
//! rendezvous. When `parse` meets input it cannot parse, it closes both its channels:
//! upstream, `source`'s next send fails (and gives its value back), so it stops;
//! downstream, `square` receives what was already handed on and then sees the
//! disconnection, and passes it on the same way. No stage owns another's ends, and
//! the whole network stops cleanly from the middle.
//!
//! ```sh
//! cargo run --release --example poison -- 1 2 3 x 5 6
//! ```

use std::thread;

/// What each stage did, for the caller to check.
#[derive(Debug, PartialEq)]
struct Report {
    /// How many inputs `source` got rid of before its send failed.
    sent: usize,
    /// The input `parse` refused, if any.
    poison: Option<String>,
    /// What `sink` received, in order.
    received: Vec<i64>,
}

/// Runs the pipeline over `inputs`.
fn run(inputs: Vec<String>) -> Report {
    let (raw_tx, raw_rx) = csp_channel::bounded::<String>(0);
    let (num_tx, num_rx) = csp_channel::bounded::<i64>(0);
    let (sq_tx, sq_rx) = csp_channel::bounded::<i64>(0);

    let source = thread::spawn(move || {
        let mut sent = 0;
        for input in inputs {
            // A failed send means someone downstream poisoned the channel.
            if raw_tx.send(input).is_err() {
                break;
            }
            sent += 1;
        }
        sent
    });
    let parse = thread::spawn(move || {
        for text in &raw_rx {
            match text.parse::<i64>() {
                Ok(n) => {
                    if num_tx.send(n).is_err() {
                        break;
                    }
                }
                Err(_) => {
                    // Poison both neighbours: neither side needs to know why.
                    raw_rx.close();
                    num_tx.close();
                    return Some(text);
                }
            }
        }
        None
    });
    let square = thread::spawn(move || {
        for n in &num_rx {
            if sq_tx.send(n * n).is_err() {
                num_rx.close();
                break;
            }
        }
        // `num_rx` disconnected: pass the shutdown on by leaving (dropping `sq_tx`).
    });
    let received = sq_rx.iter().collect();
    square.join().unwrap();
    Report {
        sent: source.join().unwrap(),
        poison: parse.join().unwrap(),
        received,
    }
}

fn main() {
    let mut inputs: Vec<String> = std::env::args().skip(1).collect();
    if inputs.is_empty() {
        inputs = ["1", "2", "3", "x", "5", "6"].map(String::from).to_vec();
    }
    let report = run(inputs);
    println!(
        "source sent {} inputs before the poison reached it",
        report.sent
    );
    match &report.poison {
        Some(bad) => println!("parse refused {bad:?} and poisoned the pipeline"),
        None => println!("every input parsed"),
    }
    println!("sink received {:?}", report.received);
}

#[cfg(test)]
mod tests {
    use super::{Report, run};

    fn inputs(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn poison_stops_the_whole_pipeline() {
        let report = run(inputs(&["1", "2", "3", "x", "5", "6"]));
        assert_eq!(report.poison.as_deref(), Some("x"));
        assert_eq!(
            report.received,
            [1, 4, 9],
            "what came before the poison arrives"
        );
        // `x` was the fourth input sent; the fifth send found the channel closed.
        assert_eq!(report.sent, 4);
    }

    #[test]
    fn without_poison_everything_flows() {
        let report = run(inputs(&["1", "2", "3"]));
        assert_eq!(
            report,
            Report {
                sent: 3,
                poison: None,
                received: vec![1, 4, 9],
            }
        );
    }
}
