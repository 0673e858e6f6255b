//! `GET /graphql/ws`: subscriptions over graphql-transport-ws. The access token comes in
//! the `connection_init` payload (`{"authorization": "Bearer …"}`); without a valid one the
//! connection is refused.

use async_graphql::{Data, ErrorExtensions, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    response::Response,
};

use super::HttpState;
use crate::{auth::Auth, service::session};

pub async fn graphql_ws(
    State(state): State<HttpState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let app = state.app.clone();
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        GraphQLWebSocket::new(stream, state.ws_schema.clone(), protocol)
            .on_connection_init(move |payload| async move {
                let header = payload
                    .get("authorization")
                    .or_else(|| payload.get("Authorization"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                match session::authenticate(&app, header.as_deref()).await {
                    Ok(Auth::Staff(viewer)) => {
                        let mut data = Data::default();
                        data.insert(Auth::Staff(viewer));
                        Ok(data)
                    }
                    _ => Err(async_graphql::Error::new("not signed in, or the session has ended")
                        .extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))),
                }
            })
            .serve()
    })
}
