//! Fault injection: a share of answers replaced by a token error, a quota error, "system busy"
//! or an HTTP 5xx, and added latency. One random draw per API request, from a seeded generator
//! when a seed is given, so a run can be repeated exactly.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Fault rates (each 0.0..=1.0; together at most 1.0) and latency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Share of `access_token` calls answered 40001 (the token is treated as invalid).
    pub rate_40001: f64,
    /// Share of calls answered 45009 (daily quota exhausted).
    pub rate_45009: f64,
    /// Share of calls answered -1 (system busy).
    pub rate_busy: f64,
    /// Share of calls answered HTTP 503 with no JSON.
    pub rate_5xx: f64,
    /// Added to every API answer.
    pub latency: Duration,
    /// Seed of the fault draws; `None` draws from entropy.
    pub seed: Option<u64>,
}

impl Faults {
    /// Checks that every rate is within 0..=1 and that they add up to at most 1.
    pub fn validate(&self) -> Result<(), String> {
        let rates = [
            ("--fail-rate-40001", self.rate_40001),
            ("--fail-rate-45009", self.rate_45009),
            ("--fail-rate-busy", self.rate_busy),
            ("--fail-rate-5xx", self.rate_5xx),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        let total: f64 = rates.iter().map(|(_, r)| r).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("the fault rates add up to {total}, more than 1"));
        }
        Ok(())
    }

    /// Whether any fault or latency is configured.
    pub fn any(&self) -> bool {
        self.rate_40001 + self.rate_45009 + self.rate_busy + self.rate_5xx > 0.0
            || !self.latency.is_zero()
    }
}

/// An injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// errcode 40001.
    InvalidToken,
    /// errcode 45009.
    Quota,
    /// errcode -1.
    Busy,
    /// HTTP 503.
    Unavailable,
}

impl Fault {
    /// Short name, for the journal.
    pub fn name(self) -> &'static str {
        match self {
            Fault::InvalidToken => "40001",
            Fault::Quota => "45009",
            Fault::Busy => "-1",
            Fault::Unavailable => "503",
        }
    }
}

/// The generator the draws come from.
pub struct Dice {
    faults: Faults,
    rng: StdRng,
}

impl Dice {
    /// A generator for `faults`, seeded when they say so.
    pub fn new(faults: Faults) -> Self {
        let rng = match faults.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Dice { faults, rng }
    }

    /// The configured latency.
    pub fn latency(&self) -> Duration {
        self.faults.latency
    }

    /// Draws the fault of one request, if any. `token_call` says whether the call carries an
    /// access token (only those can get 40001). Draws even when no rate is set, so a sequence
    /// depends only on the seed and the number of requests.
    pub fn draw(&mut self, token_call: bool) -> Option<Fault> {
        let f = &self.faults;
        let roll: f64 = self.rng.random();
        let mut edge = 0.0;
        for (rate, fault) in [
            (f.rate_5xx, Fault::Unavailable),
            (f.rate_busy, Fault::Busy),
            (f.rate_45009, Fault::Quota),
            (f.rate_40001, Fault::InvalidToken),
        ] {
            edge += rate;
            if roll < edge {
                return (fault != Fault::InvalidToken || token_call).then_some(fault);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_checked() {
        let mut f = Faults {
            rate_5xx: 0.6,
            rate_busy: 0.6,
            ..Faults::default()
        };
        assert!(f.validate().is_err());
        f.rate_busy = -0.1;
        assert!(f.validate().is_err());
        f.rate_busy = 0.4;
        assert!(f.validate().is_ok());
    }

    #[test]
    fn a_seed_repeats_the_sequence_and_rates_hold_roughly() {
        let faults = Faults {
            rate_busy: 0.3,
            seed: Some(42),
            ..Faults::default()
        };
        let run = |n| {
            let mut dice = Dice::new(faults.clone());
            (0..n).map(|_| dice.draw(true)).collect::<Vec<_>>()
        };
        let (a, b) = (run(1000), run(1000));
        assert_eq!(a, b);
        let busy = a.iter().filter(|f| **f == Some(Fault::Busy)).count();
        assert!((200..400).contains(&busy), "{busy} of 1000 at rate 0.3");
    }

    #[test]
    fn token_errors_only_for_token_calls() {
        let mut dice = Dice::new(Faults {
            rate_40001: 1.0,
            seed: Some(1),
            ..Faults::default()
        });
        assert_eq!(dice.draw(false), None);
        assert_eq!(dice.draw(true), Some(Fault::InvalidToken));
    }
}
