//! Support-group recommendations for a client: the rules of `domain::recommend` applied to
//! the directory, with the meetings that suit (the client's language first).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    auth::Viewer,
    domain::{
        client::{decode_substances, primary_language},
        recommend::{Meetings, Profile, rank_by_meetings, recommend},
    },
    entity::{meeting, support_group},
    error::AppResult,
    service::client::find_visible,
    state::AppState,
};

pub struct Recommendation {
    pub group: support_group::Model,
    pub reasons: Vec<String>,
    pub meetings: Vec<meeting::Model>,
}

pub async fn for_client(state: &AppState, viewer: &Viewer, client_id: uuid::Uuid) -> AppResult<Vec<Recommendation>> {
    let client = find_visible(&state.db, viewer, client_id).await?;
    let fits = recommend(&Profile {
        gender: client.gender,
        substances: decode_substances(&client.substances),
        co_occurring: client.co_occurring_mental_health,
        prefers_secular: client.prefers_secular,
    });
    let abbreviations: Vec<&str> = fits.iter().map(|f| f.abbreviation).collect();
    let groups = support_group::Entity::find()
        .filter(support_group::Column::Abbreviation.is_in(abbreviations))
        .all(&state.db)
        .await?;
    let meetings = meeting::Entity::find()
        .filter(meeting::Column::SupportGroupId.is_in(groups.iter().map(|g| g.id)))
        .order_by_asc(meeting::Column::DayOfWeek)
        .order_by_asc(meeting::Column::StartTime)
        .all(&state.db)
        .await?;
    let language = client.language.as_deref().map(primary_language);
    let speaks = |m: &meeting::Model| language.as_ref().is_some_and(|l| primary_language(&m.language) == *l);
    let count = |abbreviation: &str| {
        let Some(group) = groups.iter().find(|g| g.abbreviation == abbreviation) else { return Meetings::default() };
        let of_group = meetings.iter().filter(|m| m.support_group_id == group.id);
        Meetings { total: of_group.clone().count(), in_language: of_group.filter(|m| speaks(m)).count() }
    };
    let fits = rank_by_meetings(fits, language.as_deref(), count);

    Ok(fits
        .into_iter()
        .filter_map(|fit| {
            let group = groups.iter().find(|g| g.abbreviation == fit.abbreviation)?.clone();
            let mut suitable: Vec<meeting::Model> =
                meetings.iter().filter(|m| m.support_group_id == group.id).cloned().collect();
            // Stable: the client's language first, then by day and time.
            suitable.sort_by_key(|m| !speaks(m));
            Some(Recommendation { group, reasons: fit.reasons, meetings: suitable })
        })
        .collect())
}
