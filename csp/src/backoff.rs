//! How a party waits before it sleeps: spin briefly, then yield, then park.
//!
//! Spinning pays only when the counterpart can run at the same time on another CPU.
//! With one CPU (or `taskset -c 0`) every spin delays the very thread it waits for, so
//! the spin phase is skipped and the party yields at once: a yield hands the CPU to
//! the counterpart, which is what a rendezvous on one core wants (crossbeam #1031
//! measured a 13x slowdown from spinning there).
//!
//! The constants were tuned on the 2-core development machine with the rendezvous
//! ping-pong scenario (`csp-compare`, threads/ping_pong): checking often (every two
//! pause hints) answers a counterpart on the other core in a few hundred nanoseconds,
//! where exponential spinning (crossbeam's `Backoff`) overshoots; the number of
//! yields made no measurable difference on one core.
//!
//! # A busy machine
//!
//! Yielding pays only when the thread that gets the CPU is the counterpart. When other
//! programs want the CPUs too, a yield hands the CPU to one of them, for a whole time
//! slice (milliseconds under Linux's CFS), and a yielding thread, never asleep, is not
//! put back on the CPU early the way a woken one is: a rendezvous ping-pong beside two
//! busy processes on 2 CPUs took 1.4 ms a round trip yielding, 30x crossbeam's. So
//! each yield is timed (`sync::yield_timed`): one that took far longer than a
//! switch means the CPU is contested, and the wait parks at once. The thread then
//! skips yielding for a window of checks that doubles (up to a limit) each time the
//! CPU is found contested in a row, and runs out by itself; a yield that comes back
//! at once (nobody else wanted the CPU), or a slow one that was the program's own
//! doing ("Whose thread ran"), starts the doubling over. A yield that ran another
//! thread and came back soon says nothing of other programs, and leaves the doubling
//! as it was: on one CPU beside one busy process, where a yield goes to the
//! counterpart one time and to the busy process the next, letting such yields start
//! it over kept the window short, and each window's end lost a time slice (a
//! rendezvous ping-pong, `--cpus 0 --load 1`, four alternating pairs: 34-35 µs a
//! round trip, 5.9-6.6x the fastest peer, against 11.6-19.8 µs, 2.2-3.1x, with the
//! doubling kept; the same beside two busy processes on 2 CPUs and idle, within
//! noise). A run of such yields with no slow one among them does say something:
//! `contested::CALM_AFTER` in a row start the doubling over. Without that, two
//! threads that the scheduler had put on one CPU of two (as it does beside busy
//! processes that hold the other, and at times on an idle machine) never started it
//! over, since there every yield goes to the counterpart and comes back soon: the
//! rare slow yield (one in 4,000 to 12,000 there, whatever its cause) widened a
//! window that never shrank, until 10-30% of the waits parked, and each paid a
//! wake-up (one-to-one over `bounded(0)`, both threads pinned to one CPU as
//! `compare/examples/placement.rs --pin-threads 0` does, scratch harness, 100k
//! messages: 10-31k parks and 4.9-7.4 µs a message, against 0.5-1.7k parks and
//! 3.5-4.0 µs with the reset; kanal 1.9-2.8 µs). On a busy machine almost every wait
//! parks, as crossbeam's, flume's and std's do; on an idle one nothing changes. This
//! only chooses between yielding and parking, both correct ways to wait: no model
//! checks it (under the checkers it is off), the busy-machine benchmarks do.
//!
//! # Whose thread ran
//!
//! A slow yield may be the program's own doing. With more of its threads runnable
//! than CPUs (four senders and a receiver on two), a sender's yield lets the
//! receiver run out its time slice on that CPU, and a window of parks that followed
//! made the receiver, the bottleneck, pay a wake-up for each: idle, 4x1 over
//! `bounded(0)` ran at 1.4-1.7x kanal, 4x1 over `bounded(1024)` at 1.6-1.8x
//! crossfire. The time a yield takes cannot tell the two apart; the CPU time the
//! whole process used meanwhile can (`sync::process_cpu_nanos`, one system call, made
//! only after a slow yield). A slow yield counts as contested unless, since the
//! thread last looked (its previous slow yield, or its first yield), the program
//! kept every CPU it may use busy but for a quarter of one: then the CPU this yield
//! gave away most likely went to one of its own threads, which did the program's
//! work. Idle 4x1 over `bounded(0)` (scratch harness) had about two thirds of its
//! slow yields at 1.75 CPUs' worth or more, two CPUs' worth being all there is; beside
//! two busy processes, one-to-one and 4x1 had none over one CPU's worth, and 4x4
//! (eight threads against two) one in sixteen over 1.5. Measured, compare, three
//! alternating pairs each (csp / fastest Rust peer): idle, 4x1 over `bounded(0)` from
//! 1.40-1.72x kanal to 0.80-1.14x, over `bounded(1024)` from 1.56-1.84x crossfire to
//! 0.93-0.97x, the select fan-in over sixteen channels from 0.72-0.92x crossbeam to
//! 0.34-0.37x, 4x4 over `bounded(0)` from 0.82-0.85x kanal to 0.67-0.78x; beside two
//! busy processes every row stayed within its (wide, bimodal) spread; pinned to one
//! CPU nothing changed. Watching the channel instead (a yield over which others on
//! the waiter's side of the channel moved values was not contested) lost the busy
//! machine: their values moved on the other CPU, and 4x4 over `bounded(0)` went from
//! 0.43-0.50x flume to 5-13x. Where there is no process CPU clock (other than
//! x86-64 Linux), a slow yield counts as contested, as before.
//!
//! # A shared CPU
//!
//! A process that may run on two CPUs may still find its counterpart on its own: the
//! scheduler put both there, most often because other programs keep the other CPU
//! busy. Then, as on one CPU, spinning only delays the counterpart, and a ring wait
//! pays its whole spin phase (a few microseconds) for nothing before the yield that
//! lets the counterpart run: beside two busy processes that held the other CPU,
//! one-to-one over `bounded(1)` took 4.8 µs a message against kanal's 0.7, with as
//! many yields as kanal. So each thread keeps a spin hint ([`hint`]) for its ring
//! waits: a wait whose spin ran out and that a quick yield then ended is a *miss*,
//! the signature of a counterpart on this CPU. After a few misses in a row the
//! thread's ring waits skip the spin phase and yield at once, as on one CPU; one wait
//! in a window spins all the same (a probe), and the window doubles, up to a limit,
//! each time the probe misses too. A wait whose spin pays puts spinning back. A wait
//! that sleeps says nothing: its counterpart was elsewhere or the CPU contested, and
//! a counterpart on another CPU is what spinning is for. Measured with the load held
//! on the other CPU (`taskset -c 1` on both busy processes; scratch harness, three
//! runs each): `bounded(1)` one-to-one from 4.9-5.9 µs a message to 0.57-0.83 (kanal
//! 0.48-0.70), the `bounded(1)` ping-pong from 13.4-16.7 µs a round trip to 1.6-2.6
//! (kanal 1.4-1.8). Rendezvous and select waits keep their spin: they gained nothing
//! there once their one early yield (which already lets a counterpart on this CPU
//! run) was not counted as a miss, and counting it stopped spinning for counterparts
//! that were on the other CPU after all (a loaded rendezvous ping-pong from 2.7 µs a
//! round trip to 12-21); with the hint, the idle rendezvous ping-pong and fan-in rows
//! also came out 20-40% slower in two of two alternating pairs of runs. Like the
//! busy-machine hint, it only chooses how to wait. Rendezvous and select waits learn
//! of a counterpart on this CPU another way (next section).
//!
//! # A counterpart on this CPU
//!
//! A party's wait spins [`YIELD_AT`] checks before its one early yield, and then the
//! rest of its spin phase, none of which a counterpart on this same CPU can answer:
//! two threads that the scheduler put on one CPU of two (beside busy processes that
//! hold the other, as `compare/examples/placement.rs` shows) spent that spin on both
//! sides of every hand-off. It cannot infer where its counterpart ran from how its
//! wait ended, as a ring wait does (above), but it can be told: a counterpart that
//! completes a party stamps the `DONE` it writes with its CPU
//! (`Party::try_complete`, and `Party::finish` after a select's claim or a ring's
//! hand-off; [`crate::sync::cpu_stamp`], one `rdpid` instruction, about
//! 1 ns), and the owner compares the stamp with its own CPU ([`near`]). After a
//! match, the thread's party waits skip their spin phase and yield from their first
//! check, as on one CPU, but for one in `near::PROBE_EVERY`, which spins as before: a
//! wait that yields at once lets the counterpart here answer, and only one that spins
//! finds out whether another, on another CPU, would answer sooner (a select's
//! senders, say). A completion from another CPU puts the spin back. One-to-one over
//! `bounded(0)`, both threads on CPU 0 and two busy processes on CPU 1
//! (`placement.rs --busy 2 --busy-cpus 1 --pin-threads 0`, three alternating runs):
//! 3.5-4.2 µs a message before, 1.37-1.96x kanal; 2.2-3.2 µs after, 1.07-1.18x kanal.
//! Beside two busy processes left to the scheduler (compare, three alternating
//! pairs), 1x1 over `bounded(0)` went from 1.34-1.57x the fastest peer to
//! 0.92-1.25x, the rendezvous ping-pong from 7.1-25 µs a round trip to 1.3-7.3.
//! Idle, where threads run apart, a match is rare (0-0.9% of the waits of a
//! one-to-one rendezvous; about 1% of the messages of the select fan-in over four
//! channels, scratch counters), and the idle and pinned rows stayed within their
//! spread. Where no CPU can be read (other targets, CPUs without `rdpid`, the
//! checkers) the stamp is 0 and waits spin as before.
//!
//! Those figures are for the first version, in which a match only moved the early
//! yield to the first check, the rest of the spin phase still ran, and a claim's
//! finish left no stamp. A fan-in's senders were then never told: the select that
//! takes their values claims them first. Beside two busy processes the receiver
//! shared its CPU with some of its senders in most runs (scratch harness, each
//! thread's CPU sampled), and a sender there spent a few microseconds of that CPU
//! spinning before each wait's yields. The select fan-in over four `bounded(0)`
//! channels (scratch harness, 8,000 messages a run, 40 runs of each, interleaved),
//! median time a message: 13.9 µs before, 10.3 with the spin skipped, 8.6 with the
//! spin skipped and the claim's stamp (crossbeam 10.4-17.4 in such sets; the stamp
//! alone, in another set: 14.4 against 15.5 before). Compare, beside two busy
//! processes, three alternating pairs of runs: the fan-in over four channels from
//! 0.80-1.67x crossbeam to 0.42-0.46x, over sixteen from 0.81-1.02x to 0.58-0.79x,
//! 4x1 over `bounded(0)` from 0.76-2.02x the fastest peer to 0.17-0.86x; the idle and
//! pinned rows within their spread. The forced placement above: 1.11-1.16x kanal
//! before, 1.02-1.08x after (the last of each invocation's three runs, three
//! alternating invocations).
//!
//! Only a party completed while awake was stamped then, and a woken one learned
//! nothing. Beside busy processes almost every wait parks (above, "A busy machine"),
//! so a thread whose counterpart had come to its CPU went on as if it had not, and
//! one wait in `near::PROBE_EVERY` spun its whole phase on the CPU the counterpart
//! needed. That is the placement `placement.rs --busy 2` finds in some runs: both
//! threads of a one-to-one rendezvous on one CPU, beside one of the busy processes,
//! where csp took 11-15 µs a message against crossbeam's 9-12 (with the threads
//! apart, 1-3 µs against 40-48). Now a sleeping party is stamped too, and the woken
//! owner reads the stamp as an awake one does; and while the CPU is found contested
//! a wait whose counterpart is here makes no probe. It parks at once (no yield in a
//! window), any counterpart, here or on another CPU, may complete it meanwhile, and
//! the stamp then says which: the probe's spin only kept the CPU from the
//! counterpart. That placement forced (both threads pinned to CPU 0, one busy
//! process there and one on CPU 1; scratch harness, 20,000 messages, ten alternating
//! rounds, medians): 12.5 µs a message before, 10.8 after, crossbeam 9.4; another
//! eight rounds, 12.1, 10.4 and 10.0. The stamp alone changed nothing there (eight
//! rounds: 12.2 against 11.6): the probes' spins were the cost. The threads pinned
//! apart, each beside a busy process: 1.49 and 1.48 µs, crossbeam 58. The select
//! fan-in over four `bounded(0)` channels beside two busy processes left to the
//! scheduler (ten alternating rounds): 5.6 µs a message before, 4.4 after,
//! crossbeam 8.5; idle (twelve rounds), 530 and 539 ns.
//!
//! A ring wait is told the same way, and in the same window skips its spin for a
//! counterpart here ([`Backoff::for_ring`]). Its own hint (above, "A shared CPU")
//! learns only from a quick yield after a spin that ran out, and a busy machine's
//! waits make no yields: there a ring wait spun its whole phase before each park,
//! on the CPU its counterpart needed. A ring's hand-off left no stamp until then
//! (its waiter had nothing to read it for); stamping costs 11 instructions a
//! hand-off pinned to one CPU, where the stamp is always 0 (callgrind, `bounded(1)`
//! ping-pong: 985 instructions a round trip to 1007, about 3 ns of 2.7 µs). The
//! placement above (eight alternating rounds, medians): one-to-one over `bounded(1)`
//! from 19.6 µs a message to 9.1 (kanal 470, crossbeam 1,400), over `bounded(1024)`
//! from 99.5 ns to 96.3 (kanal and crossbeam about 1,420); threads apart, 417 and
//! 432 ns, 29.6 and 26.9; idle on 2 CPUs, 98.1 and 96.8 ns (`bounded(1)`).
//! What remains there is the scheduler's: csp's pair makes as many `futex` calls as
//! crossbeam's, one park and one wake a message, but a woken thread preempts its
//! waker about once every two messages (`/usr/bin/time -v`: 10-14k involuntary
//! switches in 20,000 messages, crossbeam's about 100). The woken receiver then runs
//! before its sender has queued the next value, finds none and parks again: two
//! switches for that message, where crossbeam's pair makes one a message
//! (`perf record -e sched:sched_switch`: runs of that pattern between runs of the
//! other, in csp's trace only).
//!
//! # A wake-up that costs more than the wait
//!
//! Parking pays when the counterpart will be long; on a virtual machine a wake-up can
//! cost far more than the few microseconds a wait spins and yields. On a Firecracker
//! guest with 2 vCPUs (Intel Xeon), a thread woken on a vCPU that had been idle for
//! half a millisecond ran again 25-45 µs later (median; 2-3 µs when it had been idle
//! for 5-50 µs). Once both sides of a rendezvous ping-pong had parked, each hand-off
//! then woke a sleeper, whose answer came after the waiting side's spin and yields
//! had run out, so that side parked in turn: the ping-pong settled at 1.5-3.7 µs a
//! round trip, some calibration runs at 13, against kanal's 1.0, which yields without
//! end. So a yield that comes back at once (within about 1 µs: no other thread
//! wanted this CPU, so it cost no one anything) does not count against the yield
//! phase, for up to [`QUICK_YIELDS`] more (about 10 µs there): the wait outlasts the
//! counterpart's wake-up and catches its answer without parking. A yield that ran
//! another thread counts as before, and one that found the CPU contested still ends
//! the wait, so a busy machine still parks. On one CPU a quick yield means the
//! counterpart cannot run either, and no more are made. Measured on that guest, idle,
//! six alternating runs each (compare, csp / fastest Rust peer): ping-pong over
//! `bounded(0)` from 1.78-3.37x kanal to 0.71-1.00x, one-to-one over `bounded(0)` from
//! 1.49-2.80x to 0.85-1.16x (one run 3.86x, a run in which every row moved), over
//! `bounded(1)` from 0.49-1.59x to 0.37-0.46x (1.72x crossbeam in that same run, at
//! csp's usual 208 ns); 4x4 rendezvous and fan-in unchanged.
//! Spinning 8x longer instead gained as much idle, but beside two busy processes made
//! the select fan-in 3-9x crossbeam's (against 0.7-2.9x), so it is yields, which give
//! the CPU away. Beside two busy processes the rows stayed within their (wide,
//! bimodal) spread. Under the checkers no yield is quick, and the models are as before.

