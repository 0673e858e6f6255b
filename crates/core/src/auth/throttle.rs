//! Password-guess throttling, per node and in memory, for `login` and for the current
//! password of `changePassword`.
//!
//! An attempt is counted when it *starts*, under one lock, before the password is checked:
//! operations of one batch, or requests racing each other, cannot all slip past the limit
//! while the slow hash runs. A success takes its count back. Three limits apply:
//!
//! - per account and address: `limit` failures a minute (the common typo case);
//! - per address: 4 × `limit` a minute, whatever the accounts (password spraying);
//! - per account, from any address: after `limit` consecutive failures each further
//!   attempt must wait twice as long as the one before (1 s, 2 s, 4 s … up to `max_delay`,
//!   15 minutes by default). So one account takes at most about 20 guesses in its first
//!   hour and 4 an hour after that, well inside OWASP ASVS 2.2.1's 100 an hour, and a real
//!   user elsewhere waits seconds, not a lock-out. A success resets the count; a day without
//!   failures forgets it.
//!
//! Unknown emails are counted exactly like real ones, so the throttle does not tell which
//! accounts exist. Memory is bounded: past `MAX_KEYS` keys the idle ones are dropped.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration as StdDuration,
};

use chrono::{DateTime, Duration, Utc};

const WINDOW_SECS: i64 = 60;
const FORGET_AFTER_HOURS: i64 = 24;
/// Past this many keys, idle ones are swept; past it again, the stalest go.
const MAX_KEYS: usize = 50_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Attempt times in the last minute, per account and address, and per address.
    windows: HashMap<WindowKey, VecDeque<DateTime<Utc>>>,
    /// Consecutive failures per account, from any address.
    accounts: HashMap<String, Streak>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum WindowKey {
    AccountAtAddress(String, Option<IpAddr>),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Streak {
    failures: u32,
    last: DateTime<Utc>,
}

/// The settings the throttle is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub limit: u32,
    pub max_delay: StdDuration,
}

/// A counted attempt. Report [`Attempt::succeeded`] when the password was right; dropping
/// it otherwise leaves it counted as a failure.
#[must_use]
pub struct Attempt {
    throttle: Arc<LoginThrottle>,
    account: String,
    address: Option<IpAddr>,
    at: DateTime<Utc>,
    /// How many consecutive failures the account has, this one included.
    pub consecutive_failures: u32,
}

impl Attempt {
    pub fn succeeded(self) {
        let Ok(mut state) = self.throttle.state.lock() else { return };
        state.windows.remove(&WindowKey::AccountAtAddress(self.account.clone(), self.address));
        if let Some(ip) = self.address
            && let Some(times) = state.windows.get_mut(&WindowKey::Address(ip))
            && let Some(pos) = times.iter().rposition(|t| *t == self.at)
        {
            times.remove(pos);
        }
        state.accounts.remove(&self.account);
    }
}

fn seconds_until(at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    ((at - now).num_milliseconds().max(0) as u64).div_ceil(1000).max(1)
}

