//! Which support groups fit a client, best first, and why. Eligibility is a rule, not a
//! score: every line below is one rule a counselor can read and check. The rules match on
//! the attributes every group in the directory carries (who it is open to, secular or not,
//! for co-occurring conditions, its substance focus, its languages), so a group the admin
//! adds is recommended on its merits, like the eight programs of the source text.
//!
//! 1. A group open to women only fits women only (men only: men only). Women for Sobriety
//!    is such a group.
//! 2. A group for co-occurring conditions (Dual Recovery Anonymous) fits clients with a
//!    co-occurring mental-health condition, and comes first for them.
//! 3. A preference for a secular approach puts the secular groups (SMART Recovery, SOS, and
//!    WFS for a woman) ahead of every 12-step group.
//! 4. A group with a substance focus fits when the client uses one of its substances: groups
//!    for drugs other than alcohol first, the narrower the focus the higher (CMA for
//!    methamphetamine and CA for cocaine above NA), then groups for alcohol (AA).
//! 5. A group open to any substance fits anyone as an alternative; secular ones say so.
//! 6. Meetings decide among the fits, keeping the order above within each tier: groups with
//!    meetings in the client's language first, then groups with meetings in other languages
//!    only, then groups with no meeting in the directory; each says which it is.
//!
//! Within one rule, groups open to one gender come before groups open to anyone, then the
//! directory's order (oldest first). Retired groups are not offered at all.

use async_graphql::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::{Gender, Substance};

/// Who may attend a group's meetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum GroupAudience {
    /// Open to every client, whatever their gender.
    #[sea_orm(string_value = "ANYONE")]
    Anyone,
    /// Open to women only (e.g. Women for Sobriety): never recommended to a client whose gender
    /// is not WOMAN.
    #[sea_orm(string_value = "WOMEN")]
    Women,
    /// Open to men only: never recommended to a client whose gender is not MAN.
    #[sea_orm(string_value = "MEN")]
    Men,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub gender: Option<Gender>,
    pub substances: Vec<Substance>,
    pub co_occurring: bool,
    pub prefers_secular: bool,
}

/// What the rules know of a group.
#[derive(Debug, Clone)]
pub struct Group<K> {
    pub key: K,
    pub open_to: GroupAudience,
    pub twelve_step: bool,
    pub secular: bool,
    pub co_occurring: bool,
    /// Empty: any substance.
    pub substance_focus: Vec<Substance>,
    /// Who it is for, in the directory's words ("anyone with a desire to stop drinking").
    pub audience: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit<K> {
    pub group: K,
    pub reasons: Vec<String>,
}

fn list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Where a fit goes: its rule, then (rule 4) alcohol-only last or (others) one gender
/// first, then the narrower focus, then the directory's order.
type Order = (u8, u8, usize, usize);

/// Ranks the groups that fit; the order of the result is the order to show. `groups` come
/// in the directory's order.
pub fn recommend<K: Clone>(profile: &Profile, groups: &[Group<K>]) -> Vec<Fit<K>> {
    let mut fits: Vec<(Order, Fit<K>)> = Vec::new();
    for (position, group) in groups.iter().enumerate() {
        let for_them = match group.open_to {
            GroupAudience::Anyone => true,
            GroupAudience::Women => profile.gender == Some(Gender::Woman),
            GroupAudience::Men => profile.gender == Some(Gender::Man),
        };
        if !for_them || (group.co_occurring && !profile.co_occurring) {
            continue;
        }
        let shared: Vec<Substance> =
            group.substance_focus.iter().copied().filter(|s| profile.substances.contains(s)).collect();
        if !group.substance_focus.is_empty() && shared.is_empty() {
            continue;
        }
        let audience = group.audience.trim();
        let about = |lead: &str| if audience.is_empty() { lead.to_owned() } else { format!("{lead}: {audience}") };
        let women = match group.open_to {
            GroupAudience::Women => "a program for women; ",
            GroupAudience::Men => "a program for men; ",
            GroupAudience::Anyone => "",
        };
        let (rule, reason) = if group.co_occurring {
            (
                2,
                "for people recovering from addiction together with a mental-health condition, as the client is"
                    .to_owned(),
            )
        } else if group.secular && profile.prefers_secular {
            (3, format!("{women}{}", about("a secular approach, as the client prefers")))
        } else if !shared.is_empty() {
            let names: Vec<&str> = shared.iter().map(|s| s.label()).collect();
            (4, format!("{women}focused on recovery from {}, which the client uses", list(&names)))
        } else if group.secular {
            (5, format!("{women}{}", about("a secular alternative to 12-step groups")))
        } else if group.twelve_step {
            (5, format!("{women}{}", about("a 12-step fellowship open to people recovering from any substance")))
        } else {
            (5, format!("{women}{}", about("a peer-support group open to people recovering from any substance")))
        };
        // Rule 4's order: drugs other than alcohol first, the narrower focus higher.
        let alcohol_only =
            !group.substance_focus.is_empty() && group.substance_focus.iter().all(|s| *s == Substance::Alcohol);
        let narrowness = if rule == 4 { group.substance_focus.len() } else { 0 };
        let one_gender = u8::from(group.open_to == GroupAudience::Anyone);
        let order = (rule, if rule == 4 { u8::from(alcohol_only) } else { one_gender }, narrowness, position);
        fits.push((order, Fit { group: group.key.clone(), reasons: vec![reason] }));
    }
    fits.sort_by_key(|(order, _)| *order);
    fits.into_iter().map(|(_, fit)| fit).collect()
}

/// The meetings a group has in the directory: in all, and in the client's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meetings {
    pub total: usize,
    pub in_language: usize,
}

