//! Worker threads that repeat one piece of work in lock-step, for the CPU benchmarks.
//!
//! Worker `i` builds its own state on its own thread, so the memory it allocates is first touched
//! (and, on a NUMA machine, placed) by the thread that later uses it. The threads live for the
//! whole benchmark, so a repetition costs one wake-up rather than a thread spawn.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Error;

/// Repetitions timed even when the budget is already spent, so that the best-of has a choice
/// (STREAM, stream.c, likewise times at least two: NTIMES >= 2).
pub(crate) const MIN_REPS: u32 = 2;

/// Whose threads these are, as errors name them.
const THREAD: &str = "benchmark";

/// What a run measured.
pub(crate) struct Outcome<S> {
    /// Wall time of the fastest repetition (from waking the workers until the last one finished).
    pub best: Duration,
    /// Each worker's state after the last repetition, in worker order.
    pub states: Vec<S>,
}

/// What the workers and the timing thread share.
#[derive(Default)]
struct Shared {
    /// Workers that have built their state (or failed to).
    ready: usize,
    /// Current repetition; workers run when it changes.
    round: u64,
    /// Workers that finished the current repetition.
    done: usize,
    /// Set to end the run.
    stop: bool,
    /// The first worker failure.
    failure: Option<Error>,
}

/// The workers' shared state and the signal that it changed.
struct Team {
    shared: Mutex<Shared>,
    changed: Condvar,
}

impl Team {
    /// The shared state; a poisoned lock (a worker panicked holding it) is still usable, since
    /// every field stays consistent between statements.
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `done(shared)` holds.
    fn wait_until<'a>(
        &self,
        mut guard: MutexGuard<'a, Shared>,
        done: impl Fn(&Shared) -> bool,
    ) -> MutexGuard<'a, Shared> {
        while !done(&guard) {
            guard = self
                .changed
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
        guard
    }
}

/// Counts a worker's repetition as done when dropped, also when `rep` panics, so the timing
/// thread never waits forever.
struct DoneGuard<'a>(&'a Team);

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        if thread::panicking() {
            s.failure
                .get_or_insert(Error::ThreadPanicked { thread: THREAD });
        }
        s.done += 1;
        self.0.changed.notify_all();
    }
}

/// Runs `threads` workers: worker `i` builds its state with `init(i)`, then all run `rep` together,
/// again and again until `deadline` has passed and at least [`MIN_REPS`] repetitions are done.
pub(crate) fn run<S, I, R>(
    threads: usize,
    deadline: Instant,
    init: I,
    rep: R,
) -> Result<Outcome<S>, Error>
where
    S: Send,
    I: Fn(usize) -> Result<S, Error> + Sync,
    R: Fn(&mut S) + Sync,
{
    if threads == 0 {
        return Err(Error::InvalidParameter {
            name: "benchmark threads",
            value: 0,
            expected: "at least 1",
        });
    }
    let sync = Team {
        shared: Mutex::new(Shared::default()),
        changed: Condvar::new(),
    };
    thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        let mut spawn_error = None;
        for i in 0..threads {
            let (sync, init, rep) = (&sync, &init, &rep);
            match thread::Builder::new()
                .name(format!("trainfit-bench-{i}"))
                .spawn_scoped(scope, move || worker(sync, i, init, rep))
            {
                Ok(h) => handles.push(h),
                Err(e) => {
                    spawn_error = Some(Error::ThreadSpawn {
                        thread: format!("{THREAD} thread {i}"),
                        cause: e.to_string(),
                    });
                    break;
                }
            }
        }
        let timed = match spawn_error {
            Some(e) => Err(e),
            None => time_reps(&sync, handles.len(), deadline),
        };
        {
            let mut s = sync.lock();
            s.stop = true;
            sync.changed.notify_all();
        }
        let mut states = Vec::with_capacity(handles.len());
        for h in handles {
            match h.join() {
                Ok(Some(state)) => states.push(state),
                Ok(None) => {}
                Err(_) => return Err(Error::ThreadPanicked { thread: THREAD }),
            }
        }
        let best = timed?;
        if states.len() != threads {
            return Err(Error::ThreadLost { thread: THREAD });
        }
        Ok(Outcome { best, states })
    })
}

/// The timing thread's part: waits for `workers` to be ready, then times repetitions.
fn time_reps(sync: &Team, workers: usize, deadline: Instant) -> Result<Duration, Error> {
    let mut s = sync.wait_until(sync.lock(), |s| s.ready == workers);
    let mut best: Option<Duration> = None;
    let mut reps = 0;
    loop {
        if let Some(e) = s.failure.take() {
            return Err(e);
        }
        if reps >= MIN_REPS && Instant::now() >= deadline {
            break;
        }
        s.done = 0;
        s.round += 1;
        let start = Instant::now();
        sync.changed.notify_all();
        s = sync.wait_until(s, |s| s.done == workers);
        let took = start.elapsed();
        best = Some(best.map_or(took, |b| b.min(took)));
        reps += 1;
    }
    best.ok_or(Error::NoTime {
        benchmark: "the benchmark",
    })
}

/// One worker: builds its state, then runs a repetition each time the round changes.
fn worker<S>(
    sync: &Team,
    index: usize,
    init: &impl Fn(usize) -> Result<S, Error>,
    rep: &impl Fn(&mut S),
) -> Option<S> {
    let built = init(index);
    let mut state = {
        let mut s = sync.lock();
        s.ready += 1;
        sync.changed.notify_all();
        match built {
            Ok(state) => state,
            Err(e) => {
                s.failure.get_or_insert(e);
                return None;
            }
        }
    };
    let mut seen = 0;
    loop {
        {
            let s = sync.wait_until(sync.lock(), |s| s.stop || s.round != seen);
            if s.stop {
                return Some(state);
            }
            seen = s.round;
        }
        let _done = DoneGuard(sync);
        rep(&mut state);
    }
}
