//! `select!` and `select_biased!`: crossbeam-channel's syntax, plus a boolean guard per
//! arm. The macros parse their arms one at a time into a list (each arm gets a fresh
//! hygienic name for its handle and an index written as `(0 + 1 + ...)`), then expand
//! to one array of arms on the stack, one call of the select engine, and an `if` chain
//! over the chosen index that completes the operation and runs the arm's body.

/// Waits on several channel operations and runs the body of the one that happens:
/// occam's `ALT`, Go's `select`. Exactly one operation happens; among several ready ones
/// the choice is uniformly random.
///
/// Arms, in any order, separated by commas (optional after a block):
/// - `recv(receiver) -> msg => body`: `msg` is `Result<T, RecvError>`;
/// - `send(sender, value) -> res => body`: `res` is `Result<(), SendError<T>>`; the
///   `value` expression is evaluated only if this arm is chosen;
/// - either with a guard, `recv(r) -> msg if cond => body`: a false `cond` makes the
///   arm absent, as occam's `cond & c ? x` or Go's nil channel;
/// - `default => body`: runs if no operation is ready now (occam's `SKIP`): only if,
///   at one instant during the call, none was ready (the select is linearizable;
///   [`Select::try_select`](crate::Select::try_select) explains);
/// - `default(timeout) => body`: runs if none becomes ready within `timeout`, with the
///   same guarantee at the end.
///
/// An operation on a disconnected channel is ready (it completes with an error). The
/// receiver and sender expressions and the guards are evaluated once, in order, before
/// the select waits. Without `default`, a select whose arms are all absent waits
/// forever, like occam's `STOP`.
///
/// ```
/// use std::thread;
/// use std::time::Duration;
///
/// let (tx1, rx1) = csp_channel::bounded(0);
/// let (tx2, rx2) = csp_channel::bounded::<&str>(0);
/// thread::spawn(move || tx1.send(10).unwrap());
///
/// let accept_words = false;
/// csp_channel::select! {
///     recv(rx1) -> msg => assert_eq!(msg, Ok(10)),
///     recv(rx2) -> word if accept_words => panic!("guarded off: {word:?}"),
///     default(Duration::from_secs(5)) => panic!("nothing arrived"),
/// }
/// # drop(tx2);
/// ```
///
/// A send arm and a timer (occam's `tim ? AFTER t`):
///
/// ```
/// use std::time::Duration;
///
/// let (tx, rx) = csp_channel::bounded(1);
/// let timeout = csp_channel::after(Duration::from_millis(10));
/// let mut sent = 0;
/// loop {
///     csp_channel::select! {
///         send(tx, sent + 1) -> res => { res.unwrap(); sent += 1; }
///         recv(timeout) -> _ => break,
///     }
///     assert_eq!(rx.recv(), Ok(sent));
/// }
/// assert!(sent > 0);
/// ```
///
/// A malformed arm is a compile error that says what to write:
///
/// ```compile_fail
/// let (_tx, rx) = csp_channel::bounded::<i32>(0);
/// csp_channel::select! {
///     recv(rx) => {} // error: a `recv` arm names its result: `recv(receiver) -> msg => body`
/// }
/// ```
///
/// ```compile_fail
/// let (tx, _rx) = csp_channel::bounded::<i32>(0);
/// csp_channel::select! {
///     send(tx) -> res => {} // error: a `send` arm takes a sender and a value
/// }
/// ```
///
/// ```compile_fail
/// csp_channel::select! {
///     default => {},
///     default => {}, // error: more than one `default` arm
/// }
/// ```
#[macro_export]
macro_rules! select {
    ($($arms:tt)*) => {
        $crate::__select_parse!(
            (sync ($crate::__private::Order::Random)) [] () (0) $($arms)*
        )
    };
}

/// [`select!`] with priority: among ready operations the first written wins (occam's
/// `PRI ALT`, crossbeam's `select_biased!`).
///
/// ```
/// let (tx1, rx1) = csp_channel::bounded(1);
/// let (tx2, rx2) = csp_channel::bounded(1);
/// tx1.send("urgent").unwrap();
/// tx2.send("routine").unwrap();
/// let got = csp_channel::select_biased! {
///     recv(rx1) -> msg => msg.unwrap(),
///     recv(rx2) -> msg => msg.unwrap(),
/// };
/// assert_eq!(got, "urgent");
/// ```
#[macro_export]
macro_rules! select_biased {
    ($($arms:tt)*) => {
        $crate::__select_parse!(
            (sync ($crate::__private::Order::Biased)) [] () (0) $($arms)*
        )
    };
}

