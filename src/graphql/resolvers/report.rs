use async_graphql::{Context, ID, Object};

use crate::graphql::error::Result;

use super::guard::audited;
use crate::{
    graphql::{
        context::ContextExt,
        cursor::{require_id, target_id},
        scalars::Date,
        types::report::{FollowUpReport, ReferralReport, StageCount, SupportGroupRecommendation},
    },
    service::audit::Target,
    service::{recommend, report},
};

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Follow-ups due from `from` to `to` (inclusive), for the caller's visible clients, in
    /// total and per counselor. A counselor sees their own; a supervisor their team's; each
    /// with the clients under an emergency-access grant in force.
    async fn follow_up_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day of the range (the program's time zone).")] from: Date,
        #[graphql(desc = "The last day of the range, included.")] to: Date,
        #[graphql(desc = "SUPERVISOR: one counselor of the team instead of the whole team.")] counselor_id: Option<ID>,
    ) -> Result<FollowUpReport> {
        let viewer = ctx.viewer()?;
        let counselor_id = counselor_id.as_ref().map(|id| require_id(id, "counselorId")).transpose()?;
        let report = report::follow_up_report(ctx.state()?, viewer, from.0, to.0, counselor_id).await;
        let report = audited(ctx, "followUpReport", Target::Nothing, report).await?;
        ctx.audit_aggregate("followUpReport");
        Ok(FollowUpReport(report))
    }

    /// Referrals made from `from` to `to` (inclusive), per support group and per stage at referral.
    async fn referral_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day of the range (the program's time zone).")] from: Date,
        #[graphql(desc = "The last day of the range, included.")] to: Date,
    ) -> Result<ReferralReport> {
        let report = report::referral_report(ctx.state()?, ctx.viewer()?, from.0, to.0).await;
        let report = audited(ctx, "referralReport", Target::Nothing, report).await?;
        ctx.audit_aggregate("referralReport");
        Ok(ReferralReport(report))
    }

    /// The TEDS admission and discharge records of the caller's visible clients whose
    /// admission or discharge date falls from `from` to `to`. Each client in it is audited
    /// as read. Also at `GET /reports/teds-admissions.csv` and `/reports/teds-discharges.csv`.
    async fn teds_extract(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day of the range (the program's time zone).")] from: Date,
        #[graphql(desc = "The last day of the range, included; at most five years after `from`.")] to: Date,
    ) -> Result<crate::graphql::types::teds::TedsExtract> {
        let extract = crate::service::teds::extract(ctx.state()?, ctx.viewer()?, from.0, to.0).await;
        let extract = audited(ctx, "tedsExtract", Target::Nothing, extract).await?;
        let clients =
            extract.admissions.iter().map(|a| &a.client_id).chain(extract.discharges.iter().map(|d| &d.client_id));
        ctx.audit_reads("tedsExtract", clients.filter_map(|id| uuid::Uuid::parse_str(id).ok()));
        Ok(crate::graphql::types::teds::TedsExtract { admissions: extract.admissions, discharges: extract.discharges })
    }

    /// The caller's visible clients now in each stage.
    async fn stage_census(&self, ctx: &Context<'_>) -> Result<Vec<StageCount>> {
        let census =
            audited(ctx, "stageCensus", Target::Nothing, report::stage_census(ctx.state()?, ctx.viewer()?).await)
                .await?;
        ctx.audit_aggregate("stageCensus");
        Ok(census)
    }

    /// The support groups that fit the client, best first, each with its reasons.
    async fn recommend_support_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A client the caller may see.")] client_id: ID,
    ) -> Result<Vec<SupportGroupRecommendation>> {
        let viewer = ctx.viewer()?;
        let client_id = target_id(&client_id)?;
        let found = recommend::for_client(ctx.state()?, viewer, client_id).await;
        let found = audited(ctx, "recommendSupportGroups", Target::Client(client_id), found).await?;
        ctx.audit_reads("recommendSupportGroups", [client_id]);
        Ok(found.into_iter().map(SupportGroupRecommendation).collect())
    }
}
