//! The process's open-file limit, raised at start so the configured connections fit.

/// Descriptors kept aside for the listener, Python, logging and files, in addition to
/// one per connection.
pub const RESERVED_FDS: u64 = 64;

/// How many connections can be open at once, at most `wanted`.
///
/// If the soft `RLIMIT_NOFILE` is below `wanted` plus [`RESERVED_FDS`], it is raised as
/// far as the hard limit allows. The answer is what then fits (at least 1). Descriptors
/// are per process, so several servers in one process share the limit; each counts only
/// its own connections.
#[must_use]
pub fn fit_connections(wanted: usize) -> usize {
    let need = u64::try_from(wanted).unwrap_or(u64::MAX).saturating_add(RESERVED_FDS);
    let Some((soft, hard)) = sys::get() else { return wanted };
    if soft >= need {
        return wanted;
    }
    let target = need.min(hard);
    let soft = if sys::set(target, hard) { target } else { soft };
    let fits = usize::try_from(soft.saturating_sub(RESERVED_FDS)).unwrap_or(wanted);
    fits.clamp(1, wanted.max(1))
}

#[cfg(unix)]
#[allow(unsafe_code)] // two libc calls on a local struct; nothing else is unsafe
mod sys {
    /// The soft and hard open-file limits.
    pub fn get() -> Option<(u64, u64)> {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `lim` is a valid, writable `rlimit` that outlives the call.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) };
        (rc == 0).then_some((lim.rlim_cur, lim.rlim_max))
    }

    /// Sets the soft limit to `soft` (keeping the hard one); whether it worked.
    pub fn set(soft: u64, hard: u64) -> bool {
        let lim = libc::rlimit { rlim_cur: soft, rlim_max: hard };
        // SAFETY: `lim` is a valid `rlimit` that outlives the call; it is only read.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const lim) == 0 }
    }
}

#[cfg(not(unix))]
mod sys {
    /// No limit to read on this platform.
    pub fn get() -> Option<(u64, u64)> {
        None
    }

    /// Nothing to set on this platform.
    pub fn set(_soft: u64, _hard: u64) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_fits_the_limit_and_never_exceeds_the_request() {
        assert_eq!(fit_connections(10), 10);
        let fits = fit_connections(15_000);
        assert!((1..=15_000).contains(&fits));
        let (soft, _) = sys::get().unwrap();
        assert!(u64::try_from(fits).unwrap() + RESERVED_FDS <= soft.max(RESERVED_FDS + 1));
    }
}