use crate::sync::{Yielded, parallelism, spin_loop, yield_clock_lapses, yield_timed};

/// Checks of the awaited condition while spinning, before yielding starts: a few
/// microseconds in all, the time a busy counterpart on another core needs to answer.
const SPIN_CHECKS: u32 = 160;

/// Pause hints between two checks while spinning for a party's completion: one
/// counterpart will answer, and the sooner we see it the shorter the round trip.
const PAUSES_PER_CHECK: u32 = 2;

/// The most pause hints between two checks of a full or empty buffer. Checking less
/// often lets the other side move several values at once, so the buffer's cache lines
/// change hands once per batch rather than once per value (measured: one-to-one
/// throughput over `bounded(1024)` from ~0.95x to ~0.6x crossbeam's). A smaller ring
/// holds a smaller batch, and at capacity 1 there is none: a hand-off there waits for
/// every check's pauses, so a ring of capacity `cap` pauses `cap` hints, up to this
/// (`bounded(1)` throughput: about 250 ns a message at 8, 80 at 2, 55 at 1). The spin
/// phase lasts as long either way.
const RING_PAUSES_PER_CHECK: u32 = 8;

/// While spinning for a party, the check at which we yield once instead of pausing,
/// so that a counterpart that happens to share our CPU is not kept waiting for the
/// whole spin phase. Measured on the 2-core machine: a cold two-thread ping-pong
/// (threads just spawned, often on one CPU) from ~7 us to ~0.3 us a round trip; the
/// warm ping-pong unchanged. Yielding periodically instead cost 4x4 rendezvous
/// throughput 3x, and ring polling 1.5x, so it is one yield, and none for rings.
/// A party's wait whose thread's last counterpart ran on its own CPU skips the spin
/// phase and yields from its first check instead ([`Backoff::for_party`]).
const YIELD_AT: u32 = 16;

