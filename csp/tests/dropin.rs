//! What a crossbeam-channel user relies on beyond the basic operations: `select!`
//! grammar crossbeam accepts, the auto traits of the handles and of `Select`, fused
//! iterators, `never()` as one channel, and `tick`'s schedule after a late receive.
//! (crossbeam's own suite runs against csp with `scripts/crossbeam-suite.sh`.)

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::thread::sleep;
use std::time::{Duration, Instant};

#[test]
fn select_accepts_crossbeam_grammar() {
    let (s, r) = csp_channel::bounded::<i32>(1);
    // Trailing commas inside arms, and `default()`.
    csp_channel::select! {
        send(s, 1,) -> res => res.unwrap(),
        default() => panic!("there is room"),
    }
    let got = csp_channel::select! {
        recv(r,) -> msg => msg.unwrap(),
        default(Duration::from_secs(1),) => panic!("a value is there"),
    };
    assert_eq!(got, 1);
    let nothing = csp_channel::select_biased! {
        recv(r) -> _ => false,
        default() => true,
    };
    assert!(nothing);
}

#[test]
fn select_keeps_temporaries_in_channel_expressions() {
    // crossbeam's idiom for an optional arm: a temporary `never()` in the expression.
    let (s, r) = csp_channel::bounded::<i32>(1);
    s.send(7).unwrap();
    let arms: [Option<&csp_channel::Receiver<i32>>; 2] = [None, Some(&r)];
    let got = csp_channel::select! {
        recv(arms[0].unwrap_or(&csp_channel::never())) -> _ => panic!("never delivers"),
        recv(arms[1].unwrap_or(&csp_channel::never())) -> msg => msg.unwrap(),
    };
    assert_eq!(got, 7);
}

#[test]
fn handles_and_select_have_crossbeams_auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}
    fn fused<T: std::iter::FusedIterator>() {}
    send_sync::<csp_channel::Select<'static>>();
    // Even over values that are not `Send`: a `Select` never moves a value.
    let (_tx, rx) = csp_channel::bounded::<std::rc::Rc<i32>>(1);
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    std::thread::scope(|scope| {
        let sel = &sel;
        scope.spawn(move || assert!(sel.clone().try_ready().is_err()));
    });
    unwind_safe::<csp_channel::Sender<std::cell::Cell<i32>>>();
    unwind_safe::<csp_channel::Receiver<std::cell::Cell<i32>>>();
    fused::<csp_channel::Iter<'static, i32>>();
    fused::<csp_channel::IntoIter<i32>>();
}

#[test]
fn an_iterator_stays_done() {
    let (tx, rx) = csp_channel::bounded(1);
    tx.send(1).unwrap();
    drop(tx);
    let mut it = rx.into_iter();
    assert_eq!(it.next(), Some(1));
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
}

#[test]
fn every_never_is_the_same_channel() {
    assert!(csp_channel::never::<i32>().same_channel(&csp_channel::never()));
    let (_tx, rx) = csp_channel::bounded::<i32>(0);
    assert!(!rx.same_channel(&csp_channel::never()));
    assert!(!csp_channel::never().same_channel(&rx));
}

#[test]
fn a_late_tick_is_followed_by_one_a_period_later() {
    let period = Duration::from_millis(40);
    let ticker = csp_channel::tick(period);
    sleep(period * 3);
    let late = ticker.recv().unwrap();
    let taken = Instant::now();
    // The missed ticks collapse into one; the next comes a period after the receive,
    // not at once (crossbeam-channel's behaviour).
    assert!(ticker.try_recv().is_err(), "no second message at once");
    let next = ticker.recv().unwrap();
    assert!(next >= taken + period - Duration::from_millis(1));
    assert!(next > late + period * 2);
}

#[test]
fn a_tick_in_phase_keeps_its_schedule() {
    let period = Duration::from_millis(40);
    let ticker = csp_channel::tick_in_phase(period);
    sleep(period * 3 + period / 2);
    let late = ticker.recv().unwrap();
    let taken = Instant::now();
    let next = ticker.recv().unwrap();
    assert_eq!(
        (next - late).as_nanos() % period.as_nanos(),
        0,
        "on the schedule"
    );
    assert!(next - late >= period * 3, "the missed ticks are skipped");
    assert!(
        next + period > taken,
        "the first tick of the schedule after the receive"
    );
}
