//! Sign-in throttling, per node and in memory: failures per account *and* address, and per
//! address. Keying the account limit by address means an attacker elsewhere cannot lock a
//! real user out; the window is one minute, so nobody is locked out for long.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
};

use chrono::{DateTime, Duration, Utc};

const WINDOW_SECS: i64 = 60;
/// Past this many tracked keys, idle ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<DateTime<Utc>>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    AccountAtAddress(String, Option<IpAddr>),
    Address(IpAddr),
}

impl LoginThrottle {
    fn keys(account: &str, address: Option<IpAddr>) -> Vec<Key> {
        let mut keys = vec![Key::AccountAtAddress(account.to_owned(), address)];
        if let Some(ip) = address {
            keys.push(Key::Address(ip));
        }
        keys
    }

    /// `Some(seconds)` to wait when this account or address has failed too often.
    pub fn check(&self, account: &str, address: Option<IpAddr>, limit: u32, now: DateTime<Utc>) -> Option<u64> {
        let mut failures = self.failures.lock().ok()?;
        let since = now - Duration::seconds(WINDOW_SECS);
        Self::keys(account, address)
            .into_iter()
            .filter_map(|key| {
                let allowed = match key {
                    Key::AccountAtAddress(..) => limit,
                    Key::Address(_) => limit.saturating_mul(4),
                } as usize;
                let times = failures.get_mut(&key)?;
                while times.front().is_some_and(|t| *t <= since) {
                    times.pop_front();
                }
                (times.len() >= allowed).then(|| {
                    let oldest = times.front().copied().unwrap_or(now);
                    (oldest + Duration::seconds(WINDOW_SECS) - now).num_seconds().max(1) as u64
                })
            })
            .max()
    }

    pub fn failed(&self, account: &str, address: Option<IpAddr>, now: DateTime<Utc>) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() > SWEEP_AT {
            let since = now - Duration::seconds(WINDOW_SECS);
            failures.retain(|_, times| times.back().is_some_and(|t| *t > since));
        }
        for key in Self::keys(account, address) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    pub fn succeeded(&self, account: &str, address: Option<IpAddr>) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&Key::AccountAtAddress(account.to_owned(), address));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_a_minute_then_a_short_wait() {
        let throttle = LoginThrottle::default();
        let ip: Option<IpAddr> = "10.0.0.1".parse().ok();
        let t0 = Utc::now();
        for i in 0..5 {
            assert_eq!(throttle.check("ann", ip, 5, t0), None, "attempt {i}");
            throttle.failed("ann", ip, t0);
        }
        let wait = throttle.check("ann", ip, 5, t0).expect("throttled");
        assert!((1..=60).contains(&wait));
        // Another address is not locked out; nor is anyone after the window.
        assert_eq!(throttle.check("ann", "10.0.0.2".parse().ok(), 5, t0), None);
        assert_eq!(throttle.check("ann", ip, 5, t0 + Duration::seconds(61)), None);
    }
}
