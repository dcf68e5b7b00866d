//! Which types are sent, received, or both: decides derives and field visibility.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Product, Response, Ty, TypeKind, TypeRef, Usage};

type Key = (String, Option<String>, String);

fn key(r: &TypeRef) -> Key {
    (r.product.clone(), r.group.clone(), r.name.clone())
}

fn refs(ty: &Ty, out: &mut Vec<Key>) {
    match ty {
        Ty::List(t) | Ty::Map(t) => refs(t, out),
        Ty::Named(r) => out.push(key(r)),
        _ => {}
    }
}

/// Sets `usage` on every type by walking from the endpoints' requests and responses.
pub(crate) fn compute(products: &mut [Product]) {
    // Edges: type -> types it contains.
    let mut edges: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    let mut roots_req = Vec::new();
    let mut roots_resp = Vec::new();
    let mut whole = Vec::new();
    for p in products.iter() {
        let scoped = p.types.iter().map(|t| (None, t)).chain(
            p.groups
                .iter()
                .flat_map(|g| g.types.iter().map(move |t| (Some(g.name.clone()), t))),
        );
        for (group, t) in scoped {
            let mut out = Vec::new();
            match &t.kind {
                TypeKind::Struct { fields } => fields.iter().for_each(|f| refs(&f.ty, &mut out)),
                TypeKind::Union { variants, .. } => {
                    variants.iter().for_each(|v| out.push(key(&v.ty)))
                }
                TypeKind::Enum { .. } => {}
            }
            let key = (p.name.clone(), group, t.name.clone());
            if t.received {
                roots_resp.push(key.clone());
            }
            edges.insert(key, out);
        }
        for ep in p.groups.iter().flat_map(|g| g.endpoints.iter()) {
            let inputs = ep.path_params.iter().chain(&ep.query);
            for f in inputs.chain(&ep.fields).chain(&ep.texts) {
                refs(&f.ty, &mut roots_req);
            }
            if let Response::Json { fields, shared, .. } = &ep.response {
                fields.iter().for_each(|f| refs(&f.ty, &mut roots_resp));
                if let Some(r) = shared {
                    roots_resp.push(key(r));
                    whole.push(key(r));
                }
            }
        }
    }
    let req = reach(&edges, roots_req);
    let resp = reach(&edges, roots_resp);
    for p in products.iter_mut() {
        let pname = p.name.clone();
        for t in &mut p.types {
            let k = (pname.clone(), None, t.name.clone());
            t.usage = Usage {
                request: req.contains(&k),
                response: resp.contains(&k),
                whole_response: whole.contains(&k),
            };
        }
        for g in &mut p.groups {
            for t in &mut g.types {
                let k = (pname.clone(), Some(g.name.clone()), t.name.clone());
                t.usage = Usage {
                    request: req.contains(&k),
                    response: resp.contains(&k),
                    whole_response: whole.contains(&k),
                };
            }
        }
    }
}

fn reach(edges: &BTreeMap<Key, Vec<Key>>, roots: Vec<Key>) -> BTreeSet<Key> {
    let mut seen = BTreeSet::new();
    let mut stack = roots;
    while let Some(k) = stack.pop() {
        if seen.insert(k.clone()) {
            if let Some(next) = edges.get(&k) {
                stack.extend(next.iter().cloned());
            }
        }
    }
    seen
}
