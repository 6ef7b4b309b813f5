//! The server clock: wall time plus an adjustable offset, in Aerospike's units.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds between the Unix epoch and the Aerospike epoch (2010-01-01T00:00:00Z).
pub const CITRUSLEAF_EPOCH_SECS: u64 = 1_262_304_000;

/// Nanoseconds in a second.
const NANOS_PER_SEC: i128 = 1_000_000_000;
/// 2010-01-01T00:00:00Z in nanoseconds since the Unix epoch: the earliest clock reading.
#[allow(clippy::cast_lossless)] // `i128::from` is not const
const EARLIEST_UNIX_NANOS: i128 = CITRUSLEAF_EPOCH_SECS as i128 * NANOS_PER_SEC;

/// Nanoseconds since the Unix epoch by the system clock (0 if it is set before 1970).
fn wall_unix_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// Checks that an offset from the system time (in nanoseconds) keeps the clock at or
/// after 2010-01-01, the Aerospike epoch.
///
/// # Errors
/// A message naming the offset, the limit and the largest offset back allowed now.
pub fn check_offset_nanos(offset_nanos: i64) -> Result<(), String> {
    let wall = wall_unix_nanos();
    if wall + i128::from(offset_nanos) >= EARLIEST_UNIX_NANOS {
        return Ok(());
    }
    Err(format!(
        "clock offset {} s would put the clock before 2010-01-01, the Aerospike epoch that \
         void times count from; pass at least -{} s",
        i128::from(offset_nanos) / NANOS_PER_SEC,
        (wall - EARLIEST_UNIX_NANOS) / NANOS_PER_SEC
    ))
}

/// Wall clock with an offset that tests can move forward or backward.
///
/// Every time the server uses (void times, last-update times, expiry) comes from here, so
/// shifting the offset makes records expire without waiting.
#[derive(Debug, Default)]
pub struct Clock {
    offset_nanos: AtomicI64,
}

impl Clock {
    /// A clock that follows the system time exactly.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock running `offset_nanos` nanoseconds ahead of the system time (behind when
    /// negative).
    #[must_use]
    pub fn with_offset_nanos(offset_nanos: i64) -> Self {
        Self { offset_nanos: AtomicI64::new(offset_nanos) }
    }

    /// Moves the clock by `delta_secs` seconds (negative moves it back).
    pub fn advance(&self, delta_secs: i64) {
        self.advance_nanos(delta_secs.saturating_mul(1_000_000_000));
    }

    /// Moves the clock by `delta_nanos` nanoseconds (negative moves it back).
    pub fn advance_nanos(&self, delta_nanos: i64) {
        let _ = self.offset_nanos.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
            Some(o.saturating_add(delta_nanos))
        });
    }

    /// Moves the clock by `delta_nanos` nanoseconds unless that would put it before
    /// 2010-01-01, the Aerospike epoch that void and update times count from.
    ///
    /// # Errors
    /// A message naming the move, the limit and the furthest move back allowed now.
    pub fn try_advance_nanos(&self, delta_nanos: i64) -> Result<(), String> {
        self.offset_nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                let offset = o.saturating_add(delta_nanos);
                check_offset_nanos(offset).is_ok().then_some(offset)
            })
            .map(|_| ())
            .map_err(|current| {
                let back_secs = (wall_unix_nanos() + i128::from(current) - EARLIEST_UNIX_NANOS)
                    / NANOS_PER_SEC;
                format!(
                    "moving the clock by {} s would put it before 2010-01-01, the Aerospike \
                     epoch that void times count from; move it back at most {back_secs} s",
                    i128::from(delta_nanos) / NANOS_PER_SEC
                )
            })
    }

    /// Sets the offset from the system time, in nanoseconds.
    pub fn set_offset_nanos(&self, offset_nanos: i64) {
        self.offset_nanos.store(offset_nanos, Ordering::Relaxed);
    }

    /// The current offset from the system time, in nanoseconds.
    #[must_use]
    pub fn offset_nanos(&self) -> i64 {
        self.offset_nanos.load(Ordering::Relaxed)
    }

    /// The current offset from the system time, in seconds.
    #[must_use]
    pub fn offset_secs(&self) -> i64 {
        self.offset_nanos.load(Ordering::Relaxed) / 1_000_000_000
    }

    /// Nanoseconds since the Unix epoch, offset applied; never below zero.
    #[must_use]
    pub fn now_unix_nanos(&self) -> u64 {
        let shifted = wall_unix_nanos() + i128::from(self.offset_nanos.load(Ordering::Relaxed));
        u64::try_from(shifted.max(0)).unwrap_or(u64::MAX)
    }

    /// Seconds since 2010-01-01 (the unit of void times), offset applied.
    #[must_use]
    pub fn now_citrusleaf_secs(&self) -> u32 {
        let unix_secs = self.now_unix_nanos() / 1_000_000_000;
        let secs = unix_secs.saturating_sub(CITRUSLEAF_EPOCH_SECS);
        u32::try_from(secs).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_citrusleaf_time() {
        let clock = Clock::new();
        let before = clock.now_citrusleaf_secs();
        clock.advance(3600);
        let after = clock.now_citrusleaf_secs();
        assert!(after >= before + 3600 && after <= before + 3602);
        assert_eq!(clock.offset_secs(), 3600);
    }

    #[test]
    fn citrusleaf_time_is_after_2024() {
        // 2024-01-01 is 441,763,200 s after the Aerospike epoch.
        assert!(Clock::new().now_citrusleaf_secs() > 441_763_200);
    }

    #[test]
    fn the_clock_never_moves_before_2010() {
        let clock = Clock::new();
        let back_to_2010 = i64::try_from((wall_unix_nanos() - EARLIEST_UNIX_NANOS) / 2).unwrap();
        assert!(clock.try_advance_nanos(-back_to_2010).is_ok());
        let err = clock.try_advance_nanos(-back_to_2010 * 2).unwrap_err();
        assert!(err.contains("before 2010-01-01"), "{err}");
        assert_eq!(clock.offset_nanos(), -back_to_2010, "a refused move changes nothing");
        assert!(check_offset_nanos(-back_to_2010).is_ok());
        assert!(check_offset_nanos(i64::MIN).is_err());
    }
}
