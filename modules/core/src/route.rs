//! Message routing for [`crate::Module`] implementations: each module declares its messages
//! once, as a [`MsgRouter`] table (type URL → signer field → handler → response type URL), and
//! answers `msg_signer` and `deliver` from it, instead of two hand-written `match`es that decode,
//! parse the signer and encode the response the same way in every module.
//!
//! ```text
//! const ROUTER: MsgRouter = MsgRouter {
//!     module: "slashing",
//!     invalid_signer: |field, reason| SlashingError::InvalidField { field, reason }.into(),
//!     routes: &[&MsgRoute::of(MSG_UNJAIL, handlers::unjail, MSG_UNJAIL_RESPONSE)
//!         .signed_by("operator", |m| &m.operator)],
//! };
//! ```

use cosmos_sdk_proto::Any;

use crate::address::Address;
use crate::context::Context;
use crate::error::{AbciCode, ModuleError};
use crate::module::{decode_any, encode_any, unknown_msg};

/// Builds a module's typed error for a signer field that is not a valid address
/// (`field` names the message field, `reason` says why it did not parse).
pub type InvalidSigner = fn(field: &'static str, reason: String) -> ModuleError;

/// A message handler: executes a decoded message and returns its typed response.
pub type Handler<M, R, E> = fn(&mut Context<'_>, &M) -> Result<R, E>;

/// One message a module handles, independent of its types (so a module's routes fit in one
/// table). Implemented by [`MsgRoute`].
pub trait Route: Sync {
    /// The message's type URL.
    fn type_url(&self) -> &'static str;

    /// The type URL its response is encoded under.
    fn response_type_url(&self) -> &'static str;

    /// Decodes `msg` and parses its signer field into an address.
    fn signer(&self, msg: &Any, invalid: InvalidSigner) -> Result<Address, ModuleError>;

    /// Decodes `msg`, runs the handler and encodes its response.
    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError>;
}

/// The route of protobuf message `M`: its type URL, the field that holds its signer, its
/// handler and the type URL its response `R` is encoded under.
pub struct MsgRoute<M, R, E> {
    type_url: &'static str,
    handler: Handler<M, R, E>,
    response_type_url: &'static str,
    signer_field: &'static str,
    signer: fn(&M) -> &str,
}

impl<M, R, E> MsgRoute<M, R, E> {
    /// The route of messages under `type_url`, executed by `handler`, whose response is
    /// encoded under `response_type_url`; complete it with [`UnsignedRoute::signed_by`].
    pub const fn of(
        type_url: &'static str,
        handler: Handler<M, R, E>,
        response_type_url: &'static str,
    ) -> UnsignedRoute<M, R, E> {
        UnsignedRoute {
            type_url,
            handler,
            response_type_url,
        }
    }
}

/// A [`MsgRoute`] that does not say yet who signs its message (it is not a [`Route`], so a
/// table cannot forget the signer).
pub struct UnsignedRoute<M, R, E> {
    type_url: &'static str,
    handler: Handler<M, R, E>,
    response_type_url: &'static str,
}

impl<M, R, E> UnsignedRoute<M, R, E> {
    /// Names the field that must hold the signer's address: `field` is reported when the
    /// address does not parse, `get` reads it.
    pub const fn signed_by(self, field: &'static str, get: fn(&M) -> &str) -> MsgRoute<M, R, E> {
        MsgRoute {
            type_url: self.type_url,
            handler: self.handler,
            response_type_url: self.response_type_url,
            signer_field: field,
            signer: get,
        }
    }
}

impl<M, R, E> Route for MsgRoute<M, R, E>
where
    M: prost::Message + Default,
    R: prost::Message,
    E: AbciCode,
{
    fn type_url(&self) -> &'static str {
        self.type_url
    }

    fn response_type_url(&self) -> &'static str {
        self.response_type_url
    }

    fn signer(&self, msg: &Any, invalid: InvalidSigner) -> Result<Address, ModuleError> {
        let m: M = decode_any(msg, self.type_url)?;
        Address::parse((self.signer)(&m)).map_err(|e| invalid(self.signer_field, e.to_string()))
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        let m: M = decode_any(msg, self.type_url)?;
        let response = (self.handler)(ctx, &m)?;
        Ok(encode_any(&response, self.response_type_url))
    }
}

/// A module's message table: what `Module::msg_signer` and `Module::deliver` answer from.
pub struct MsgRouter {
    /// The module's name (reported for a type URL it does not route).
    pub module: &'static str,
    /// The module's error for a signer field that is not an address.
    pub invalid_signer: InvalidSigner,
    /// One route per message type URL the module handles.
    pub routes: &'static [&'static dyn Route],
}

