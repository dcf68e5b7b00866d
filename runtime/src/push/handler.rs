//! What the application provides: a [`Handler`] that turns a [`Push`] into a reply.

use std::future::Future;

use super::context::Context;
use super::open::Opened;
use super::{Format, Meta, Node, PushMessage, PushReply};
use crate::store::BoxFuture;

/// Answers pushes. Implemented for every `Fn(Push<M>) -> impl Future<Output = R>` that is
/// `Send + Sync + 'static`, so an async closure or an `async fn` is a handler:
///
/// ```ignore
/// let service = Service::builder("token").build(|push: Push<Message>| async move {
///     match push.message() {
///         Message::Text(text) => Reply::text(format!("you said {}", text.content)),
///         _ => Reply::Success,
///     }
/// })?;
/// ```
///
/// The handler is first polled on the request's task. Once it waits, it continues on its own
/// task: the request going away never cancels it, and it may outlive the deadline (see
/// [`ServiceBuilder::deadline`](super::ServiceBuilder::deadline)). What it does before its first
/// `.await` runs on the request's task, where the deadline cannot interrupt it: move slow
/// blocking work to `tokio::task::spawn_blocking`.
pub trait Handler<M, R>: Send + Sync + 'static {
    /// Handles one push.
    fn call(&self, push: Push<M>) -> BoxFuture<'static, R>;
}

impl<M, R, F, Fut> Handler<M, R> for F
where
    M: PushMessage,
    R: PushReply,
    F: Fn(Push<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    fn call(&self, push: Push<M>) -> BoxFuture<'static, R> {
        Box::pin(self(push))
    }
}

/// A verified, decoded push, as the handler receives it.
#[derive(Debug)]
pub struct Push<M> {
    pub(crate) opened: Opened<M>,
    pub(crate) context: Context,
}

impl<M> Push<M> {
    /// The decoded message.
    pub fn message(&self) -> &M {
        self.opened.message()
    }

    /// Takes the decoded message.
    pub fn into_message(self) -> M {
        self.opened.into_message()
    }

    /// The envelope fields (`ToUserName`, `FromUserName`, `MsgType`, `Event`…).
    pub fn meta(&self) -> &Meta {
        self.opened.meta()
    }

    /// The parsed (decrypted) push, with every field, including those the spec does not name.
    pub fn node(&self) -> &Node {
        self.opened.node()
    }

    /// Whether the push came encrypted.
    pub fn encrypted(&self) -> bool {
        self.opened.encrypted()
    }

    /// The format of the push, which the reply is written in.
    pub fn format(&self) -> Format {
        self.opened.format()
    }

    /// The conversation with this user: recent history and the handler's state.
    pub fn context(&self) -> &Context {
        &self.context
    }
}

/// A reply the handler produced after the deadline, when WeChat had already been answered
/// `success`. Send it with the customer-service message API, to `meta.from_user_name`.
#[derive(Debug)]
pub struct LateReply<R> {
    /// The envelope of the push it answers.
    pub meta: Meta,
    /// The reply.
    pub reply: R,
}
