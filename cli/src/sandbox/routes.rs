//! Which endpoint a request is for: `(host, method, path)` → a spec endpoint or a built-in
//! token endpoint.
//!
//! All hosts share one listener. A path with a single owner resolves to it whatever the host;
//! a path several hosts have (WeCom reuses many `cgi-bin` paths of the API host) resolves to
//! the API host unless the request names its host, with the `/_host/<host>` prefix or on a
//! per-host listener. Endpoints sharing one host and path (the Open Platform's
//! `fastregisterweapp?action=create|search`) are told apart by their fixed query values.

use std::collections::HashMap;

use weixin_codegen::ir::{Host, Ir, Method};

use super::HostName;

/// A built-in token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// `GET /cgi-bin/token` (api): a new token every call.
    Classic,
    /// `POST /cgi-bin/stable_token` (api): the same token while it is valid.
    Stable,
    /// `GET /cgi-bin/gettoken` (qyapi): WeCom, per (corpid, corpsecret).
    WeCom,
    /// `POST /cgi-bin/component/api_component_token` (api): Open Platform.
    Component,
}

/// The built-in token endpoints, served even when the spec lacks them.
pub const TOKEN_ROUTES: [(Host, Method, &str, TokenKind); 4] = [
    (Host::Api, Method::Get, "/cgi-bin/token", TokenKind::Classic),
    (
        Host::Api,
        Method::Post,
        "/cgi-bin/stable_token",
        TokenKind::Stable,
    ),
    (
        Host::Qyapi,
        Method::Get,
        "/cgi-bin/gettoken",
        TokenKind::WeCom,
    ),
    (
        Host::Api,
        Method::Post,
        "/cgi-bin/component/api_component_token",
        TokenKind::Component,
    ),
];

/// What a request resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Index of the spec endpoint in `Ir::endpoints()` order, if the spec has it.
    pub endpoint: Option<usize>,
    /// The built-in token endpoint, if it is one.
    pub token: Option<TokenKind>,
    /// The host it resolved on.
    pub host: Host,
}

/// The routing table.
#[derive(Debug, Default)]
pub struct Routes {
    by_key: HashMap<(HostName, &'static str, String), Vec<Candidate>>,
    hosts_of: HashMap<(&'static str, String), Vec<HostName>>,
}

/// One endpoint at a (host, method, path), with the fixed values that select it.
#[derive(Clone, Debug)]
struct Candidate {
    target: Target,
    fixed_query: Vec<(String, String)>,
    fixed_body: Vec<(String, serde_json::Value)>,
}

/// The fixed query values and fixed JSON body values of an endpoint.
type Fixed = (Vec<(String, String)>, Vec<(String, serde_json::Value)>);

/// Why a request did not resolve.
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// No host has the path.
    NotFound,
    /// The path exists with another method.
    WrongMethod,
}

impl Routes {
    /// The table of `ir` plus the built-in token endpoints.
    pub fn new(ir: &Ir) -> Routes {
        let mut routes = Routes::default();
        for (i, e) in ir.endpoints().enumerate() {
            let target = Target {
                endpoint: Some(i),
                token: token_kind(e.host, e.method, &e.path),
                host: e.host,
            };
            let fixed_query = e
                .query
                .iter()
                .filter_map(|f| Some((f.wire.clone(), f.fixed_text()?)))
                .collect();
            let fixed_body = e
                .fields
                .iter()
                .filter_map(|f| Some((f.wire.clone(), f.fixed_json()?)))
                .collect();
            routes.insert(e.host, e.method, &e.path, target, (fixed_query, fixed_body));
        }
        for (host, method, path, kind) in TOKEN_ROUTES {
            if !routes
                .by_key
                .contains_key(&(HostName(host), method.as_str(), path.to_owned()))
            {
                let target = Target {
                    endpoint: None,
                    token: Some(kind),
                    host,
                };
                routes.insert(host, method, path, target, (Vec::new(), Vec::new()));
            }
        }
        for hosts in routes.hosts_of.values_mut() {
            hosts.sort();
            hosts.dedup();
        }
        routes
    }