/// Yields before parking. A yield costs a syscall and lets a counterpart on the same
/// CPU run; a few catch a counterpart that answers quickly, without parking.
const YIELDS: u32 = 4;

/// More yields a wait may make before parking, on more than one CPU, while every
/// yield comes back at once (module docs, "A wake-up that costs more than the
/// wait").
const QUICK_YIELDS: u32 = 36;

/// The longest pause, as a power of two, when retrying a lost compare-and-swap.
const MAX_CAS_SPIN_SHIFT: u32 = 6;

/// One wait's progress through the spin, yield and park phases.
///
/// Creating one reads the cached CPU count once (a load and a compare), so that each
/// step after it is a compare and a pause or a yield: on one CPU a rendezvous waits
/// through exactly one yield a round trip, and this is most of what it runs besides.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: u32,
    pauses_per_check: u32,
    /// The spin check that yields instead (`u32::MAX`: none).
    yield_at: u32,
    /// How many checks spin before yielding starts: none on one CPU.
    spin_checks: u32,
    /// Whether this wait reports to the spin hint ([`hint`]) how its spin went.
    hinted: bool,
    /// Yields left beyond [`YIELDS`] while yields come back at once.
    quick_yields: u32,
}

impl Backoff {
    /// A fresh backoff; it spins only if this process can run on more than one CPU.
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            step: 0,
            pauses_per_check: PAUSES_PER_CHECK,
            yield_at: YIELD_AT,
            spin_checks: if parallelism() > 1 { SPIN_CHECKS } else { 0 },
            hinted: false,
            quick_yields: QUICK_YIELDS,
        }
    }

    /// A fresh backoff for a party's wait ([`Party::wait`](crate::party::Party::wait)):
    /// as [`new`](Backoff::new), but past its spin phase, yielding from its first
    /// check, when the thread's last counterpart ran on its own CPU (module docs, "A
    /// counterpart on this CPU"). Only a party's wait is told where its counterpart
    /// ran; the lock's and a ring slot's short waits keep their spin.
    #[inline]
    pub(crate) fn for_party() -> Self {
        let mut backoff = Self::new();
        if near::yield_first() {
            // Past the spin phase, as on one CPU: a counterpart here answers only once
            // this thread gives up the CPU, and if it has not when the yield comes
            // back (it served another first, say), spinning would not help either.
            backoff.step = backoff.spin_checks;
        }
        backoff
    }

    /// Asks the spin hint whether this wait spins, and has it report back.
    #[inline]
    fn hint(&mut self) {
        if self.spin_checks > 0 {
            self.hinted = true;
            if !hint::spin_pays() {
                self.spin_checks = 0;
            }
        }
    }

    /// A backoff already over: the first check that asks parks.
    #[inline]
    pub(crate) fn completed() -> Self {
        let mut backoff = Self::new();
        backoff.step = backoff.spin_checks + YIELDS;
        backoff
    }

    /// A backoff for polling a full or empty buffer that holds up to `batch` values
    /// (`usize::MAX` for no limit): checks less often the more the other side can move
    /// meanwhile, up to [`RING_PAUSES_PER_CHECK`], and spins as long in all.
    #[inline]
    pub(crate) fn for_ring(batch: usize) -> Self {
        let pauses_per_check = batch.clamp(1, RING_PAUSES_PER_CHECK as usize) as u32;
        let mut backoff = Self {
            step: 0,
            pauses_per_check,
            yield_at: u32::MAX,
            // No spin for a counterpart on this CPU while the CPU is contested (module
            // docs, "A counterpart on this CPU"): the wait parks at once.
            spin_checks: if parallelism() > 1 && !near::here_while_contested() {
                SPIN_CHECKS * PAUSES_PER_CHECK / pauses_per_check
            } else {
                0
            },
            hinted: false,
            quick_yields: QUICK_YIELDS,
        };
        backoff.hint();
        backoff
    }

    /// The awaited condition came true. If it came while this wait spun, spinning
    /// paid; if it came after a quick yield that followed a spin that ran out, the
    /// yield did what the spin could not: the counterpart shares this CPU ([`hint`]).
    ///
    /// The check inline, the report not: a rendezvous wait (which reports nothing)
    /// ends here right after its switch, and called a function to learn that.
    #[inline(always)]
    pub(crate) fn succeeded(&self) {
        if self.hinted {
            self.report_success();
        }
    }

    /// [`succeeded`](Backoff::succeeded), for a wait that reports to the hint.
    #[inline(never)]
    fn report_success(&self) {
        // A yield that came back at once found the counterpart elsewhere: only a wait
        // whose every yield went to another thread tells of one on this CPU.
        if self.step > self.spin_checks
            && self.step < self.spin_checks + YIELDS
            && self.quick_yields == QUICK_YIELDS
        {
            hint::yield_paid();
        } else if self.step > 0 && self.step <= self.spin_checks {
            hint::paid();
        }
    }

    /// A counterpart completed this wait, on the CPU `stamp` says (`sync::cpu_stamp`:
    /// 0 when not known): whether it shares this thread's CPU decides when this
    /// thread's next party wait yields ([`near`]). Not on one CPU, where no wait
    /// spins: there every stamp is 0. Whatever this wait's own spin phase was (a ring
    /// wait's spin hint may have dropped it), the stamp says where the counterpart ran.
    #[inline(always)]
    pub(crate) fn completed_on(&self, stamp: usize) {
        if stamp != 0 {
            near::completed_on(stamp);
        }
    }

    /// The spin phase ran out with the condition still false ([`hint`]).
    #[inline]
    pub(crate) fn spun_out(&self) {
        if self.hinted && self.spin_checks > 0 {
            hint::spun_out();
        }
    }

    /// The wait is going to sleep: whatever its spin did, a yield did not end it
    /// ([`hint`]).
    #[inline]
    pub(crate) fn sleeping(&self) {
        // The next yield is timed from its own start: this sleep would make the time
        // since the last one look slow (`sync::yield_timed`).
        yield_clock_lapses();
        if self.hinted {
            hint::slept();
        }
    }

    /// This backoff past its spin phase: it yields next, then parks. For a party
    /// that registers to sleep only after spinning on the condition it waits for
    /// ([`NotifyList::wait_for`](crate::notify::NotifyList::wait_for)), which goes on
    /// with the backoff of that spin (a fresh one cost each ring wait 5 instructions,
    /// callgrind): spinning again on the party would only double the spin. A ring's
    /// backoff reports to the spin hint how the yields went ([`hint`]), where there is
    /// a hint to report to: not on one CPU, where no wait spins and the report would
    /// only cost the wait's end a call.
    #[inline]
    pub(crate) fn past_spin(mut self) -> Self {
        self.step = self.step.max(self.spin_checks);
        self
    }

    /// Pauses for a short, growing time without yielding: for retrying a lost
    /// compare-and-swap, where the winner is known to be running.
    #[inline]
    pub(crate) fn spin(&mut self) {
        for _ in 0..1u32 << self.step.min(MAX_CAS_SPIN_SHIFT) {
            spin_loop();
        }
        self.step = self.step.saturating_add(1);
    }

    /// Waits a little before the next check: pauses while spinning pays, then yields,
    /// unless the CPU is contested (module docs): then the wait is over, and the
    /// caller parks. Out of line: most callers are slow paths, which need not grow by
    /// its size; a wait's loop calls [`snooze_here`](Backoff::snooze_here).
    #[inline(never)]
    pub(crate) fn snooze(&mut self) {
        self.snooze_here();
    }

    /// [`snooze`](Backoff::snooze), always inlined: for a wait's loop, so that its
    /// yield runs in the caller's frame and the return after the switch is the
    /// caller's own (`crate::sync::yield_now` says why that matters). Left to the
    /// compiler, the party's wait called it: pinned to one CPU, a rendezvous
    /// ping-pong ran 30 instructions a round trip more (callgrind), about 15 ns.
    #[inline(always)]
    pub(crate) fn snooze_here(&mut self) {
        if self.step < self.spin_checks {
            if self.step == self.yield_at && !contested::skipping() {
                // A counterpart on this same CPU (a thread just started, say) cannot
                // answer while we spin: let it run, once, early.
                self.yield_once();
            } else {
                for _ in 0..self.pauses_per_check {
                    spin_loop();
                }
            }
        } else if contested::skipping() {
            // The first yield after the window is timed from its own start
            // (`sync::yield_timed`): it is what finds the CPU still contested.
            yield_clock_lapses();
            self.give_up();
        } else if self.yield_once() == Yielded::Quick && self.quick_yields > 0 && parallelism() > 1
        {
            // Nobody else wanted this CPU: the yield cost no one anything, and does
            // not count against `YIELDS` (module docs).
            self.quick_yields -= 1;
            return;
        }
        self.step = self.step.saturating_add(1);
    }

    /// Yields; if that found the CPU contested, ends the wait (the caller parks).
    #[inline(always)]
    fn yield_once(&mut self) -> Yielded {
        contested::arm();
        let yielded = yield_timed();
        if yielded == Yielded::Contested && !contested::own_doing() {
            contested::found();
            self.give_up();
        } else if yielded == Yielded::Switched {
            // One switch to another thread that gave the CPU back soon says nothing of
            // other programs; a run of them does (module docs).
            contested::switched();
        } else {
            contested::cleared();
        }
        yielded
    }

    /// Moves to the step before the last, so that the step that follows completes.
    #[inline]
    fn give_up(&mut self) {
        self.step = self.step.max(self.spin_checks + YIELDS - 1);
    }

    /// Whether the spin phase is over: the next [`snooze`](Backoff::snooze) yields
    /// (or gives up).
    #[inline]
    pub(crate) fn is_spun(&self) -> bool {
        self.step >= self.spin_checks
    }

    /// Whether the spin and yield phases are over and the caller should park.
    #[inline]
    pub(crate) fn is_completed(&self) -> bool {
        self.step >= self.spin_checks + YIELDS
    }
}

