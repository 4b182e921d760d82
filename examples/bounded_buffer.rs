//! Hoare's bounded buffer (CSP 5.1 / occam's classic): buffering is a process. It
//! holds up to N values, and an ALT with guards decides what it can do next: accept
//! input only while it has room (`count < N & in ? x`), offer output only while it
//! holds something (`count > 0 & out ! buffer[head]`). Producer and consumer talk to
//! it over rendezvous channels, so they are decoupled by exactly N places.
//!
//! ```sh
//! cargo run --release --example bounded_buffer -- 20 4   # values, places
//! ```

use std::collections::VecDeque;
use std::thread;

/// Runs a producer of `0..values`, the buffer process with `places`, and a consumer;
/// returns what the consumer received and the most the buffer ever held.
fn run(values: u64, places: usize) -> (Vec<u64>, usize) {
    let (in_tx, input) = csp_channel::bounded::<u64>(0);
    let (output, out_rx) = csp_channel::bounded::<u64>(0);
    let buffer = thread::spawn(move || {
        let mut held = VecDeque::with_capacity(places);
        let mut most = 0;
        let mut input_open = true;
        while input_open || !held.is_empty() {
            let front = held.front().copied();
            csp_channel::select! {
                recv(input) -> x if input_open && held.len() < places => match x {
                    Ok(x) => { held.push_back(x); most = most.max(held.len()); }
                    Err(_) => input_open = false, // the producer is done
                },
                // The value is evaluated only if this arm is chosen, so `unwrap` is safe.
                send(output, front.unwrap()) -> res if front.is_some() => {
                    res.unwrap();
                    held.pop_front();
                }
            }
        }
        most
    });
    let producer = thread::spawn(move || (0..values).for_each(|v| in_tx.send(v).unwrap()));
    let received = out_rx.iter().collect();
    producer.join().unwrap();
    (received, buffer.join().unwrap())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bounded_buffer [VALUES] [PLACES]";
    let values = args.next().map_or(20, |a| a.parse().expect(usage));
    let places = args.next().map_or(4, |a| a.parse().expect(usage));
    let (received, most) = run(values, places);
    println!("received {received:?}");
    println!("the buffer held at most {most} of {places} places");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_buffer_keeps_order_and_its_bound() {
        let (received, most) = super::run(500, 3);
        assert_eq!(received, (0..500).collect::<Vec<_>>());
        assert!((1..=3).contains(&most), "held {most}");
    }
}
