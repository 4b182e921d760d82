//! CPU-bound processes beside the measurements (`csp-compare --load N`, and the
//! `placement` example): copies of the running program that only count.

use std::process::{Child, Command};
use std::time::Duration;

/// The argument that makes a program a busy process. A program that starts [`Busy`]
/// calls [`serve_if_busy`] first thing in `main`.
const BUSY_LOOP: &str = "--busy-loop";

/// CPU-bound processes that run while this lives. They stay in this program's
/// session: on a desktop Linux (sessions are "autogroups") other programs' load is
/// shared out between sessions first and would touch the measured threads less, but a
/// CI runner, a server without autogroups, or a build started from the same terminal
/// puts every thread in one group, where a waiting thread competes with the load
/// directly. That is the harder case, and the one where waiting strategies part ways
/// (measured: a 4x4 rendezvous 25x slower yielding than parking).
pub struct Busy(Vec<Child>);

impl Busy {
    /// Starts `processes` of them, pinned to `cpus` (as taskset takes the list) if
    /// given. Exits the program with a message if one cannot start.
    pub fn start(processes: usize, cpus: Option<&str>) -> Self {
        let exe = std::env::current_exe().expect("the path of this program");
        let children = (0..processes)
            .map(|_| {
                let mut command = match cpus {
                    Some(list) => {
                        let mut taskset = Command::new("taskset");
                        taskset.args(["-c", list]).arg(&exe);
                        taskset
                    }
                    None => Command::new(&exe),
                };
                command.arg(BUSY_LOOP).spawn().unwrap_or_else(|err| {
                    eprintln!("could not start a CPU-bound process ({err})");
                    std::process::exit(1)
                })
            })
            .collect();
        // Let them get going before the first measurement.
        std::thread::sleep(Duration::from_millis(100));
        Busy(children)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// If this process was started as one of [`Busy`]'s, counts until killed, or until
/// its parent is gone (a program stopped by Ctrl-C runs no destructor); otherwise
/// returns at once.
pub fn serve_if_busy() {
    if std::env::args().nth(1).as_deref() != Some(BUSY_LOOP) {
        return;
    }
    let parent = std::os::unix::process::parent_id();
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
        if n % (1 << 24) == 0 && std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
    }
}
