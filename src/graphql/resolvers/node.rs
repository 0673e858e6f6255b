use async_graphql::{Context, ID, Object};

use crate::{
    graphql::{context::ContextExt, cursor::parse_id, error::Result, types::node::Node},
    service::node,
};

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any record by its id alone (Relay's refetch): `null` when absent or not visible to the
    /// caller, the same answer for both. Records of a client follow the client's visibility,
    /// and reading one is a read of that client in the audit trail.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An `id` of any type that implements `Node`.")] id: ID,
    ) -> Result<Option<Node>> {
        let viewer = ctx.viewer()?;
        let found = match parse_id(&id) {
            Some(id) => node::find(ctx.state()?, viewer, id).await?,
            None => None,
        };
        let Some(found) = found else {
            // Absent or not the caller's: noted like any refused lookup, with no client named.
            ctx.audit_denied("node", None);
            return Ok(None);
        };
        if let Some(client_id) = found.client_id() {
            ctx.audit_reads("node", [client_id]);
        }
        Ok(Some(found.into()))
    }
}