/// A thread's wait state: what [`near`], [`hint`] and [`contested`] keep for it, in
/// one thread-local. Each thread-local has an address of its own to work out, and the
/// compiler works out all of a function's at its start: as nine thread-locals, a ring
/// wait did so for all nine every time (three instructions each, and a spill), though
/// on one CPU it reads four of them. Pinned to one CPU, callgrind: the `bounded(1)`
/// ping-pong from 1,008 instructions a round trip to 964, the rendezvous one from 698
/// to 672 (with the zero flavor's `send` and `recv` always inlined, which the larger
/// code of the closures here had stopped).
#[cfg(not(any(csp_loom, csp_shuttle)))]
struct Waits {
    near: near::Local,
    hint: hint::Local,
    contested: contested::Local,
}

#[cfg(not(any(csp_loom, csp_shuttle)))]
std::thread_local! {
    static WAITS: Waits = const {
        Waits {
            near: near::Local::new(),
            hint: hint::Local::new(),
            contested: contested::Local::new(),
        }
    };
}

/// Whether this thread's last counterpart shared its CPU (module docs, "A
/// counterpart on this CPU").
#[cfg(not(any(csp_loom, csp_shuttle)))]
mod near {
    use crate::sync::cpu_stamp;
    use std::cell::Cell;

