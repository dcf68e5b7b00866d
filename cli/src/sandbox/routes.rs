//! Which endpoint a request is for: `(host, method, path)` → a spec endpoint or a built-in
//! token endpoint.
//!
//! All hosts share one listener. A path with a single owner resolves to it whatever the host;
//! a path several hosts have (WeCom reuses many `cgi-bin` paths of the API host) resolves to
//! the API host unless the request names its host, with the `/_host/<host>` prefix or on a
//! per-host listener. Endpoints sharing one host and path (the Open Platform's
//! `fastregisterweapp?action=create|search`) are told apart by their fixed query values.
//! Paths with `{name}` segments (WeChat Pay's `/v3/pay/transactions/out-trade-no/{out_trade_no}`)
//! match any value there; an exact path wins over a template, then the template with the most
//! literal segments.

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
    /// The paths with `{name}` segments.
    templates: Vec<Template>,
}

/// A path with `{name}` segments.
#[derive(Clone, Debug)]
struct Template {
    path: String,
    /// The segments after the leading `/`; `None` for a `{name}` segment.
    segments: Vec<Option<String>>,
}

impl Template {
    fn new(path: &str) -> Template {
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| (!is_param(s)).then(|| s.to_owned()))
            .collect();
        Template {
            path: path.to_owned(),
            segments,
        }
    }

    /// Whether `path` fits: same number of segments, literals equal, parameters non-empty.
    fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        parts.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(&parts)
                .all(|(want, got)| match want {
                    Some(literal) => literal == got,
                    None => !got.is_empty(),
                })
    }

    fn literals(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }
}

/// Whether a path segment is a `{name}` placeholder.
fn is_param(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// The values of `template`'s `{name}` segments in `path` (percent-decoded); empty when the
/// path does not fit.
pub fn path_values(template: &str, path: &str) -> Vec<(String, String)> {
    let t = Template::new(template);
    if !t.matches(path) {
        return Vec::new();
    }
    template
        .trim_start_matches('/')
        .split('/')
        .zip(path.trim_start_matches('/').split('/'))
        .filter(|(name, _)| is_param(name))
        .map(|(name, value)| (name[1..name.len() - 1].to_owned(), percent_decode(value)))
        .collect()
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
        if path.split('/').any(is_param) && !self.templates.iter().any(|t| t.path == path) {
            self.templates.push(Template::new(path));
        }
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
        let path = self.key_path(method, path);
        let path = path.as_str();
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

    /// The routing key of `path`: itself when some method serves it exactly, else the
    /// template it fits (one `method` serves first, then the most literal segments).
    fn key_path(&self, method: Method, path: &str) -> String {
        let exact = Method::ALL
            .into_iter()
            .any(|m| self.hosts_of.contains_key(&(m.as_str(), path.to_owned())));
        if exact {
            return path.to_owned();
        }
        self.templates
            .iter()
            .filter(|t| t.matches(path))
            .max_by_key(|t| {
                let served = self
                    .hosts_of
                    .contains_key(&(method.as_str(), t.path.clone()));
                (served, t.literals())
            })
            .map_or_else(|| path.to_owned(), |t| t.path.clone())
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

    #[test]
    fn templates_match_their_segments() {
        let ir = crate::spec::embedded();
        let routes = Routes::new(&ir);
        let path = "/v3/pay/transactions/out-trade-no/T%7C1";
        let t = routes.resolve(None, Method::Get, path, &[], None).unwrap()[0];
        let e = ir.endpoints().nth(t.endpoint.unwrap()).unwrap();
        assert_eq!(e.path, "/v3/pay/transactions/out-trade-no/{out_trade_no}");
        assert_eq!(t.host, Host::Mch);
        assert_eq!(
            path_values(&e.path, path),
            vec![("out_trade_no".to_owned(), "T|1".to_owned())]
        );
        let close = routes
            .resolve(None, Method::Post, &format!("{path}/close"), &[], None)
            .unwrap()[0];
        let e = ir.endpoints().nth(close.endpoint.unwrap()).unwrap();
        assert!(e.path.ends_with("/close"));
        assert_eq!(
            routes.resolve(None, Method::Delete, path, &[], None),
            Err(Miss::WrongMethod)
        );
        assert_eq!(
            routes.resolve(
                None,
                Method::Get,
                "/v3/pay/transactions/out-trade-no/",
                &[],
                None
            ),
            Err(Miss::NotFound)
        );
    }
}