/// [`select!`] for async tasks: the same arms, guards, `default` and timers, awaited
/// inside an `async` block or function instead of blocking the thread. The tasks'
/// channels must carry `Send` values. Exactly one arm commits, and dropping the select
/// at any await point leaves no trace: a counterpart that chose it starts over, and a
/// value never stays behind in the dropped select (one a receiver already took was
/// sent, unreported, as with a dropped [`SendFuture`](crate::future::SendFuture)).
///
/// `default` runs only if, at one instant, no arm was ready, as for [`select!`], with
/// one exception: a counterpart that is itself waiting in a select or in another
/// task's receive is not taken by an async select (it cannot wait for that one to be
/// polled); it is nudged to come to the select instead, which a `default` does not
/// wait for.
///
/// ```
/// use futures::executor::block_on;
/// use std::time::Duration;
///
/// let (tx, rx) = csp_channel::bounded(0);
/// let (_idle_tx, idle) = csp_channel::bounded::<i32>(0);
/// std::thread::spawn(move || tx.send(1).unwrap());
/// block_on(async {
///     csp_channel::select_async! {
///         recv(idle) -> _ => panic!("nothing is sent there"),
///         recv(rx) -> msg => assert_eq!(msg, Ok(1)),
///         default(Duration::from_secs(10)) => panic!("timed out"),
///     }
/// });
/// ```
///
/// Unlike [`select!`]'s, a send arm's value is evaluated when the select starts (if
/// its guard holds), as Go's `select` evaluates its operands and `tokio::select!` its
/// futures: a task cannot stop to compute it while a receiver waits for it, so the
/// arm waits holding it, where any receiver can take it. The value of an arm that
/// does not commit is dropped:
///
/// ```
/// use futures::executor::block_on;
///
/// let (tx, rx) = csp_channel::bounded(1);
/// let (full_tx, _full_rx) = csp_channel::bounded(1);
/// full_tx.try_send(String::from("old")).unwrap();
/// let offered = String::from("offered, not sent");
/// block_on(async {
///     csp_channel::select_async! {
///         send(full_tx, offered) -> _ => panic!("it is full"),
///         send(tx, String::from("new")) -> res => res.unwrap(),
///     }
/// });
/// assert_eq!(rx.recv().as_deref(), Ok("new"));
/// ```
#[macro_export]
macro_rules! select_async {
    ($($arms:tt)*) => {
        $crate::__select_parse!(
            (async ($crate::__private::Order::Random)) [] () (0) $($arms)*
        )
    };
}

/// [`select_async!`] with priority: among ready operations the first written wins.
///
/// ```
/// use futures::executor::block_on;
///
/// let (tx1, rx1) = csp_channel::bounded(1);
/// let (tx2, rx2) = csp_channel::bounded(1);
/// tx1.send(1).unwrap();
/// tx2.send(2).unwrap();
/// let got = block_on(async {
///     csp_channel::select_biased_async! {
///         recv(rx1) -> msg => msg.unwrap(),
///         recv(rx2) -> msg => msg.unwrap(),
///     }
/// });
/// assert_eq!(got, 1);
/// ```
#[macro_export]
macro_rules! select_biased_async {
    ($($arms:tt)*) => {
        $crate::__select_parse!(
            (async ($crate::__private::Order::Biased)) [] () (0) $($arms)*
        )
    };
}