    /// While its waits yield at once, every this many spin all the same (a probe): a
    /// wait that yields at once lets the counterpart on this CPU answer, so only one
    /// that spins finds out whether another, elsewhere, would have answered first.
    /// None while the CPU is found contested, where waits park ([`yield_first`]).
    const PROBE_EVERY: u32 = 16;

    /// This module's part of the thread's wait state ([`super::Waits`]).
    pub(super) struct Local {
        /// Whether the counterpart that last completed a wait of this thread ran on
        /// its CPU.
        here: Cell<bool>,
        /// Waits until the next probe.
        probe: Cell<u32>,
    }

    impl Local {
        pub(super) const fn new() -> Self {
            Self {
                here: Cell::new(false),
                probe: Cell::new(PROBE_EVERY),
            }
        }
    }

    /// Runs `f` on this thread's [`Local`].
    #[inline(always)]
    fn local<R>(f: impl FnOnce(&Local) -> R) -> R {
        super::WAITS.with(|waits| f(&waits.near))
    }

    /// Whether this wait skips its spin phase and yields at its first check (module
    /// docs, "A counterpart on this CPU"): the counterpart is here, and this wait is
    /// no probe. While the CPU is found contested, no wait is: there a wait that
    /// skips its spin parks at once, and the stamp of its completion says where the
    /// counterpart ran, here or elsewhere, as a probe's would.
    #[inline(always)]
    pub(super) fn yield_first() -> bool {
        if !local(|l| l.here.get()) {
            return false;
        }
        if super::contested::active() {
            return true;
        }
        let probe = local(|l| l.probe.get()) - 1;
        if probe == 0 {
            local(|l| l.probe.set(PROBE_EVERY));
            return false;
        }
        local(|l| l.probe.set(probe));
        true
    }

    /// A counterpart on the CPU `stamp` says (not 0) completed a wait of this thread.
    #[inline(always)]
    pub(super) fn completed_on(stamp: usize) {
        local(|l| l.here.set(stamp == cpu_stamp()));
    }

    /// Whether the last counterpart shared this thread's CPU while the CPU is found
    /// contested: then a ring wait skips its spin too, and parks at once.
    #[inline]
    pub(super) fn here_while_contested() -> bool {
        local(|l| l.here.get()) && super::contested::active()
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::backoff::Backoff;
        use crate::sync::parallelism;

        /// Runs `check` on a fresh thread (a fresh hint), unless no CPU stamp can be
        /// read here or no wait spins: then there is nothing to check.
        fn with_a_stamp(check: impl FnOnce() + Send + 'static) {
            std::thread::spawn(|| {
                if cpu_stamp() == 0 || parallelism() < 2 {
                    eprintln!("skipped: no CPU stamp here, or no spin to cut short");
                    return;
                }
                check();
            })
            .join()
            .unwrap();
        }

        /// How many of `waits` party waits made now spin (probe, or find no
        /// counterpart here).
        fn spinning(waits: u32) -> usize {
            (0..waits)
                .filter(|_| !Backoff::for_party().is_spun())
                .count()
        }

        /// Which bug this catches: a wait that keeps spinning after its thread was
        /// told its counterpart shares its CPU, or that never probes; one that stops
        /// spinning for a counterpart on another CPU; one that forgets what it knew
        /// when told nothing.
        #[test]
        fn a_wait_yields_at_once_only_after_a_counterpart_on_this_cpu() {
            with_a_stamp(|| {
                assert!(!Backoff::for_party().is_spun(), "a fresh thread spins");
                // The CPU is read before and after: a move between the reads is not
                // this test's failure, so it tries again.
                let stayed = (0..100).any(|_| {
                    let here = cpu_stamp();
                    completed_on(here);
                    cpu_stamp() == here
                });
                assert!(stayed, "the thread moved CPU a hundred times in a row");
                assert!(local(|l| l.here.get()), "a counterpart here");
                assert_eq!(
                    spinning(10 * PROBE_EVERY),
                    10,
                    "yield at once, but one wait in PROBE_EVERY spins"
                );
                assert!(!Backoff::new().is_spun(), "other waits keep their spin");
                Backoff::for_party().completed_on(0);
                assert!(
                    local(|l| l.here.get()),
                    "no stamp: what the thread knew stays"
                );
                // CPU 65,534: on no machine that runs these tests.
                completed_on(0xffff);
                assert!(!Backoff::for_party().is_spun(), "a counterpart elsewhere");
            });
        }

        /// Which bug this catches: a wait that still probes (spins its whole phase),
        /// or a ring wait that spins, for a counterpart on this CPU while the CPU is
        /// found contested, where it parks and learns from its completion's stamp; or
        /// one that stops spinning for good, or for a counterpart elsewhere.
        #[test]
        fn no_wait_probes_while_the_cpu_is_contested() {
            use super::super::contested;
            with_a_stamp(|| {
                contested::found();
                assert!(!Backoff::for_ring(1).is_spun(), "a counterpart elsewhere");
                local(|l| l.here.set(true));
                assert_eq!(
                    spinning(10 * PROBE_EVERY),
                    0,
                    "the window is open: no wait spins"
                );
                assert!(Backoff::for_ring(1).is_spun(), "nor does a ring wait");
                while contested::skipping() {}
                assert_eq!(
                    spinning(10 * PROBE_EVERY),
                    10,
                    "the window has run out: probes again"
                );
                assert!(!Backoff::for_ring(1).is_spun(), "and ring waits spin");
            });
        }
    }
}

