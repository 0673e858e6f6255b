//! The TEDS extract: admission and discharge records of the caller's visible clients for a
//! range of dates, coded by `domain::teds`. Five statements whatever the range.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::ExprTrait};

use crate::{
    auth::Viewer,
    domain::{
        Placement,
        teds::{Intake, TedsAdmission, TedsDischarge, admission_record, discharge_record},
    },
    entity::episode,
    error::{AppError, AppResult},
    service::{loaders, scope},
    state::AppState,
};

#[derive(Debug, Clone, Default)]
pub struct TedsExtract {
    pub admissions: Vec<TedsAdmission>,
    pub discharges: Vec<TedsDischarge>,
}

/// Admissions and discharges whose date (in the program's time zone) falls in `from..=to`.
pub async fn extract(state: &AppState, viewer: &Viewer, from: NaiveDate, to: NaiveDate) -> AppResult<TedsExtract> {
    if to < from || (to - from).num_days() > 366 * 5 {
        return Err(AppError::bad_field("to", "`to` is on or after `from`, at most five years later"));
    }
    let start = super::report::local_midnight(state, from);
    let end = super::report::local_midnight(state, to + chrono::Days::new(1));
    let episodes = episode::Entity::find()
        .filter(episode::Column::ClientId.in_subquery(scope::visible_client_ids(viewer)?))
        .filter(
            sea_orm::Condition::any()
                .add(episode::Column::AdmittedAt.gte(start).and(episode::Column::AdmittedAt.lt(end)))
                .add(episode::Column::DischargedAt.gte(start).and(episode::Column::DischargedAt.lt(end))),
        )
        .order_by_asc(episode::Column::AdmittedAt)
        .order_by_asc(episode::Column::Id)
        .all(&state.db)
        .await?;
    let clients = loaders::clients(&state.db, &episodes.iter().map(|e| e.client_key()).collect::<Vec<_>>()).await?;
    let history = loaders::history_by_episode(&state.db, &episodes.iter().map(|e| e.key()).collect::<Vec<_>>()).await?;
    // Attendance of the discharged clients, for the self-help frequency before discharge.
    let discharged: Vec<_> = episodes.iter().filter(|e| e.discharged_at.is_some()).map(|e| e.client_key()).collect();
    let referrals = loaders::referrals_by_client(&state.db, &discharged).await?;
    let referral_keys: Vec<_> = referrals.values().flatten().map(|r| r.key()).collect();
    let attendance = loaders::attendance_by_referral(&state.db, &referral_keys).await?;
    let attended_by = |client: &crate::entity::Id<crate::entity::client::Entity>| -> Vec<NaiveDate> {
        referrals
            .get(client)
            .into_iter()
            .flatten()
            .flat_map(|r| attendance.get(&r.key()).into_iter().flatten().map(|a| a.attended_on))
            .collect()
    };

    let mut out = TedsExtract::default();
    for e in &episodes {
        let Some(client) = clients.get(&e.client_key()) else { continue };
        let admitted = state.local_date(e.admitted_at);
        let first = history.get(&e.key()).and_then(|h| h.first());
        let at_admission =
            first.map_or(Placement::new(e.stage, e.level_of_care), |h| Placement::new(h.to_stage, h.level_of_care));
        if admitted >= from && admitted <= to {
            let intake: Option<Intake> = e.intake.as_deref().and_then(|text| serde_json::from_str(text).ok());
            out.admissions.push(admission_record(
                e.id.to_string(),
                e.client_id.to_string(),
                admitted,
                client.date_of_birth,
                client.gender,
                at_admission,
                intake.as_ref(),
            ));
        }
        if let (Some(at), Some(why)) = (e.discharged_at, e.discharge_reason) {
            let discharged = state.local_date(at);
            if discharged >= from && discharged <= to {
                let days = attended_by(&e.client_key());
                out.discharges.push(discharge_record(
                    e.id.to_string(),
                    e.client_id.to_string(),
                    admitted,
                    discharged,
                    Placement::new(e.stage, e.level_of_care),
                    why,
                    &days,
                ));
            }
        }
    }
    out.discharges.sort_by(|a, b| (&a.disch_date, &a.case_id).cmp(&(&b.disch_date, &b.case_id)));
    Ok(out)
}
