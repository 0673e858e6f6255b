//! Support-group recommendations for a client: the rules of `domain::recommend` applied to
//! the groups in the directory that are not retired, with their meetings that still run
//! (the client's language first).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    auth::Viewer,
    domain::{
        client::{decode_substances, primary_language},
        recommend::{Group, Meetings, Profile, rank_by_meetings, recommend},
    },
    entity::{Id, meeting, support_group},
    error::AppResult,
    service::client::find_visible,
    state::AppState,
};

pub struct Recommendation {
    pub group: support_group::Model,
    pub reasons: Vec<String>,
    pub meetings: Vec<meeting::Model>,
}

/// What the rules match on, read off a directory row.
pub fn traits(group: &support_group::Model) -> Group<Id<support_group::Entity>> {
    Group {
        key: group.key(),
        open_to: group.open_to,
        twelve_step: group.twelve_step,
        secular: group.secular,
        co_occurring: group.co_occurring,
        substance_focus: decode_substances(&group.substance_focus),
        audience: group.audience.clone(),
    }
}

pub async fn for_client(state: &AppState, viewer: &Viewer, client_id: uuid::Uuid) -> AppResult<Vec<Recommendation>> {
    let client = find_visible(&state.db, viewer, client_id).await?;
    let groups = support_group::Entity::find()
        .filter(support_group::Column::RetiredAt.is_null())
        .order_by_asc(support_group::Column::Id)
        .all(&state.db)
        .await?;
    let profile = Profile {
        gender: client.gender,
        substances: decode_substances(&client.substances),
        co_occurring: client.co_occurring_mental_health,
        prefers_secular: client.prefers_secular,
    };
    let fits = recommend(&profile, &groups.iter().map(traits).collect::<Vec<_>>());
    let meetings = meeting::Entity::find()
        .filter(meeting::Column::SupportGroupId.is_in(fits.iter().map(|f| f.group.uuid())))
        .filter(meeting::Column::RetiredAt.is_null())
        .order_by_asc(meeting::Column::DayOfWeek)
        .order_by_asc(meeting::Column::StartTime)
        .all(&state.db)
        .await?;
    let language = client.language.as_deref().map(primary_language);
    let speaks = |m: &meeting::Model| language.as_ref().is_some_and(|l| primary_language(&m.language) == *l);
    let count = |group: &Id<support_group::Entity>| {
        let of_group = meetings.iter().filter(|m| m.group_key() == *group);
        Meetings { total: of_group.clone().count(), in_language: of_group.filter(|m| speaks(m)).count() }
    };
    let fits = rank_by_meetings(fits, language.as_deref(), count);

    Ok(fits
        .into_iter()
        .filter_map(|fit| {
            let group = groups.iter().find(|g| g.key() == fit.group)?.clone();
            let mut suitable: Vec<meeting::Model> =
                meetings.iter().filter(|m| m.group_key() == fit.group).cloned().collect();
            // Stable: the client's language first, then by day and time.
            suitable.sort_by_key(|m| !speaks(m));
            Some(Recommendation { group, reasons: fit.reasons, meetings: suitable })
        })
        .collect())
}