/// Under the checkers no CPU is known ([`crate::sync::cpu_stamp`] is 0).
#[cfg(any(csp_loom, csp_shuttle))]
mod near {
    #[inline(always)]
    pub(super) fn yield_first() -> bool {
        false
    }

    #[inline(always)]
    pub(super) fn completed_on(_stamp: usize) {}

    #[inline(always)]
    pub(super) fn here_while_contested() -> bool {
        false
    }
}

/// The spin hint (module docs, "A shared CPU"): per thread, whether spinning has paid
/// lately.
#[cfg(not(any(csp_loom, csp_shuttle)))]
mod hint {
    use super::window::Window;
    use std::cell::Cell;

    /// Misses in a row (module docs) after which waits stop spinning.
    const SKIP_AFTER: u32 = 4;
    /// Waits that skip spinning before the first probe: one wait that spins all the
    /// same, to find out whether spinning pays again. The window doubles (up to
    /// `Window::MAX_DOUBLINGS` times) each time a probe runs out too.
    const FIRST: u32 = 16;

    /// This module's part of the thread's wait state ([`super::Waits`]).
    pub(super) struct Local {
        /// Misses in a row, up to `SKIP_AFTER`.
        misses: Cell<u32>,
        /// Whether this thread's last spin phase ran out, and its wait has not yet
        /// ended or slept.
        spun_out: Cell<bool>,
        /// While skipping: waits left to skip before the next probe.
        skip: Window,
    }

    impl Local {
        pub(super) const fn new() -> Self {
            Self {
                misses: Cell::new(0),
                spun_out: Cell::new(false),
                skip: Window::new(FIRST),
            }
        }
    }

    /// Runs `f` on this thread's [`Local`].
    #[inline(always)]
    fn local<R>(f: impl FnOnce(&Local) -> R) -> R {
        super::WAITS.with(|waits| f(&waits.hint))
    }

    /// Whether this wait spins: it does unless `SKIP_AFTER` misses came in a row;
    /// then it does only as a probe.
    #[inline]
    pub(super) fn spin_pays() -> bool {
        local(|l| l.misses.get()) < SKIP_AFTER || !local(|l| l.skip.skip())
    }

    /// A spin phase ran out; what ends the wait decides what that meant.
    #[inline]
    pub(super) fn spun_out() {
        local(|l| l.spun_out.set(true));
    }

    /// The wait sleeps: its counterpart was not on this CPU for a yield to reach, or
    /// the CPU is contested. Neither says spinning does not pay.
    #[inline]
    pub(super) fn slept() {
        local(|l| l.spun_out.set(false));
    }

    /// A quick yield ended the wait. After a spin that ran out, that is a miss: one
    /// more in a row, or, for a probe, a window twice as long before the next.
    #[inline]
    pub(super) fn yield_paid() {
        if !local(|l| l.spun_out.replace(false)) {
            return;
        }
        let misses = local(|l| l.misses.get());
        if misses < SKIP_AFTER {
            local(|l| l.misses.set(misses + 1));
            local(|l| l.skip.open());
        } else {
            local(|l| l.skip.widen());
        }
    }

    /// A wait's condition came true while it spun: spin again.
    #[inline]
    pub(super) fn paid() {
        local(|l| l.misses.set(0));
        local(|l| l.spun_out.set(false));
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::backoff::Backoff;
        use crate::sync::parallelism;

        /// One miss: a spin ran out, then a quick yield ended the wait.
        fn miss() {
            spun_out();
            yield_paid();
        }

        /// How many of the next `waits` the hint lets spin.
        fn spinning(waits: u32) -> u32 {
            (0..waits).filter(|_| spin_pays()).count() as u32
        }

        /// Runs `check` on a thread of its own, so that it starts from a fresh hint.
        fn fresh(check: impl FnOnce() + Send + 'static) {
            std::thread::spawn(check).join().unwrap();
        }

        #[test]
        fn misses_in_a_row_stop_spinning_until_a_probe_pays() {
            fresh(|| {
                for _ in 1..SKIP_AFTER {
                    miss();
                }
                assert_eq!(spinning(100), 100, "too few misses changed nothing");
                miss();
                assert_eq!(spinning(FIRST), 0, "the waits in the window skip the spin");
                assert!(spin_pays(), "the wait after the window probes");
                miss();
                assert_eq!(
                    spinning(2 * FIRST),
                    0,
                    "a probe that misses doubles the window"
                );
                assert!(spin_pays());
                paid();
                assert_eq!(spinning(100), 100, "a probe that pays puts spinning back");
            });
        }

        #[test]
        fn the_window_stops_doubling_at_its_limit() {
            fresh(|| {
                for _ in 0..SKIP_AFTER {
                    miss();
                }
                for _ in 0..2 * Window::MAX_DOUBLINGS {
                    while !spin_pays() {}
                    miss();
                }
                assert_eq!(spinning(FIRST << Window::MAX_DOUBLINGS), 0);
                assert!(spin_pays());
            });
        }

        #[test]
        fn a_wait_that_slept_or_never_spun_is_no_miss() {
            fresh(|| {
                for _ in 0..4 * SKIP_AFTER {
                    spun_out();
                    slept();
                    yield_paid();
                    yield_paid();
                }
                assert_eq!(spinning(100), 100);
            });
        }

        #[test]
        fn a_ring_wait_skips_its_spin_once_spinning_does_not_pay() {
            fresh(|| {
                let spins = parallelism() > 1;
                assert_eq!(Backoff::for_ring(1).spin_checks > 0, spins);
                for _ in 0..SKIP_AFTER {
                    miss();
                }
                assert_eq!(Backoff::for_ring(1).spin_checks, 0);
                assert_eq!(Backoff::for_ring(usize::MAX).spin_checks, 0);
                // Every other wait keeps its spin (module docs).
                assert_eq!(Backoff::new().spin_checks > 0, spins);
            });
        }
    }
}

/// Under a checker spinning is as the CPU count says, and no hint is kept.
#[cfg(any(csp_loom, csp_shuttle))]
mod hint {
    #[inline(always)]
    pub(super) fn spin_pays() -> bool {
        true
    }

    #[inline(always)]
    pub(super) fn spun_out() {}

    #[inline(always)]
    pub(super) fn slept() {}

    #[inline(always)]
    pub(super) fn yield_paid() {}

    #[inline(always)]
    pub(super) fn paid() {}
}

