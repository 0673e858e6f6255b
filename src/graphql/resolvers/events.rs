use async_graphql::{Context, Subscription};

use crate::graphql::error::Result;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::{
    graphql::{
        context::{AuditTrail, ContextExt},
        types::events::CaseloadEvent,
    },
    service::{self, audit},
};

#[derive(Default)]
pub struct Subscription;

/// Live updates over `GET /graphql/ws` (graphql-transport-ws), with the access token in
/// `connection_init`. The socket closes 4401 when the token is missing or invalid, 4403 when
/// the role may not subscribe, and the subscription ends with the session.
#[Subscription]
impl Subscription {
    /// Changes to the clients the subscriber may see, as they happen: admissions, stage
    /// moves, discharges, referrals, attendance, follow-ups. Each event is checked against
    /// the subscriber's current scope and session before it is sent, and each one sent is
    /// a read in the audit trail.
    async fn caseload_events(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = CaseloadEvent> + use<>> {
        let viewer = ctx.viewer()?.clone();
        viewer.require_clinical()?;
        let state = ctx.state()?.clone();
        let receiver = state.events.subscribe();
        let trail = ctx.data_opt::<AuditTrail>().cloned().unwrap_or_default();
        let seed = (receiver, state, viewer, trail);
        Ok(futures_util::stream::unfold(seed, |(mut receiver, state, viewer, trail)| async move {
            let mut shutdown = state.shutdown.subscribe();
            loop {
                let next = tokio::select! {
                    next = receiver.recv() => next,
                    // The server is stopping: end the stream, which sends `complete`.
                    _ = shutdown.wait_for(|s| *s) => return None,
                };
                match next {
                    Ok(event) => match service::session::may_still_see(&state, &viewer, event.client_id).await {
                        Ok(Some(true)) => {
                            let read =
                                audit::Event::by(&viewer, "read", Some(event.client_id), audit::AuditOutcome::Allowed)
                                    .with_field("caseloadEvents");
                            trail.push(read);
                            return Some((CaseloadEvent::new(event), (receiver, state, viewer, trail)));
                        }
                        Ok(Some(false)) => continue,
                        // The session has ended: end the stream.
                        Ok(None) => return None,
                        Err(_) => continue,
                    },
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a subscriber fell behind; events skipped");
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }))
    }
}