    fn insert(
        &mut self,
        host: Host,
        method: Method,
        path: &str,
        target: Target,
        (fixed_query, fixed_body): Fixed,
    ) {
        let host = HostName(host);
        self.by_key
            .entry((host, method.as_str(), path.to_owned()))
            .or_default()
            .push(Candidate {
                target,
                fixed_query,
                fixed_body,
            });
        self.hosts_of
            .entry((method.as_str(), path.to_owned()))
            .or_default()
            .push(host);
    }

    /// Resolves a request to its candidates: `host` is the one the request named, if any;
    /// `query` and `body` select among endpoints sharing the path by their fixed values.
    /// Several candidates remain when products share one API (a Mini Program and an Official
    /// Account both have `/cgi-bin/message/custom/send`); the first is the spec's first.
    pub fn resolve(
        &self,
        host: Option<Host>,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<Target>, Miss> {
        let key_host = match host {
            Some(h) => HostName(h),
            None => match self.hosts_of.get(&(method.as_str(), path.to_owned())) {
                Some(hosts) => hosts[0],
                None => return Err(self.miss(method, path)),
            },
        };
        let candidates = self
            .by_key
            .get(&(key_host, method.as_str(), path.to_owned()))
            .ok_or_else(|| self.miss(method, path))?;
        let selected: Vec<Target> = candidates
            .iter()
            .filter(|c| {
                c.fixed_query
                    .iter()
                    .all(|(k, v)| query.iter().any(|(qk, qv)| qk == k && qv == v))
                    && c.fixed_body
                        .iter()
                        .all(|(k, v)| body.and_then(|b| b.get(k)) == Some(v))
            })
            .map(|c| c.target)
            .collect();
        if selected.is_empty() {
            Ok(vec![candidates[0].target])
        } else {
            Ok(selected)
        }
    }

    fn miss(&self, method: Method, path: &str) -> Miss {
        let elsewhere = Method::ALL
            .into_iter()
            .filter(|m| *m != method)
            .any(|other| {
                self.hosts_of
                    .contains_key(&(other.as_str(), path.to_owned()))
            });
        if elsewhere {
            Miss::WrongMethod
        } else {
            Miss::NotFound
        }
    }

    /// Paths that more than one host serves with the same method, sorted.
    pub fn shared_paths(&self) -> Vec<(&'static str, String, Vec<HostName>)> {
        let mut out: Vec<_> = self
            .hosts_of
            .iter()
            .filter(|(_, hosts)| hosts.len() > 1)
            .map(|((m, p), hosts)| (*m, p.clone(), hosts.clone()))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1));
        out
    }
}

/// The built-in token endpoint at `(host, method, path)`, if it is one.
pub fn token_kind(host: Host, method: Method, path: &str) -> Option<TokenKind> {
    TOKEN_ROUTES
        .iter()
        .find(|(h, m, p, _)| *h == host && *m == method && *p == path)
        .map(|(_, _, _, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_paths_and_token_routes_resolve() {
        let ir = crate::spec::embedded();
        let routes = Routes::new(&ir);
        let e = ir.endpoints().next().unwrap();
        let fixed: Vec<(String, String)> = e
            .query
            .iter()
            .filter_map(|f| Some((f.wire.clone(), f.fixed_text()?)))
            .collect();
        let t = routes
            .resolve(None, e.method, &e.path, &fixed, None)
            .unwrap()[0];
        assert_eq!(t.endpoint, Some(0));
        let wecom = routes
            .resolve(None, Method::Get, "/cgi-bin/gettoken", &[], None)
            .unwrap();
        assert_eq!(
            (wecom[0].token, wecom[0].host),
            (Some(TokenKind::WeCom), Host::Qyapi)
        );
        assert_eq!(
            routes.resolve(Some(Host::Api), Method::Get, "/cgi-bin/gettoken", &[], None),
            Err(Miss::NotFound)
        );
        assert_eq!(
            routes.resolve(None, Method::Get, "/cgi-bin/stable_token", &[], None),
            Err(Miss::WrongMethod)
        );
        assert_eq!(
            routes.resolve(None, Method::Get, "/nope", &[], None),
            Err(Miss::NotFound)
        );
    }
}