impl LoginThrottle {
    /// Counts an attempt on `account` from `address`, or says how many seconds to wait.
    pub fn begin(
        self: &Arc<Self>,
        account: &str,
        address: Option<IpAddr>,
        policy: Policy,
        now: DateTime<Utc>,
    ) -> Result<Attempt, u64> {
        let mut state = self.state.lock().map_err(|_| 1u64)?;
        state.sweep(now);
        let since = now - Duration::seconds(WINDOW_SECS);
        let mut keys = vec![(WindowKey::AccountAtAddress(account.to_owned(), address), policy.limit as usize)];
        if let Some(ip) = address {
            keys.push((WindowKey::Address(ip), policy.limit.saturating_mul(4) as usize));
        }
        let mut wait: Option<u64> = None;
        for (key, allowed) in &keys {
            if let Some(times) = state.windows.get_mut(key) {
                while times.front().is_some_and(|t| *t <= since) {
                    times.pop_front();
                }
                if times.len() >= *allowed {
                    let oldest = times.front().copied().unwrap_or(now);
                    let until = seconds_until(oldest + Duration::seconds(WINDOW_SECS), now);
                    wait = Some(wait.map_or(until, |w| w.max(until)));
                }
            }
        }
        let streak =
            state.accounts.get(account).copied().filter(|s| now - s.last < Duration::hours(FORGET_AFTER_HOURS));
        if let Some(streak) = streak
            && streak.failures >= policy.limit
        {
            let doublings = (streak.failures - policy.limit).min(30);
            let delay = StdDuration::from_secs(1u64 << doublings).min(policy.max_delay);
            let allowed_at = streak.last + Duration::from_std(delay).unwrap_or(Duration::MAX);
            if allowed_at > now {
                let until = seconds_until(allowed_at, now);
                wait = Some(wait.map_or(until, |w| w.max(until)));
            }
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in keys {
            state.windows.entry(key).or_default().push_back(now);
        }
        let failures = streak.map_or(0, |s| s.failures) + 1;
        state.accounts.insert(account.to_owned(), Streak { failures, last: now });
        Ok(Attempt {
            throttle: Arc::clone(self),
            account: account.to_owned(),
            address,
            at: now,
            consecutive_failures: failures,
        })
    }
}

impl State {
    fn sweep(&mut self, now: DateTime<Utc>) {
        if self.windows.len() + self.accounts.len() <= MAX_KEYS {
            return;
        }
        let since = now - Duration::seconds(WINDOW_SECS);
        self.windows.retain(|_, times| times.back().is_some_and(|t| *t > since));
        let forget = now - Duration::hours(FORGET_AFTER_HOURS);
        self.accounts.retain(|_, streak| streak.last > forget);
        if self.accounts.len() > MAX_KEYS / 2 {
            // Keep the most recent half: a flood of made-up emails cannot grow memory.
            let mut lasts: Vec<DateTime<Utc>> = self.accounts.values().map(|s| s.last).collect();
            lasts.sort_unstable();
            let cut = lasts[lasts.len() / 2];
            self.accounts.retain(|_, streak| streak.last > cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { limit: 5, max_delay: StdDuration::from_secs(900) };

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn attempts_count_before_the_password_is_checked() {
        let throttle = Arc::new(LoginThrottle::default());
        let t0 = Utc::now();
        // Ten attempts at once (a batch): only five are let through.
        let started: Vec<_> = (0..10).map(|_| throttle.begin("ann", ip("10.0.0.1"), POLICY, t0)).collect();
        assert_eq!(started.iter().filter(|a| a.is_ok()).count(), 5);
        let wait = started.iter().find_map(|a| a.as_ref().err().copied()).expect("throttled");
        assert!((1..=60).contains(&wait));
    }

    #[test]
    fn the_account_delay_grows_across_addresses_and_a_success_resets_it() {
        let throttle = Arc::new(LoginThrottle::default());
        let mut now = Utc::now();
        for i in 0..5 {
            assert!(throttle.begin("ann", ip(&format!("10.0.1.{i}")), POLICY, now).is_ok(), "attempt {i}");
        }
        // The sixth, from yet another address, must wait a second; then two, then four.
        for expected in [1, 2, 4, 8] {
            let wait = throttle.begin("ann", ip("10.0.2.1"), POLICY, now).err().expect("delayed");
            assert_eq!(wait, expected);
            now += Duration::seconds(expected as i64);
            assert!(throttle.begin("ann", ip("10.0.2.1"), POLICY, now).is_ok());
        }
        // Within an hour of guessing from many addresses, far fewer than 100 attempts pass.
        let mut passed = 9;
        let end = now + Duration::hours(1);
        let mut address = 0u32;
        while now < end {
            address += 1;
            if throttle.begin("ann", ip(&format!("10.1.{}.{}", address / 250, address % 250)), POLICY, now).is_ok() {
                passed += 1;
            }
            now += Duration::seconds(5);
        }
        assert!(passed < 30, "{passed} guesses passed in an hour");
        // The real user, once through the wait, signs in and starts from zero.
        now += Duration::seconds(900);
        let attempt = throttle.begin("ann", ip("10.9.9.9"), POLICY, now).expect("after the delay");
        attempt.succeeded();
        assert_eq!(throttle.begin("ann", ip("10.9.9.9"), POLICY, now).map(|a| a.consecutive_failures).ok(), Some(1));
    }

    #[test]
    fn another_address_is_not_locked_out_by_the_minute_limit() {
        let throttle = Arc::new(LoginThrottle::default());
        let t0 = Utc::now();
        for _ in 0..4 {
            let _ = throttle.begin("ann", ip("10.0.0.1"), POLICY, t0);
        }
        assert!(throttle.begin("ann", ip("10.0.0.2"), POLICY, t0).is_ok());
        assert!(throttle.begin("bob", ip("10.0.0.1"), POLICY, t0).is_ok());
    }
}