/// The busy-machine hint (module docs): per thread, how many more waits skip yielding.
#[cfg(not(any(csp_loom, csp_shuttle)))]
mod contested {
    use super::window::Window;
    use crate::sync::{parallelism, process_cpu_nanos};
    use std::cell::Cell;
    use std::time::Instant;

    /// The window, in yield-phase checks skipped: `FIRST << streak` after the CPU was
    /// found contested `streak` times in a row (1 to `Window::MAX_DOUBLINGS`).
    ///
    /// A window parks each wait in it, and the counterpart pays a wake-up for each;
    /// while the program's own slow yields still counted (module docs, "Whose thread
    /// ran"), a first length of 8 made idle 4x1 over `bounded(0)` 0.72-0.79x kanal
    /// against 1.1-1.65x with this one, but beside two busy processes the select
    /// fan-in over four channels 4.9-9.6x crossbeam against 0.6-3.3x (compare, three
    /// alternating pairs). Two other ways to tell the cases apart failed: opening the
    /// window only when another of the last eight yields was slow too (the program's
    /// own slow yields come in runs), and only when the wait was still not done
    /// after the slow yield (a busy machine's are done as often; fan-in 25-30x
    /// crossbeam).
    const FIRST: u32 = 64;

    /// Yields in a row that went to another thread and came back soon, none slow,
    /// after which the next window starts small again (module docs, "A busy
    /// machine"). Beside one busy process on one CPU every other yield is slow, so
    /// the doubling holds there.
    const CALM_AFTER: u32 = 8;

    /// How much of every CPU's time the program must have used since a thread last
    /// looked for a slow yield of that thread to be its own doing (module docs, "Whose
    /// thread ran"), in quarters: on 2 CPUs, 1.75 CPUs' worth.
    const OWN_SHARE_SHORT_BY: u64 = 1;

    /// This module's part of the thread's wait state ([`super::Waits`]).
    pub(super) struct Local {
        /// The window: yield-phase checks left to skip, the CPU found contested.
        skip: Window,
        /// Whether this thread has read the process's CPU time yet.
        armed: Cell<bool>,
        /// When this thread last read the process's CPU time, and what it read.
        since: Cell<Option<(Instant, u64)>>,
        /// Yields that switched and came back soon since the last slow one, up to
        /// `CALM_AFTER`.
        calm: Cell<u32>,
    }

    impl Local {
        pub(super) const fn new() -> Self {
            Self {
                skip: Window::new(FIRST),
                armed: Cell::new(false),
                since: Cell::new(None),
                calm: Cell::new(0),
            }
        }
    }

    /// Runs `f` on this thread's [`Local`].
    #[inline(always)]
    fn local<R>(f: impl FnOnce(&Local) -> R) -> R {
        super::WAITS.with(|waits| f(&waits.contested))
    }

    /// Before a yield: the thread's first reads the process's CPU time, so that the
    /// first slow one (while the program starts, say) can be judged too.
    #[inline(always)]
    pub(super) fn arm() {
        if !local(|l| l.armed.get()) {
            first_reading();
        }
    }

    #[cold]
    #[inline(never)]
    fn first_reading() {
        local(|l| l.armed.set(true));
        local(|l| l.since.set(reading()));
    }

    fn reading() -> Option<(Instant, u64)> {
        process_cpu_nanos().map(|cpu| (Instant::now(), cpu))
    }

    /// A yield was slow: whether that was the program's own doing, its threads having
    /// kept every CPU it may use busy (all but a quarter of one) since this thread last
    /// looked, so that the CPU most likely went to one of them. Without a process CPU
    /// clock (not x86-64 Linux), never.
    #[cold]
    #[inline(never)]
    pub(super) fn own_doing() -> bool {
        let now = reading();
        let Some(((then, cpu_then), (now, cpu_now))) = local(|l| l.since.replace(now)).zip(now)
        else {
            return false;
        };
        let wall = u64::try_from(now.duration_since(then).as_nanos()).unwrap_or(u64::MAX);
        kept_busy(cpu_now.saturating_sub(cpu_then), wall, parallelism() as u64)
    }

    /// Whether `used` nanoseconds of CPU time over `wall` nanoseconds kept all of
    /// `cpus` busy but for `OWN_SHARE_SHORT_BY` quarters of one.
    fn kept_busy(used: u64, wall: u64, cpus: u64) -> bool {
        used.saturating_mul(4) >= wall.saturating_mul(4 * cpus - OWN_SHARE_SHORT_BY)
    }

    /// Whether this thread's waits skip yielding for now (the window is open), without
    /// counting a check off it.
    #[inline]
    pub(super) fn active() -> bool {
        local(|l| l.skip.is_open())
    }

    /// Whether this wait skips yielding: counts one check off the window.
    #[inline]
    pub(super) fn skipping() -> bool {
        local(|l| l.skip.skip())
    }

    /// A yield found the CPU contested: widen the window (the first time in a row,
    /// to twice its first length).
    #[cold]
    pub(super) fn found() {
        local(|l| l.calm.set(0));
        local(|l| l.skip.widen());
    }

    /// A yield ran another thread and came back soon: after `CALM_AFTER` of them in a
    /// row the next window starts small again.
    #[inline]
    pub(super) fn switched() {
        let calm = local(|l| l.calm.get()) + 1;
        if calm >= CALM_AFTER {
            local(|l| l.skip.narrow());
        }
        local(|l| l.calm.set(calm.min(CALM_AFTER)));
    }

