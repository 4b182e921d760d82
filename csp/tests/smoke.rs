use std::thread;
#[test]
fn pingpong() {
    for cap in [0, 1, 16] {
        let (tx, rx) = csp::bounded::<u64>(cap);
        let (tx2, rx2) = csp::bounded::<u64>(cap);
        let t = thread::spawn(move || { for v in rx.iter() { tx2.send(v + 1).unwrap(); } });
        for i in 0..100_000u64 { tx.send(i).unwrap(); assert_eq!(rx2.recv().unwrap(), i + 1); }
        drop(tx);
        t.join().unwrap();
    }
}
