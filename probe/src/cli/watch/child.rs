//! The wrapped command: started, sent the SIGINT and SIGTERM that reach `trainfit watch`, and
//! its exit status passed on as a shell does.

use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::Arc;

use anyhow::Context;

/// Stop requests and the child to forward signals to, shared with the signal thread.
#[derive(Debug, Default)]
pub struct Signals {
    /// Set by SIGINT or SIGTERM when there is no command: the watch ends.
    pub stop: AtomicBool,
    /// The child's pid, 0 before it starts.
    pub child: AtomicU32,
}

/// Starts `command` with this process's standard streams.
pub fn spawn(command: &[String]) -> anyhow::Result<Child> {
    let (program, args) = command.split_first().context("no command after `--`")?;
    Command::new(program)
        .args(args)
        .spawn()
        .with_context(|| format!("cannot start `{program}`"))
}

/// The exit code a shell reports for `status`: the child's own code, or 128 + the signal that
/// ended it (POSIX `sh`, "Exit Status": greater than 128 for a command killed by a signal; bash
/// and dash use 128 + n).
pub fn exit_code(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    1
}

/// Catches SIGINT and SIGTERM for as long as the process lives: forwarded to the child when
/// there is one, else a request to stop.
///
/// A Ctrl-C typed at the terminal reaches every process of the foreground process group, the
/// child included; forwarding it too would interrupt the child twice (Python's second
/// `KeyboardInterrupt` lands inside its first one's cleanup). On Linux the kernel marks such a
/// signal `SI_KERNEL` and one sent with kill(2) `SI_USER` (signal(7), siginfo_t `si_code`), so
/// only the latter is forwarded; elsewhere every signal is forwarded.
#[cfg(unix)]
pub fn catch(shared: Arc<Signals>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};

    #[cfg(target_os = "linux")]
    {
        use signal_hook::iterator::exfiltrator::WithOrigin;
        use signal_hook::iterator::SignalsInfo;
        use signal_hook::low_level::siginfo::Cause;
        let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM])
            .context("cannot catch SIGINT and SIGTERM")?;
        std::thread::spawn(move || {
            for info in signals.forever() {
                let from_terminal = info.signal == SIGINT && info.cause == Cause::Kernel;
                deliver(&shared, info.signal, from_terminal);
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("cannot catch SIGINT and SIGTERM")?;
        std::thread::spawn(move || {
            for signal in signals.forever() {
                deliver(&shared, signal, false);
            }
        });
    }
    Ok(())
}

/// Without Unix signals (Windows) a console's Ctrl-C reaches the child directly.
#[cfg(not(unix))]
pub fn catch(_shared: Arc<Signals>) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn deliver(shared: &Signals, signal: i32, child_has_it: bool) {
    use rustix::process::{kill_process, Pid, Signal};
    use std::sync::atomic::Ordering;
    let pid = shared.child.load(Ordering::SeqCst);
    let target = i32::try_from(pid).ok().and_then(Pid::from_raw);
    match target {
        None => shared.stop.store(true, Ordering::SeqCst),
        Some(_) if child_has_it => {}
        Some(pid) => {
            if let Some(sig) = Signal::from_named_raw(signal) {
                // The child may have exited in between; the wait reports that.
                let _ = kill_process(pid, sig);
            }
        }
    }
}
