//! Secret strings whose `Debug` output is redacted.

use std::fmt;

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` prints `***`; there is no `Display`. Call [`secret`](Self::secret) to read the
        /// value deliberately.
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value. Do not log it.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

secret_string!(
    /// An account's AppSecret (or a WeCom application secret).
    AppSecret
);
secret_string!(
    /// An access token.
    AccessToken
);

impl AppSecret {
    /// The first 16 hex digits of the secret's SHA-1: tells secrets apart in cache keys without
    /// revealing them.
    pub(crate) fn fingerprint(&self) -> String {
        use sha1::{Digest, Sha1};
        let digest = Sha1::digest(self.0.as_bytes());
        hex::encode(&digest[..8])
    }
}
secret_string!(
    /// A JS-SDK `jsapi_ticket`.
    JsapiTicket
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let token = AccessToken::new("tok-123");
        assert_eq!(format!("{token:?}"), "AccessToken(***)");
        assert_eq!(token.secret(), "tok-123");
        assert!(!format!("{:?}", AppSecret::from("s3cr3t")).contains("s3cr3t"));
    }
}
