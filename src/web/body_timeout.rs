//! A deadline for request bodies (`[http] body_timeout_seconds`, issue 10
//! finding 13). actix-web's `client_request_timeout` covers the request
//! head only: a client that sends the headers and half a multipart upload
//! and then stalls would hold its connection and a worker's read for as
//! long as the socket lives. [`with_deadline`] wraps the request's payload
//! so that reading it fails with [`PayloadError`] (timed out) once the
//! deadline has passed; the handler answers with an error, and actix closes
//! a connection whose body was not read to its end.

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Replaces the request's payload by one that ends in an error when the
/// whole body has not arrived within `limit` from now.
pub fn with_deadline(req: &mut ServiceRequest, limit: Duration) {
    let inner = req.take_payload();
    let timed = Deadline {
        inner,
        sleep: Box::pin(sleep(limit)),
        done: false,
    };
    req.set_payload(Payload::from(
        Box::pin(timed) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
}

/// Whether a payload error is the deadline's (for a 408 answer).
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.done = true;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}