/// Parses `select!` arms: `(mode order) [arms] (default) (next index) tokens...`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // All parsed.
    ($order:tt [$($arm:tt)*] $default:tt $index:tt) => {
        $crate::__select_expand!($order [$($arm)*] $default)
    };
    // A comma after a block body.
    ($order:tt $arms:tt $default:tt $index:tt , $($rest:tt)*) => {
        $crate::__select_parse!($order $arms $default $index $($rest)*)
    };

    // Arm heads: normalize to `@body (kind chan guard pat value) => ...`.
    ($order:tt $arms:tt $default:tt $index:tt
        recv($r:expr $(,)?) -> $p:pat if $g:expr => $($rest:tt)*) => {
        $crate::__select_parse!(@body $order $arms $default $index
            (recv ($r) ($g) ($p) ()) $($rest)*)
    };
    ($order:tt $arms:tt $default:tt $index:tt
        recv($r:expr $(,)?) -> $p:pat => $($rest:tt)*) => {
        $crate::__select_parse!(@body $order $arms $default $index
            (recv ($r) (true) ($p) ()) $($rest)*)
    };
    ($order:tt $arms:tt $default:tt $index:tt
        send($s:expr, $v:expr $(,)?) -> $p:pat if $g:expr => $($rest:tt)*) => {
        $crate::__select_parse!(@body $order $arms $default $index
            (send ($s) ($g) ($p) ($v)) $($rest)*)
    };
    ($order:tt $arms:tt $default:tt $index:tt
        send($s:expr, $v:expr $(,)?) -> $p:pat => $($rest:tt)*) => {
        $crate::__select_parse!(@body $order $arms $default $index
            (send ($s) (true) ($p) ($v)) $($rest)*)
    };
    ($order:tt $arms:tt () $index:tt default $(())? => $($rest:tt)*) => {
        $crate::__select_parse!(@body $order $arms () $index
            (default (true) (::core::option::Option::None)) $($rest)*)
    };
    ($order:tt $arms:tt () $index:tt default($t:expr $(,)?) => $($rest:tt)*) => {
        $crate::__select_parse!(@body $order $arms () $index
            (default (false) (::core::option::Option::Some($t))) $($rest)*)
    };

    // Arm bodies: a block (comma optional), or an expression and a comma (or the end).
    (@body $order:tt [$($arms:tt)*] $default:tt ($($index:tt)*) $head:tt
        $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arm $order [$($arms)*] $default ($($index)*) $head
            ($body) $($rest)*)
    };
    (@body $order:tt [$($arms:tt)*] $default:tt ($($index:tt)*) $head:tt
        $body:expr , $($rest:tt)*) => {
        $crate::__select_parse!(@arm $order [$($arms)*] $default ($($index)*) $head
            ($body) $($rest)*)
    };
    (@body $order:tt [$($arms:tt)*] $default:tt ($($index:tt)*) $head:tt
        $body:expr) => {
        $crate::__select_parse!(@arm $order [$($arms)*] $default ($($index)*) $head
            ($body))
    };
    (@body $order:tt $arms:tt $default:tt $index:tt $head:tt $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "csp_channel::select!: expected an arm body (an expression followed by `,`, or a block) \
             after `=>`, found `",
            ::core::stringify!($($rest)*),
            "`"
        ))
    };

    // Record a parsed arm; `handle` is a fresh hygienic name for its channel end.
    (@arm $order:tt [$($arms:tt)*] $default:tt ($($index:tt)*)
        (default $now:tt $timeout:tt) $body:tt $($rest:tt)*) => {
        $crate::__select_parse!($order [$($arms)*] ($now $timeout $body)
            ($($index)*) $($rest)*)
    };
    (@arm $order:tt [$($arms:tt)*] $default:tt ($($index:tt)*)
        ($kind:ident $chan:tt $guard:tt $pat:tt $value:tt) $body:tt $($rest:tt)*) => {
        $crate::__select_parse!($order
            [$($arms)* [$kind handle $chan $guard $pat $value $body ($($index)*)]]
            $default ($($index)* + 1) $($rest)*)
    };

    // Mistakes, with messages that say what to write.
    ($order:tt $arms:tt ($($default:tt)+) $index:tt default $($rest:tt)*) => {
        ::core::compile_error!("csp_channel::select!: more than one `default` arm")
    };
    ($order:tt $arms:tt $default:tt $index:tt recv($($args:tt)*) => $($rest:tt)*) => {
        ::core::compile_error!(
            "csp_channel::select!: a `recv` arm names its result: `recv(receiver) -> msg => body`"
        )
    };
    ($order:tt $arms:tt $default:tt $index:tt send($($args:tt)*) => $($rest:tt)*) => {
        ::core::compile_error!(
            "csp_channel::select!: a `send` arm names its result: `send(sender, value) -> res => body`"
        )
    };
    ($order:tt $arms:tt $default:tt $index:tt send($s:expr) $($rest:tt)*) => {
        ::core::compile_error!(
            "csp_channel::select!: a `send` arm takes a sender and a value: `send(sender, value) -> res => body`"
        )
    };
    ($order:tt $arms:tt $default:tt $index:tt $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "csp_channel::select!: expected `recv(r) -> msg [if guard] => body`, \
             `send(s, value) -> res [if guard] => body`, `default => body` or \
             `default(timeout) => body`, found `",
            ::core::stringify!($($rest)+),
            "`"
        ))
    };
}

