//! `GET /graphql/ws`: subscriptions over graphql-transport-ws (and the older graphql-ws).
//!
//! The socket is for subscriptions only: queries and mutations go to `POST /graphql`, so
//! the sign-in throttle, the idempotency keys and the per-request audit flush have one
//! home. Every operation on the socket passes the same gate as a POST:
//!
//! - the page's `Origin` must be the server's own or one of `CONTINUUM_ALLOWED_ORIGINS`
//!   (a hostile page cannot ride a signed-in browser), checked before the upgrade;
//! - messages are bounded by `CONTINUUM_MAX_BODY_BYTES`, documents by [`admission`];
//! - the access token from `connection_init` is checked again, on the service clock, for
//!   **each** subscription (logout, deactivation, role change, idle and absolute limits);
//! - every event delivered is checked against the subscriber's scope at that moment and
//!   leaves a read event in the audit trail;
//! - a watchdog re-checks the credentials every `CHECK_EVERY` without counting as use, and
//!   closes the socket with 4401 once they no longer stand (logout, expiry, idle limit).

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Data, ErrorExtensions, Executor, Request, Response, ServerError,
    http::{WebSocket as GqlWebSocket, WebSocketProtocols, WsMessage},
};
use axum::{
    Extension,
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use futures_util::{SinkExt, StreamExt, stream::BoxStream};

use super::{HttpState, origin, scope::RequestScope};
use crate::{
    auth::Auth,
    error::AppError,
    graphql::{
        admission::{self, OperationKind},
        context::ClientAddress,
    },
    http::request::RequestId,
    service::session,
};

/// How often an open socket's credentials are checked again.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// graphql-transport-ws: a client that does not send `connection_init` in time is closed.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Close codes of graphql-transport-ws.
const UNAUTHORIZED: u16 = 4401;
const FORBIDDEN: u16 = 4403;
const INIT_TIMED_OUT: u16 = 4408;

pub async fn graphql_ws(
    State(state): State<HttpState>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    if !origin::allowed(&state.app.config, &headers) {
        return (StatusCode::FORBIDDEN, "this origin may not open a socket here\n").into_response();
    }
    let Some(protocol) = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| p.trim().parse::<WebSocketProtocols>().ok()))
    else {
        return (StatusCode::BAD_REQUEST, "Sec-WebSocket-Protocol must be graphql-transport-ws\n").into_response();
    };
    let max = state.app.config.limits.max_body_bytes;
    upgrade
        .protocols([protocol.sec_websocket_protocol()])
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(socket, state, protocol, address))
}

/// What one socket knows about its caller.
struct SocketSession {
    /// The `Authorization` value from `connection_init`.
    authorization: Mutex<Option<String>>,
    address: ClientAddress,
    open_subscriptions: AtomicUsize,
    /// The close code to use when the protocol library closes the socket on our refusal.
    close_code: Mutex<Option<u16>>,
}

impl SocketSession {
    fn authorization(&self) -> Option<String> {
        self.authorization.lock().ok().and_then(|a| a.clone())
    }

    fn refuse(&self, code: u16) {
        if let Ok(mut slot) = self.close_code.lock() {
            *slot = Some(code);
        }
    }

    fn close_code(&self) -> Option<u16> {
        self.close_code.lock().ok().and_then(|c| *c)
    }
}

async fn serve(socket: WebSocket, state: HttpState, protocol: WebSocketProtocols, address: ClientAddress) {
    let session = Arc::new(SocketSession {
        authorization: Mutex::new(None),
        address,
        open_subscriptions: AtomicUsize::new(0),
        close_code: Mutex::new(None),
    });
    let (mut sink, incoming) = socket.split();
    let input = incoming.take_while(|message| futures_util::future::ready(message.is_ok())).filter_map(|message| {
        futures_util::future::ready(match message {
            Ok(Message::Text(text)) => Some(axum::body::Bytes::from(text)),
            Ok(Message::Binary(bytes)) => Some(bytes),
            _ => None,
        })
    });
    let executor = GuardedSocket { http: state.clone(), session: session.clone() };
    let init = {
        let (app, session) = (state.app.clone(), session.clone());
        move |payload: serde_json::Value| async move {
            let header = payload
                .get("authorization")
                .or_else(|| payload.get("Authorization"))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            match session::authenticate(&app, header.as_deref()).await {
                // Subscriptions carry client events: treatment staff only.
                Ok(Auth::Staff(viewer)) if viewer.require_clinical().is_err() => {
                    session.refuse(FORBIDDEN);
                    Err(async_graphql::Error::new("administrators have no access to client records"))
                }
                Ok(Auth::Staff(_)) => {
                    if let Ok(mut slot) = session.authorization.lock() {
                        *slot = header;
                    }
                    Ok(Data::default())
                }
                Ok(auth) => {
                    session.refuse(UNAUTHORIZED);
                    let problem = match auth {
                        Auth::Rejected(problem) => problem,
                        _ => crate::auth::TokenProblem::Missing,
                    };
                    Err(async_graphql::Error::new(AppError::Unauthenticated(problem).public_message()))
                }
                Err(err) => Err(async_graphql::Error::new(err.public_message())),
            }
        }
    };
    let mut messages = GqlWebSocket::new(executor, input, protocol).on_connection_init(init);
    let mut watchdog = tokio::time::interval(CHECK_EVERY);
    watchdog.tick().await;
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let close = |code: u16, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    loop {
        let outgoing = tokio::select! {
            message = messages.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => {
                    let _ = sink.send(close(session.close_code().unwrap_or(code), &reason)).await;
                    break;
                }
                None => break,
            },
            () = &mut init_deadline, if session.authorization().is_none() => {
                let _ = sink.send(close(INIT_TIMED_OUT, "connection initialisation timeout")).await;
                break;
            }
            _ = watchdog.tick() => {
                let Some(header) = session.authorization() else { continue };
                match session::still_valid(&state.app, &header).await {
                    Ok(false) => {
                        let _ = sink.send(close(UNAUTHORIZED, "the session has ended")).await;
                        break;
                    }
                    // A database hiccup is no reason to drop a subscriber: check again later.
                    Ok(true) | Err(_) => continue,
                }
            }
        };
        if sink.send(outgoing).await.is_err() {
            break;
        }
    }
}

