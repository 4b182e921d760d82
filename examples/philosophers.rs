//! The dining philosophers (CSP 5.3, after Dijkstra), with Hoare's footman: five
//! philosophers, five forks, each a process; a philosopher needs both neighbouring
//! forks to eat. The footman seats at most four at a time, so they cannot all hold a
//! left fork and wait for a right one: no deadlock.
//!
//! ```sh
//! cargo run --release --example philosophers -- 1000    # meals per philosopher
//! ```

use std::thread;

const PHILOSOPHERS: usize = 5;

/// A fork: picked up by the left or the right philosopher (a select over both), then
/// put down by the same one.
struct Fork {
    pick: [csp_channel::Sender<()>; 2],
    put: [csp_channel::Sender<()>; 2],
}

fn fork() -> (Fork, thread::JoinHandle<()>) {
    let channels: Vec<_> = (0..4).map(|_| csp_channel::bounded::<()>(0)).collect();
    let [pick_l, pick_r, put_l, put_r] = [0, 1, 2, 3].map(|i| channels[i].1.clone());
    let handle = thread::spawn(move || {
        // Serves both neighbours until both have left the table (a guard drops the
        // side that is gone).
        let (mut left_open, mut right_open) = (true, true);
        while left_open || right_open {
            // ALT: whichever neighbour comes first takes it; only they put it down.
            let put = csp_channel::select! {
                recv(pick_l) -> r if left_open => match r {
                    Ok(()) => Some(&put_l),
                    Err(_) => { left_open = false; None }
                },
                recv(pick_r) -> r if right_open => match r {
                    Ok(()) => Some(&put_r),
                    Err(_) => { right_open = false; None }
                },
            };
            if let Some(put) = put {
                put.recv()
                    .expect("a philosopher puts down the fork it picked up");
            }
        }
    });
    let fork = Fork {
        pick: [channels[0].0.clone(), channels[1].0.clone()],
        put: [channels[2].0.clone(), channels[3].0.clone()],
    };
    (fork, handle)
}

/// Runs the college until each philosopher has eaten `meals` times; returns the
/// meals each ate and the most that were ever seated at once.
fn dine(meals: usize) -> (Vec<usize>, usize) {
    let (sit_tx, sit_rx) = csp_channel::bounded::<()>(0);
    let (rise_tx, rise_rx) = csp_channel::bounded::<()>(0);
    // The footman: `seated < 4 & sit ? ()` or `rise ? ()`.
    let footman = thread::spawn(move || {
        let (mut seated, mut most, mut open) = (0, 0, true);
        while open || seated > 0 {
            csp_channel::select! {
                recv(sit_rx) -> r if open && seated < PHILOSOPHERS - 1 => match r {
                    Ok(()) => { seated += 1; most = usize::max(most, seated); }
                    Err(_) => open = false,
                },
                recv(rise_rx) -> r => if r.is_ok() { seated -= 1 },
            }
        }
        most
    });
    let (forks, fork_threads): (Vec<Fork>, Vec<_>) = (0..PHILOSOPHERS).map(|_| fork()).unzip();
    let philosophers: Vec<_> = (0..PHILOSOPHERS)
        .map(|i| {
            // Philosopher i is the right neighbour of fork i, the left of fork i + 1.
            let left = (&forks[i].pick[1], &forks[i].put[1]);
            let right = (
                &forks[(i + 1) % PHILOSOPHERS].pick[0],
                &forks[(i + 1) % PHILOSOPHERS].put[0],
            );
            let (left, right) = (
                (left.0.clone(), left.1.clone()),
                (right.0.clone(), right.1.clone()),
            );
            let (sit, rise) = (sit_tx.clone(), rise_tx.clone());
            thread::spawn(move || {
                let mut eaten = 0;
                for _ in 0..meals {
                    sit.send(()).unwrap();
                    left.0.send(()).unwrap();
                    right.0.send(()).unwrap();
                    eaten += 1; // eat
                    left.1.send(()).unwrap();
                    right.1.send(()).unwrap();
                    rise.send(()).unwrap();
                }
                eaten
            })
        })
        .collect();
    drop((sit_tx, rise_tx, forks));
    let eaten = philosophers
        .into_iter()
        .map(|p| p.join().unwrap())
        .collect();
    let most = footman.join().unwrap();
    fork_threads.into_iter().for_each(|f| f.join().unwrap());
    (eaten, most)
}

fn main() {
    let meals = std::env::args()
        .nth(1)
        .map_or(1_000, |a| a.parse().expect("usage: philosophers [MEALS]"));
    let (eaten, most) = dine(meals);
    for (i, n) in eaten.iter().enumerate() {
        println!("philosopher {i} ate {n} meals");
    }
    println!("at most {most} seated at once");
}

#[cfg(test)]
mod tests {
    #[test]
    fn everyone_eats_and_the_footman_keeps_a_seat_free() {
        let (eaten, most) = super::dine(200);
        assert_eq!(eaten, [200; 5]);
        assert!((1..=4).contains(&most), "{most} seated");
    }
}
