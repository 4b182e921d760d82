//! COPY, SQUASH and Conway's problem (CSP 3.1, 3.2, 3.6), as a pipeline of processes
//! over characters. Conway's problem: read 80-column cards and print their text in
//! 125-column lines, with every pair of asterisks `**` replaced by an up-arrow `↑`.
//! Three processes solve it: DISASSEMBLE (cards into characters, a space after each
//! card), SQUASH (the `**` rule), ASSEMBLE (characters into lines, the last padded).
//!
//! ```sh
//! echo 'Hello** world' | cargo run --release --example conway
//! ```

use std::thread;

const CARD: usize = 80;
const LINE: usize = 125;

/// COPY: passes every character from `west` to `east`.
fn copy(west: csp_channel::Receiver<char>, east: csp_channel::Sender<char>) {
    for c in west {
        if east.send(c).is_err() {
            return;
        }
    }
}

/// SQUASH: copies, replacing each `**` by `↑`. A lone `*` (even a last one) passes.
fn squash(west: csp_channel::Receiver<char>, east: csp_channel::Sender<char>) {
    let mut west = west.into_iter();
    while let Some(c) = west.next() {
        let out = if c != '*' {
            vec![c]
        } else {
            match west.next() {
                Some('*') => vec!['↑'],
                Some(other) => vec!['*', other],
                None => vec!['*'],
            }
        };
        for c in out {
            if east.send(c).is_err() {
                return;
            }
        }
    }
}

/// DISASSEMBLE: each card (up to 80 columns, padded with spaces), then one space.
fn disassemble(cards: Vec<String>, east: csp_channel::Sender<char>) {
    for card in cards {
        let mut columns: Vec<char> = card.chars().take(CARD).collect();
        columns.resize(CARD, ' ');
        columns.push(' ');
        for c in columns {
            if east.send(c).is_err() {
                return;
            }
        }
    }
}

/// ASSEMBLE: characters into lines of 125, the last one padded with spaces.
fn assemble(west: csp_channel::Receiver<char>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for c in west {
        line.push(c);
        len += 1;
        if len == LINE {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
    }
    if len > 0 {
        line.extend(std::iter::repeat_n(' ', LINE - len));
        lines.push(line);
    }
    lines
}

/// Conway's problem: DISASSEMBLE | COPY | SQUASH | ASSEMBLE, one thread each (the
/// COPY stage shows that a buffer-free relay changes nothing).
fn conway(cards: Vec<String>) -> Vec<String> {
    let (a_tx, a_rx) = csp_channel::bounded(0);
    let (b_tx, b_rx) = csp_channel::bounded(0);
    let (c_tx, c_rx) = csp_channel::bounded(0);
    thread::spawn(move || disassemble(cards, a_tx));
    thread::spawn(move || copy(a_rx, b_tx));
    thread::spawn(move || squash(b_rx, c_tx));
    assemble(c_rx)
}

fn main() {
    let cards: Vec<String> = std::io::stdin().lines().map(|l| l.unwrap()).collect();
    for line in conway(cards) {
        println!("{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    /// The same transformation written sequentially, to check the network against.
    fn expected(cards: &[&str]) -> Vec<String> {
        let mut text: String = cards
            .iter()
            .map(|c| format!("{:<80} ", c.chars().take(80).collect::<String>()))
            .collect();
        text = text.replace("**", "↑");
        let chars: Vec<char> = text.chars().collect();
        chars
            .chunks(super::LINE)
            .map(|chunk| format!("{:<125}", chunk.iter().collect::<String>()))
            .collect()
    }

    #[test]
    fn the_network_solves_conways_problem() {
        let cards = ["x ** y *** z", "**", "a*", "*b", &"long ".repeat(30)];
        let got = super::conway(cards.iter().map(|s| s.to_string()).collect());
        assert_eq!(got, expected(&cards));
        assert!(got[0].starts_with("x ↑ y ↑* z"));
        assert!(got.iter().all(|l| l.chars().count() == 125));
    }
}