/// Runs each socket operation through the same gate as `POST /graphql`.
#[derive(Clone)]
struct GuardedSocket {
    http: HttpState,
    session: Arc<SocketSession>,
}

fn error_response(err: AppError) -> Response {
    let err = crate::graphql::error::to_graphql(err);
    Response::from_errors(vec![err.into_server_error(async_graphql::Pos::default())])
}

fn refused(error: ServerError) -> BoxStream<'static, Response> {
    futures_util::stream::once(async move { Response::from_errors(vec![error]) }).boxed()
}

/// Takes a subscription's slot back when its stream ends or is dropped.
struct Slot(Arc<SocketSession>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open_subscriptions.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Executor for GuardedSocket {
    async fn execute(&self, _request: Request) -> Response {
        error_response(AppError::bad_input("send queries and mutations to POST /graphql"))
    }

    fn execute_stream(&self, mut request: Request, _connection: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let (http, session) = (self.http.clone(), self.session.clone());
        let limits = http.app.config.limits;
        match admission::admit(&mut request, &limits) {
            Ok(OperationKind::Subscription) => {}
            Ok(_) => {
                return refused(
                    async_graphql::Error::new(
                        "this socket serves subscriptions only; send queries and mutations to POST /graphql",
                    )
                    .extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
                    .into_server_error(async_graphql::Pos::default()),
                );
            }
            Err(error) => return refused(error),
        }
        if session.open_subscriptions.fetch_add(1, Ordering::SeqCst) >= limits.max_subscriptions_per_socket {
            session.open_subscriptions.fetch_sub(1, Ordering::SeqCst);
            return refused(
                async_graphql::Error::new(format!(
                    "a socket holds at most {} subscriptions",
                    limits.max_subscriptions_per_socket
                ))
                .extend_with(|_, e| {
                    e.set("code", "BAD_USER_INPUT");
                    e.set("limit", "CONTINUUM_MAX_SUBSCRIPTIONS_PER_SOCKET");
                })
                .into_server_error(async_graphql::Pos::default()),
            );
        }
        let slot = Slot(session.clone());
        futures_util::stream::once(async move {
            // Each subscription is a use of the session: checked again now, on the service clock.
            let request_id = RequestId(uuid::Uuid::now_v7().to_string());
            let mut scope = RequestScope::subscription(request_id, session.address);
            let header = session.authorization();
            let refused = match scope.authenticate(&http.app, header.as_deref()).await {
                Ok(()) if scope.viewer().is_ok() => None,
                Ok(()) => {
                    session.refuse(UNAUTHORIZED);
                    scope.viewer().err()
                }
                Err(err) => Some(err),
            };
            if let Some(err) = refused {
                return futures_util::stream::once(async move { error_response(err) }).boxed();
            }
            let mut request = request;
            let plan = Arc::new(super::graphql::plan_of(&mut request));
            let request = scope.attach_one(request);
            let app = http.app.clone();
            let scope = Arc::new(scope);
            http.schema
                .execute_stream(request)
                .then(move |mut response| {
                    let (app, scope, plan) = (app.clone(), scope.clone(), plan.clone());
                    async move {
                        // Nothing read leaves without its audit events on record.
                        if let Err(err) = scope.finish(&app).await {
                            return Some(error_response(err));
                        }
                        super::graphql::add_default_codes(&mut response);
                        if let Some(plan) = plan.as_ref() {
                            plan.apply(&mut response.data);
                        }
                        Some(response)
                    }
                })
                .chain(futures_util::stream::once(async move {
                    drop(slot);
                    None
                }))
                .filter_map(|r| async move { r })
                .boxed()
        })
        .flatten()
        .boxed()
    }
}