/// Expands parsed `select!` arms into one engine call and an `if` chain.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_expand {
    ((sync $order:tt) [$([$kind:ident $handle:ident ($chan:expr) ($guard:expr) ($pat:pat)
        $value:tt ($body:expr) $index:tt])*] $default:tt) => {{
        // A match keeps the temporaries of the channel expressions alive for the
        // whole select, as `recv(r.unwrap_or(&csp_channel::never()))` needs.
        match ($( (&$chan, { let enabled: bool = $guard; enabled }), )*) {
        ($( $handle, )*) => {
        let arms: &mut [$crate::__private::Arm<'_>] = &mut [
            $( $crate::__private::Arm::$kind($handle.0, $handle.1, $index) ),*
        ];
        match $crate::__select_run!($order arms $default) {
            ::core::option::Option::None => $crate::__select_default!($default),
            ::core::option::Option::Some(oper) => {
                $(
                    if oper.index() == $index {
                        let $pat = $crate::__select_complete!($kind oper ($handle.0) $value);
                        $body
                    } else
                )*
                { ::core::unreachable!("csp_channel::select! chose an index it does not have") }
            }
        }
        }
        }
    }};
    ((async $order:tt) [$([$kind:ident $handle:ident ($chan:expr) ($guard:expr) ($pat:pat)
        $value:tt ($body:expr) $index:tt])*] $default:tt) => {{
        // As in the thread select, a match keeps the channel expressions' temporaries.
        match ($( (&$chan, { let enabled: bool = $guard; enabled }), )*) {
        ($( $handle, )*) => {
        $( let $handle = (
               $crate::__select_offer_async!($kind ($handle.0) ($handle.1) $value),
               $handle.1,
           ); )*
        let arms: &mut [$crate::__private::AsyncArm<'_>] = &mut [
            $( $crate::__private::AsyncArm::$kind(&$handle.0, $handle.1, $index) ),*
        ];
        let chosen = $crate::__select_run_async!($order arms $default).await;
        match chosen {
            ::core::option::Option::None => $crate::__select_default!($default),
            ::core::option::Option::Some(oper) => {
                $(
                    if oper.index() == $index {
                        let $pat = $crate::__select_complete_async!($kind oper ($handle.0));
                        $body
                    } else
                )*
                { ::core::unreachable!("csp_channel::select_async! chose an index it does not have") }
            }
        }
        }
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_run_async {
    ($order:tt $arms:ident ()) => {
        $crate::__private::SelectFuture::new($arms, $order, false, ::core::option::Option::None)
    };
    ($order:tt $arms:ident ($now:tt $timeout:tt $body:tt)) => {
        $crate::__private::SelectFuture::new($arms, $order, $now, $timeout)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_complete_async {
    (recv $oper:ident $handle:tt) => {
        $oper.recv($handle)
    };
    (send $oper:ident $handle:tt) => {
        $oper.send(&$handle)
    };
}

/// What an async select's arm holds: a receive arm its receiver; a send arm its
/// sender and, if enabled, its value, evaluated now (see `select_async!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __select_offer_async {
    (recv $handle:tt $enabled:tt ()) => {
        $handle
    };
    (send $handle:tt $enabled:tt ($value:expr)) => {
        $crate::__private::StashedSender::new(
            $handle,
            if $enabled {
                ::core::option::Option::Some($value)
            } else {
                ::core::option::Option::None
            },
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_run {
    ($order:tt $arms:ident ()) => {
        $crate::__private::run($arms, $order, false, ::core::option::Option::None)
    };
    ($order:tt $arms:ident ($now:tt $timeout:tt $body:tt)) => {
        $crate::__private::run($arms, $order, $now, $timeout)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_default {
    (()) => {
        ::core::unreachable!("a select without default returned no operation")
    };
    (($now:tt $timeout:tt ($body:expr))) => {
        $body
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_complete {
    (recv $oper:ident $handle:tt ()) => {
        $oper.recv($handle)
    };
    (send $oper:ident $handle:tt ($value:expr)) => {
        $oper.send($handle, $value)
    };
}
