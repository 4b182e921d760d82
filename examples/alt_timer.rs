//! occam's PRI ALT with a timer guard, and a fair server.
//!
//! 1. A watchdog: a PRI ALT over an alarm input, a data input and a timer. Alarms
//!    win over data when both are ready; when no input arrives within the timeout,
//!    the timer guard fires (`tim ? AFTER deadline`) and the watchdog barks.
//! 2. A server with several clients that all keep it busy: a fair select (JCSP's
//!    `fairSelect`: the client served last drops to lowest priority) serves them in
//!    turn, where a PRI ALT would let the first client starve the others.
//!
//! ```sh
//! cargo run --release --example alt_timer
//! ```

use std::thread;
use std::time::Duration;

/// What the watchdog saw.
#[derive(Debug, Default, PartialEq)]
struct Watch {
    alarms: usize,
    data: usize,
    barks: usize,
}

/// Runs the watchdog until its inputs close: `bursts` bursts of data and alarms, each
/// followed by a silence longer than `timeout`.
fn watchdog(bursts: usize, timeout: Duration) -> Watch {
    let (alarm_tx, alarm) = csp_channel::bounded::<()>(1);
    let (data_tx, data) = csp_channel::bounded::<u32>(1);
    thread::spawn(move || {
        for _ in 0..bursts {
            for i in 0..10 {
                data_tx.send(i).unwrap();
                if i % 5 == 0 {
                    alarm_tx.send(()).unwrap();
                }
            }
            thread::sleep(timeout * 3); // silence: the watchdog must bark
        }
    });
    let mut watch = Watch::default();
    let (mut alarm_open, mut data_open) = (true, true);
    while alarm_open || data_open {
        csp_channel::select_biased! {
            recv(alarm) -> a if alarm_open => match a {
                Ok(()) => watch.alarms += 1,
                Err(_) => alarm_open = false,
            },
            recv(data) -> d if data_open => match d {
                Ok(_) => watch.data += 1,
                Err(_) => data_open = false,
            },
            recv(csp_channel::after(timeout)) -> _ => watch.barks += 1,
        }
    }
    watch
}

/// Serves `requests` requests from `clients` clients that never let up: each has
/// queued a backlog as large as the whole run in its own buffered channel, so every
/// client is ready at every select whatever the OS scheduler does. Returns how many
/// each got served, by a fair select or, if not `fair`, by a PRI ALT.
fn server(clients: usize, requests: usize, fair: bool) -> Vec<usize> {
    let channels: Vec<_> = (0..clients)
        .map(|_| csp_channel::bounded::<usize>(requests))
        .collect();
    for (id, (tx, _)) in channels.iter().enumerate() {
        let tx = tx.clone();
        thread::spawn(move || while tx.send(id).is_ok() {});
    }
    let receivers: Vec<_> = channels.into_iter().map(|(_, rx)| rx).collect();
    // Let every client queue its backlog first.
    while receivers.iter().any(|rx| !rx.is_full()) {
        thread::yield_now();
    }
    let mut sel = if fair {
        csp_channel::Select::new_fair()
    } else {
        csp_channel::Select::new_biased()
    };
    for rx in &receivers {
        sel.recv(rx);
    }
    let mut served = vec![0; clients];
    for _ in 0..requests {
        let oper = sel.select();
        let index = oper.index();
        served[oper.recv(&receivers[index]).unwrap()] += 1;
    }
    served
}

fn main() {
    let watch = watchdog(3, Duration::from_millis(50));
    println!(
        "watchdog: {} alarms, {} data, barked {} times",
        watch.alarms, watch.data, watch.barks
    );
    println!("PRI ALT server: served {:?}", server(4, 10_000, false));
    println!("fair server:    served {:?}", server(4, 10_000, true));
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn the_watchdog_takes_every_input_and_barks_in_each_silence() {
        let watch = super::watchdog(2, Duration::from_millis(20));
        assert_eq!((watch.alarms, watch.data), (4, 20));
        assert!(watch.barks >= 2, "{watch:?}");
    }

    #[test]
    fn the_fair_server_starves_nobody_where_pri_alt_would() {
        let served = super::server(4, 4_000, true);
        // Always ready, so strictly in turn.
        assert_eq!(served, [1_000; 4]);
        let served = super::server(4, 4_000, false);
        assert!(
            served[0] > 3_000,
            "the first client is ready whenever asked: {served:?}"
        );
    }
}
