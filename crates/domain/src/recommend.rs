//! Which support groups fit a client, best first, and why. Eligibility is a rule, not a
//! score: every line below is one rule a counselor can read and check.
//!
//! 1. Women for Sobriety only for women.
//! 2. A co-occurring mental-health condition puts Dual Recovery Anonymous first.
//! 3. A preference for a secular approach puts SMART Recovery and SOS (and WFS, for a
//!    woman) ahead of every 12-step group.
//! 4. Substance focus: CMA for methamphetamine, CA for cocaine, NA for drugs other than
//!    alcohol, AA for alcohol.
//! 5. SMART Recovery and SOS fit anyone as secular alternatives; WFS fits any woman.
//! 6. Meetings decide among the fits, keeping the order above within each tier: groups with
//!    meetings in the client's language first, then groups with meetings in other languages
//!    only, then groups with no meeting in the directory; each says which it is.
//!
//! Groups the admin added to the directory have no rule here and are not recommended.

use super::{Gender, Substance};

#[derive(Debug, Clone)]
pub struct Profile {
    pub gender: Option<Gender>,
    pub substances: Vec<Substance>,
    pub co_occurring: bool,
    pub prefers_secular: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    pub abbreviation: &'static str,
    pub reasons: Vec<String>,
}

/// Ranks the programs that fit; the order of the result is the order to show.
pub fn recommend(profile: &Profile) -> Vec<Fit> {
    let woman = profile.gender == Some(Gender::Woman);
    let uses = |s: Substance| profile.substances.contains(&s);
    let drugs_other_than_alcohol = profile.substances.iter().any(|s| *s != Substance::Alcohol);

    let mut fits: Vec<Fit> = Vec::new();
    let mut add =
        |abbreviation: &'static str, reason: String| match fits.iter_mut().find(|f| f.abbreviation == abbreviation) {
            Some(fit) => fit.reasons.push(reason),
            None => fits.push(Fit { abbreviation, reasons: vec![reason] }),
        };

    if profile.co_occurring {
        add("DRA", "for people recovering from addiction together with a mental-health condition".into());
    }
    let secular_alternatives = |add: &mut dyn FnMut(&'static str, String), preferred: bool| {
        let lead = if preferred {
            "a secular approach, as the client prefers"
        } else {
            "a secular alternative to 12-step groups"
        };
        if woman {
            add("WFS", format!("a program for women; {lead}"));
        }
        add("SMART", format!("{lead}: practical tools to change self-defeating thoughts and behaviour"));
        add("SOS", format!("{lead}: sobriety through rational thought and personal responsibility"));
    };
    if profile.prefers_secular {
        secular_alternatives(&mut add, true);
    }
    if uses(Substance::Methamphetamine) {
        add("CMA", "focused on recovery from crystal meth, which the client uses".into());
    }
    if uses(Substance::Cocaine) {
        add("CA", "focused on recovery from cocaine, which the client uses".into());
    }
    if drugs_other_than_alcohol {
        add("NA", "for recovery from drugs other than alcohol".into());
    }
    if uses(Substance::Alcohol) {
        add("AA", "for anyone with a desire to stop drinking".into());
    }
    if !profile.prefers_secular {
        secular_alternatives(&mut add, false);
    }
    fits
}

/// The meetings a group has in the directory: in all, and in the client's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meetings {
    pub total: usize,
    pub in_language: usize,
}

/// Rule 6: a stable re-ranking of the fits by their meetings, each with a reason the
/// counselor can read to the client. `language` is the client's (primary subtag), if known.
pub fn rank_by_meetings(fits: Vec<Fit>, language: Option<&str>, meetings: impl Fn(&str) -> Meetings) -> Vec<Fit> {
    let mut ranked: Vec<(u8, Fit)> = fits
        .into_iter()
        .map(|mut fit| {
            let m = meetings(fit.abbreviation);
            let tier = match (m.total, m.in_language, language) {
                (0, _, _) => {
                    fit.reasons.push("no meetings listed in the directory yet".into());
                    2
                }
                (_, 0, Some(language)) => {
                    fit.reasons.push(format!(
                        "no meeting in the client's language ({language}) in the directory; {} in other languages",
                        m.total
                    ));
                    1
                }
                (_, n, Some(language)) => {
                    fit.reasons.push(format!("{n} meeting(s) a week in the client's language ({language})"));
                    0
                }
                (total, _, None) => {
                    fit.reasons.push(format!("{total} meeting(s) a week in the directory"));
                    0
                }
            };
            (tier, fit)
        })
        .collect();
    ranked.sort_by_key(|(tier, _)| *tier);
    ranked.into_iter().map(|(_, fit)| fit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(profile: Profile) -> Vec<&'static str> {
        recommend(&profile).into_iter().map(|f| f.abbreviation).collect()
    }

    fn profile(gender: Gender, substances: &[Substance]) -> Profile {
        Profile { gender: Some(gender), substances: substances.to_vec(), co_occurring: false, prefers_secular: false }
    }

    #[test]
    fn a_secular_woman_drinking_gets_the_alternatives_above_aa() {
        let p = Profile { prefers_secular: true, ..profile(Gender::Woman, &[Substance::Alcohol]) };
        assert_eq!(order(p), ["WFS", "SMART", "SOS", "AA"]);
    }

    #[test]
    fn wfs_only_for_women() {
        for g in [Gender::Man, Gender::NonBinary, Gender::Other, Gender::Undisclosed] {
            let p = Profile { prefers_secular: true, ..profile(g, &[Substance::Alcohol]) };
            assert!(!order(p).contains(&"WFS"));
        }
        let unknown = Profile { gender: None, ..profile(Gender::Woman, &[Substance::Alcohol]) };
        assert!(!order(unknown).contains(&"WFS"));
    }

    #[test]
    fn meetings_in_the_clients_language_rank_a_group_up_and_no_meetings_down() {
        let fits = recommend(&profile(Gender::Man, &[Substance::Cocaine, Substance::Alcohol]));
        assert_eq!(fits.iter().map(|f| f.abbreviation).collect::<Vec<_>>(), ["CA", "NA", "AA", "SMART", "SOS"]);
        let meetings = |abbr: &str| match abbr {
            "CA" => Meetings::default(),
            "NA" => Meetings { total: 3, in_language: 0 },
            "AA" => Meetings { total: 2, in_language: 1 },
            _ => Meetings::default(),
        };
        let ranked = rank_by_meetings(fits, Some("es"), meetings);
        assert_eq!(ranked.iter().map(|f| f.abbreviation).collect::<Vec<_>>(), ["AA", "NA", "CA", "SMART", "SOS"]);
        assert!(ranked[1].reasons.last().is_some_and(|r| r.contains("no meeting in the client's language (es)")));
        assert!(ranked[2].reasons.last().is_some_and(|r| r.contains("no meetings listed")));
    }

    #[test]
    fn substance_rules() {
        assert_eq!(order(profile(Gender::Man, &[Substance::Methamphetamine]))[..2], ["CMA", "NA"]);
        assert_eq!(order(profile(Gender::Man, &[Substance::Cocaine]))[..2], ["CA", "NA"]);
        let co = Profile { co_occurring: true, ..profile(Gender::Man, &[Substance::Opioids]) };
        assert_eq!(order(co)[0], "DRA");
        assert!(recommend(&profile(Gender::Man, &[Substance::Alcohol])).iter().all(|f| !f.reasons.is_empty()));
    }
}