    /// A yield came back at once, or was slow by the program's own doing: the machine
    /// is not busy (any more), so the next window starts small again.
    #[inline]
    pub(super) fn cleared() {
        local(|l| l.skip.narrow());
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// How many of the next `checks` skip yielding.
        fn skipped(checks: u32) -> u32 {
            (0..checks).filter(|_| skipping()).count() as u32
        }

        #[test]
        fn a_slow_yield_is_the_programs_own_only_if_it_kept_every_cpu_busy() {
            const MS: u64 = 1_000_000;
            assert!(kept_busy(20 * MS, 10 * MS, 2), "two CPUs' worth");
            assert!(kept_busy(175 * MS / 10, 10 * MS, 2), "all but a quarter");
            assert!(!kept_busy(17 * MS, 10 * MS, 2));
            assert!(
                !kept_busy(10 * MS, 10 * MS, 2),
                "one CPU of two: another program's"
            );
            assert!(kept_busy(8 * MS, 10 * MS, 1));
            assert!(!kept_busy(5 * MS, 10 * MS, 1), "half of the only CPU");
        }

        /// The clock the judgement reads counts every thread of the process: another
        /// thread's work moves it beyond what this thread used. If the system call
        /// were wrong (its number, the layout it writes) it would read nothing, and
        /// with the calling thread's clock it would move only with this thread;
        /// either way a slow yield would never be found the program's own.
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        #[test]
        fn the_process_cpu_clock_counts_another_threads_work() {
            use crate::sync::thread_cpu_nanos;
            use std::sync::atomic::{AtomicBool, Ordering};
            let read = || {
                let process = process_cpu_nanos().expect("the process CPU clock reads");
                let thread = thread_cpu_nanos().expect("the thread CPU clock reads");
                (process, thread)
            };
            let stop = AtomicBool::new(false);
            std::thread::scope(|s| {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::black_box((0..1000u32).sum::<u32>());
                    }
                });
                let (process, thread) = read();
                let deadline = Instant::now() + std::time::Duration::from_secs(10);
                let mut others = 0;
                while others < 2_000_000 && Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    let now = read();
                    assert!(now.0 >= process, "the process clock went back");
                    others = (now.0 - process).saturating_sub(now.1 - thread);
                }
                stop.store(true, Ordering::Relaxed);
                assert!(others >= 2_000_000, "others' CPU time in 10 s: {others} ns");
            });
        }

        #[test]
        fn the_window_doubles_while_found_in_a_row_and_starts_small_once_cleared() {
            std::thread::spawn(|| {
                assert_eq!(skipped(10), 0, "an idle machine skips nothing");
                found();
                assert_eq!(skipped(10 * FIRST), 2 * FIRST);
                found();
                assert_eq!(skipped(10 * FIRST), 4 * FIRST, "found again: doubled");
                for _ in 0..2 * Window::MAX_DOUBLINGS {
                    found();
                }
                let limit = FIRST << Window::MAX_DOUBLINGS;
                assert_eq!(skipped(2 * limit), limit, "the doubling stops at its limit");
                found();
                cleared();
                assert_eq!(
                    skipped(2 * limit),
                    limit,
                    "the open window runs out as it was"
                );
                found();
                assert_eq!(skipped(2 * limit), 2 * FIRST, "then starts small again");
            })
            .join()
            .unwrap();
        }

        /// A run of `CALM_AFTER` yields that switched and came back soon starts the
        /// doubling over; a shorter run, as beside one busy process on one CPU (every
        /// other yield slow), keeps it. Were the count not reset by a slow yield, or
        /// never reached, the first or the second assertion would fail.
        #[test]
        fn a_run_of_switches_without_a_slow_yield_starts_the_window_small_again() {
            std::thread::spawn(|| {
                found();
                found();
                assert_eq!(skipped(10 * FIRST), 4 * FIRST);
                for _ in 0..4 {
                    for _ in 0..CALM_AFTER - 1 {
                        switched();
                    }
                    found();
                    skipped(100 * FIRST);
                }
                found();
                assert_eq!(
                    skipped(100 * FIRST),
                    FIRST << 7.min(Window::MAX_DOUBLINGS),
                    "slow yields among fewer switches than CALM_AFTER: still doubling"
                );
                for _ in 0..CALM_AFTER {
                    switched();
                }
                found();
                assert_eq!(
                    skipped(100 * FIRST),
                    2 * FIRST,
                    "after CALM_AFTER switches, the window starts small"
                );
            })
            .join()
            .unwrap();
        }
    }
}

/// The count-down window both hints keep: a run of waits that skip a phase (the spin
/// for [`hint`], yielding for [`contested`]), twice as long each time the phase is
/// found not to pay again, up to a limit.
#[cfg(not(any(csp_loom, csp_shuttle)))]
mod window {
    use std::cell::Cell;

    pub(super) struct Window {
        /// The window's length before any doubling.
        first: u32,
        /// Waits left to skip.
        left: Cell<u32>,
        /// Doublings since the window last started small.
        doublings: Cell<u32>,
    }

    impl Window {
        /// Up to `first << MAX_DOUBLINGS` waits skip in a row.
        pub(super) const MAX_DOUBLINGS: u32 = 6;

        pub(super) const fn new(first: u32) -> Self {
            Window {
                first,
                left: Cell::new(0),
                doublings: Cell::new(0),
            }
        }

        /// Whether waits are left to skip.
        #[inline]
        pub(super) fn is_open(&self) -> bool {
            self.left.get() > 0
        }

        /// Whether this wait skips the phase: counts one wait off the window.
        #[inline]
        pub(super) fn skip(&self) -> bool {
            let left = self.left.get();
            if left == 0 {
                return false;
            }
            self.left.set(left - 1);
            true
        }

        /// Opens the window at its first length.
        pub(super) fn open(&self) {
            self.doublings.set(0);
            self.left.set(self.first);
        }

        /// Opens the window at twice its last length, up to the limit.
        pub(super) fn widen(&self) {
            let doublings = (self.doublings.get() + 1).min(Self::MAX_DOUBLINGS);
            self.doublings.set(doublings);
            self.left.set(self.first << doublings);
        }

        /// The next `widen` starts from the first length again; the open window
        /// runs out as it was.
        #[inline]
        pub(super) fn narrow(&self) {
            self.doublings.set(0);
        }
    }
}

/// Under a checker no yield is slow, and no hint is kept.
#[cfg(any(csp_loom, csp_shuttle))]
mod contested {
    #[inline(always)]
    pub(super) fn skipping() -> bool {
        false
    }

    #[inline(always)]
    pub(super) fn found() {}

    #[inline(always)]
    pub(super) fn cleared() {}

    #[inline(always)]
    pub(super) fn switched() {}

    #[inline(always)]
    pub(super) fn arm() {}

    #[inline(always)]
    pub(super) fn own_doing() -> bool {
        false
    }
}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::*;

    /// Every wait parks in the end, however its yields come back: quick yields extend
    /// the yield phase by at most `QUICK_YIELDS`. (Whether a yield is quick depends on
    /// the machine at that moment; the bound holds either way, and a wait that never
    /// gave up would spin its thread's CPU away.)
    #[test]
    fn a_wait_parks_after_a_bounded_number_of_snoozes() {
        for mut backoff in [
            Backoff::new(),
            Backoff::for_ring(1),
            Backoff::for_ring(1).past_spin(),
        ] {
            let most = backoff.spin_checks + YIELDS + QUICK_YIELDS;
            let mut snoozes = 0;
            while !backoff.is_completed() {
                assert!(snoozes < most, "{backoff:?} still waiting after {most}");
                backoff.snooze();
                snoozes += 1;
            }
        }
    }

    /// A ring wait's party goes on with the ring's backoff past its spin phase, so
    /// that it does not spin a second time (`NotifyList::wait_for`), and wherever the
    /// spin stopped: a wait that has begun yielding keeps its count. Catches a
    /// `past_spin` that leaves the step where it was (the party would spin again for
    /// the whole phase before its first yield) or that resets it.
    #[test]
    fn past_spin_skips_the_spin_phase_and_keeps_later_steps() {
        let mut fresh = Backoff::for_ring(1).past_spin();
        assert!(fresh.is_spun(), "{fresh:?}");
        assert_eq!(fresh.step, fresh.spin_checks);
        fresh.step += 2;
        let step = fresh.step;
        assert_eq!(fresh.past_spin().step, step, "a later step was moved back");
    }
}
