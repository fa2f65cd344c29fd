//! A circuit breaker per upstream: after `failure_threshold` consecutive failures it opens and
//! calls fail at once (no waiting on a dead upstream); after `cooldown` it half-opens and lets
//! one probe through: a success closes it, a failure opens it again.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long the circuit stays open before a probe is allowed.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cooldown: Duration::from_secs(10),
        }
    }
}

/// What the breaker is doing, for logs, metrics and readiness bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    /// Every state: a metric writes each, 1 for the current one, so every series always
    /// exists and `== 1` selects the state.
    pub const ALL: [Self; 3] = [Self::Closed, Self::Open, Self::HalfOpen];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

/// Permission for one call. Report the outcome with [`Permit::success`] or
/// [`Permit::failure`]; a permit dropped without either (a cancelled call) counts as a failure,
/// so a half-open probe can never get stuck.
#[derive(Debug)]
#[must_use = "report the outcome of the call"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    done: bool,
}

impl Permit<'_> {
    pub fn success(mut self) {
        self.done = true;
        self.breaker.record(true);
    }

    pub fn failure(mut self) {
        self.done = true;
        self.breaker.record(false);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.record(false);
        }
    }
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    /// A permit when a call may go out now; `None` while the circuit is open (or a half-open
    /// probe is already in flight).
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match *inner {
            Inner::Closed { .. } => {}
            Inner::Open { until } if Instant::now() >= until => *inner = Inner::HalfOpen,
            Inner::Open { .. } | Inner::HalfOpen => return None,
        }
        Some(Permit {
            breaker: self,
            done: false,
        })
    }

    pub fn state(&self) -> BreakerState {
        match *self.inner.lock().unwrap_or_else(PoisonError::into_inner) {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::Open { until } if Instant::now() >= until => BreakerState::HalfOpen,
            Inner::Open { .. } => BreakerState::Open,
            Inner::HalfOpen => BreakerState::HalfOpen,
        }
    }

    fn record(&self, success: bool) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let next = match (&*inner, success) {
            (_, true) => Inner::Closed { failures: 0 },
            (Inner::Closed { failures }, false) if failures + 1 < self.config.failure_threshold => {
                Inner::Closed {
                    failures: failures + 1,
                }
            }
            (Inner::Closed { .. } | Inner::HalfOpen, false) => {
                tracing::warn!(
                    cooldown_ms = self.config.cooldown.as_millis(),
                    "circuit opened"
                );
                Inner::Open {
                    until: Instant::now() + self.config.cooldown,
                }
            }
            // A late failure of a call started before the circuit opened changes nothing.
            (Inner::Open { until }, false) => Inner::Open { until: *until },
        };
        *inner = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(cooldown: Duration) -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig {
            failure_threshold: 3,
            cooldown,
        })
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = breaker(Duration::from_mins(1));
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().success();
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Closed);
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.try_acquire().is_none(), "an open circuit fails fast");
    }

    #[test]
    fn half_opens_after_cooldown_and_lets_one_probe_through() {
        let b = breaker(Duration::from_millis(20));
        for _ in 0..3 {
            b.try_acquire().unwrap().failure();
        }
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let probe = b.try_acquire().expect("one probe");
        assert!(b.try_acquire().is_none(), "only one probe at a time");
        probe.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn failed_or_abandoned_probe_reopens() {
        let b = breaker(Duration::from_millis(20));
        for _ in 0..3 {
            b.try_acquire().unwrap().failure();
        }
        std::thread::sleep(Duration::from_millis(30));
        drop(b.try_acquire().expect("probe"));
        assert_eq!(b.state(), BreakerState::Open);
    }
}