/// Rule 6: a stable re-ranking of the fits by their meetings, each with a reason the
/// counselor can read to the client. `language` is the client's (primary subtag), if known.
pub fn rank_by_meetings<K>(
    fits: Vec<Fit<K>>,
    language: Option<&str>,
    meetings: impl Fn(&K) -> Meetings,
) -> Vec<Fit<K>> {
    let mut ranked: Vec<(u8, Fit<K>)> = fits
        .into_iter()
        .map(|mut fit| {
            let m = meetings(&fit.group);
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
    use Substance::*;

    /// The eight programs of the source text, with the attributes the directory gives them.
    fn directory() -> Vec<Group<&'static str>> {
        let drugs = vec![Benzodiazepines, Cannabis, Cocaine, Methamphetamine, Opioids, Other, OtherStimulants];
        let group = |key, open_to, secular: bool, co_occurring, focus: Vec<Substance>| Group {
            key,
            open_to,
            twelve_step: !secular,
            secular,
            co_occurring,
            substance_focus: focus,
            audience: String::new(),
        };
        vec![
            group("AA", GroupAudience::Anyone, false, false, vec![Alcohol]),
            group("NA", GroupAudience::Anyone, false, false, drugs),
            group("CA", GroupAudience::Anyone, false, false, vec![Cocaine]),
            group("CMA", GroupAudience::Anyone, false, false, vec![Methamphetamine]),
            group("DRA", GroupAudience::Anyone, false, true, vec![]),
            group("SMART", GroupAudience::Anyone, true, false, vec![]),
            group("SOS", GroupAudience::Anyone, true, false, vec![]),
            group("WFS", GroupAudience::Women, true, false, vec![]),
        ]
    }

    fn order(profile: Profile) -> Vec<&'static str> {
        recommend(&profile, &directory()).into_iter().map(|f| f.group).collect()
    }

    fn profile(gender: Gender, substances: &[Substance]) -> Profile {
        Profile { gender: Some(gender), substances: substances.to_vec(), co_occurring: false, prefers_secular: false }
    }

    #[test]
    fn a_secular_woman_drinking_gets_the_alternatives_above_aa() {
        let p = Profile { prefers_secular: true, ..profile(Gender::Woman, &[Alcohol]) };
        assert_eq!(order(p), ["WFS", "SMART", "SOS", "AA"]);
        assert_eq!(order(profile(Gender::Woman, &[Alcohol])), ["AA", "WFS", "SMART", "SOS"]);
    }

    #[test]
    fn wfs_only_for_women() {
        for g in [Gender::Man, Gender::NonBinary, Gender::Other, Gender::Undisclosed] {
            let p = Profile { prefers_secular: true, ..profile(g, &[Alcohol]) };
            assert!(!order(p).contains(&"WFS"));
        }
        let unknown = Profile { gender: None, ..profile(Gender::Woman, &[Alcohol]) };
        assert!(!order(unknown).contains(&"WFS"));
    }

    #[test]
    fn meetings_in_the_clients_language_rank_a_group_up_and_no_meetings_down() {
        let fits = recommend(&profile(Gender::Man, &[Cocaine, Alcohol]), &directory());
        assert_eq!(fits.iter().map(|f| f.group).collect::<Vec<_>>(), ["CA", "NA", "AA", "SMART", "SOS"]);
        let meetings = |abbr: &&str| match *abbr {
            "CA" => Meetings::default(),
            "NA" => Meetings { total: 3, in_language: 0 },
            "AA" => Meetings { total: 2, in_language: 1 },
            _ => Meetings::default(),
        };
        let ranked = rank_by_meetings(fits, Some("es"), meetings);
        assert_eq!(ranked.iter().map(|f| f.group).collect::<Vec<_>>(), ["AA", "NA", "CA", "SMART", "SOS"]);
        assert!(ranked[1].reasons.last().is_some_and(|r| r.contains("no meeting in the client's language (es)")));
        assert!(ranked[2].reasons.last().is_some_and(|r| r.contains("no meetings listed")));
    }

    #[test]
    fn substance_rules() {
        assert_eq!(order(profile(Gender::Man, &[Methamphetamine]))[..2], ["CMA", "NA"]);
        assert_eq!(order(profile(Gender::Man, &[Cocaine]))[..2], ["CA", "NA"]);
        assert_eq!(order(profile(Gender::Man, &[Cocaine, Methamphetamine, Alcohol]))[..4], ["CA", "CMA", "NA", "AA"]);
        let co = Profile { co_occurring: true, ..profile(Gender::Man, &[Opioids]) };
        assert_eq!(order(co)[0], "DRA");
        assert!(!order(profile(Gender::Man, &[Opioids])).contains(&"DRA"));
        let fits = recommend(&profile(Gender::Man, &[Cocaine, Opioids]), &directory());
        assert!(fits.iter().all(|f| f.reasons.len() == 1 && !f.reasons[0].contains('\n')));
        assert_eq!(fits[1].reasons[0], "focused on recovery from cocaine and opioids, which the client uses");
    }

    #[test]
    fn a_group_the_admin_adds_fits_on_its_attributes() {
        let mut groups = directory();
        groups.push(Group {
            key: "HER",
            open_to: GroupAudience::Women,
            twelve_step: false,
            secular: true,
            co_occurring: false,
            substance_focus: vec![],
            audience: "women rebuilding their lives without a higher power".into(),
        });
        let p = Profile { prefers_secular: true, ..profile(Gender::Woman, &[Alcohol]) };
        let fits = recommend(&p, &groups);
        assert_eq!(fits.iter().map(|f| f.group).collect::<Vec<_>>(), ["WFS", "HER", "SMART", "SOS", "AA"]);
        assert_eq!(
            fits[1].reasons[0],
            "a program for women; a secular approach, as the client prefers: women rebuilding their lives without a higher power"
        );
        assert!(!recommend(&profile(Gender::Man, &[Alcohol]), &groups).iter().any(|f| f.group == "HER"));
    }
}