impl MsgRouter {
    /// A table with no routes (a module without messages): every message is unknown, so no
    /// signer is ever parsed (`invalid_signer` is the SDK's invalid-address error, unused).
    pub const fn empty(module: &'static str) -> Self {
        Self {
            module,
            invalid_signer: |field, reason| {
                ModuleError::new("sdk", 7, format!("invalid {field}: {reason}"))
            },
            routes: &[],
        }
    }

    /// The route of `type_url` (`sdk` code 6 when this module does not handle it: the app
    /// only routes a module's own URLs, so that is a routing bug, reported not panicked).
    fn route(&self, type_url: &str) -> Result<&'static dyn Route, ModuleError> {
        self.routes
            .iter()
            .copied()
            .find(|r| r.type_url() == type_url)
            .ok_or_else(|| unknown_msg(self.module, type_url))
    }

    /// The address that must have signed `msg` (see `Module::msg_signer`).
    pub fn signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        self.route(&msg.type_url)?.signer(msg, self.invalid_signer)
    }

    /// Executes `msg` and returns its response (see `Module::deliver`).
    pub fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        self.route(&msg.type_url)?.deliver(ctx, msg)
    }

    /// True when this table routes exactly `type_urls` (in that order), the list the module
    /// reports as `Module::msg_type_urls`; for the modules' tests.
    pub fn routes_exactly(&self, type_urls: &[&str]) -> bool {
        self.routes.len() == type_urls.len()
            && self
                .routes
                .iter()
                .zip(type_urls)
                .all(|(r, url)| r.type_url() == *url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::BlockInfo;
    use crate::gas::GasMeter;
    use cosmwasm_std::testing::MockStorage;
    use std::fmt;

    /// A test message: `who` signs, `n` is echoed back by the handler.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Ping {
        #[prost(string, tag = "1")]
        who: String,
        #[prost(uint64, tag = "2")]
        n: u64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    struct Pong {
        #[prost(uint64, tag = "1")]
        n: u64,
    }

    #[derive(Debug)]
    struct TestError(String);

    impl fmt::Display for TestError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl AbciCode for TestError {
        fn codespace(&self) -> &'static str {
            "test"
        }
        fn code(&self) -> u32 {
            7
        }
    }

    fn pong(_ctx: &mut Context<'_>, m: &Ping) -> Result<Pong, TestError> {
        if m.n == 0 {
            return Err(TestError("zero".into()));
        }
        Ok(Pong { n: m.n })
    }

    const ROUTER: MsgRouter = MsgRouter {
        module: "test",
        invalid_signer: |field, reason| ModuleError::new("test", 3, format!("{field}: {reason}")),
        routes: &[&MsgRoute::of("/t.Ping", pong, "/t.Pong").signed_by("who", |m| &m.who)],
    };

    fn ping(who: &str, n: u64) -> Any {
        encode_any(&Ping { who: who.into(), n }, "/t.Ping")
    }

    #[test]
    fn routes_signer_and_deliver_by_type_url() {
        let a = Address::from_bytes(&[4; 20]);
        assert_eq!(ROUTER.signer(&ping(a.as_str(), 1)).unwrap(), a);
        let err = ROUTER.signer(&ping("nope", 1)).unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("test", 3));
        assert!(err.log.starts_with("who: "), "{}", err.log);

        let mut s = MockStorage::new();
        let block = BlockInfo::default();
        let meter = GasMeter::infinite();
        let mut ctx = Context::new(&mut s, &block, &meter);
        let resp = ROUTER.deliver(&mut ctx, &ping(a.as_str(), 9)).unwrap();
        assert_eq!(resp, encode_any(&Pong { n: 9 }, "/t.Pong"));
        let err = ROUTER.deliver(&mut ctx, &ping(a.as_str(), 0)).unwrap_err();
        assert_eq!(err, ModuleError::new("test", 7, "zero"));

        let garbage = Any {
            type_url: "/t.Ping".into(),
            value: vec![0xff; 3],
        };
        assert_eq!(ROUTER.signer(&garbage).unwrap_err().code, 2);
        assert_eq!(ROUTER.deliver(&mut ctx, &garbage).unwrap_err().code, 2);

        let other = Any {
            type_url: "/t.Other".into(),
            value: vec![],
        };
        let err = ROUTER.deliver(&mut ctx, &other).unwrap_err();
        assert_eq!(err, unknown_msg("test", "/t.Other"));
        assert_eq!(ROUTER.signer(&other).unwrap_err(), err);

        assert!(ROUTER.routes_exactly(&["/t.Ping"]));
        assert!(!ROUTER.routes_exactly(&["/t.Ping", "/t.Other"]));
        assert!(!ROUTER.routes_exactly(&["/t.Other"]));
    }
}
