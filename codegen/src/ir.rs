//! The intermediate representation: a checked spec with every name final and every type
//! reference resolved. Plain data, sorted, so output is deterministic.

use serde::{Deserialize, Serialize};

pub mod push;

/// The whole checked spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ir {
    /// Products, sorted by name.
    pub products: Vec<Product>,
    /// Global errcodes, sorted by code.
    pub errcodes: Vec<ErrCodeDef>,
    /// Pushes and passive replies of `spec/push/`; `None` when the spec has no `push/`.
    pub push: Option<push::Push>,
}

impl Ir {
    /// Every endpoint of every group, in module then id order.
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.products
            .iter()
            .flat_map(|p| p.groups.iter())
            .flat_map(|g| g.endpoints.iter())
    }

    /// The product called `name`.
    pub fn product(&self, name: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.name == name)
    }

    /// How the client of `endpoint`'s product authenticates.
    pub fn client_of(&self, endpoint: &Endpoint) -> Option<ClientKind> {
        self.product(&endpoint.product).map(|p| p.client)
    }

    /// The definition `r` points to, in the module it names (its group's `types.toml`, or the
    /// product's when `r.group` is `None`).
    pub fn type_def(&self, r: &TypeRef) -> Option<&TypeDef> {
        let product = self.product(&r.product)?;
        let types = match &r.group {
            None => &product.types,
            Some(g) => &product.groups.iter().find(|x| &x.name == g)?.types,
        };
        types.iter().find(|t| t.name == r.name)
    }

    /// The pushes and replies of `spec/push/`, if the spec has that directory.
    pub fn push(&self) -> Option<&push::Push> {
        self.push.as_ref()
    }
}

/// One errcode of `errcodes.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrCodeDef {
    /// The numeric code.
    pub code: i64,
    /// Constant name, `SCREAMING_SNAKE_CASE`.
    pub name: String,
    /// What it means.
    pub meaning: String,
    /// What the client does about it.
    pub action: ErrAction,
}

/// The action class of an errcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrAction {
    /// Drop the cached token and resend once.
    RefreshToken,
    /// Quota or frequency limit.
    RateLimited,
    /// Temporary: may succeed later.
    Transient,
    /// Will not succeed without a change.
    Permanent,
}

/// A product (`offiaccount`, …): a module with a client and groups.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Product {
    /// Directory name, e.g. `offiaccount`; also the module name and the product feature.
    pub name: String,
    /// Rust module identifier.
    pub module: String,
    /// One-line summary.
    pub summary: String,
    /// Longer prose.
    pub docs: String,
    /// Kind of client.
    pub client: ClientKind,
    /// Types of `types.toml`, sorted by name.
    pub types: Vec<TypeDef>,
    /// Groups, sorted by name.
    pub groups: Vec<Group>,
}

/// How a product's client authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientKind {
    /// AppID + AppSecret; token from `stable_token` (Official Accounts, Mini Programs).
    App,
    /// CorpID + one application's secret; token from WeCom's `gettoken`, cached per application.
    WeCom,
    /// Component AppID + AppSecret + the pushed `component_verify_ticket` (Open Platform).
    Component,
    /// A WeChat Pay merchant: every request signed with the merchant key, every response
    /// verified (WeChat Pay APIv3).
    Pay,
}

/// A group: one module and one cargo feature.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Group {
    /// Product directory name.
    pub product: String,
    /// Group directory name.
    pub name: String,
    /// Rust module identifier.
    pub module: String,
    /// Cargo feature, `<product>-<group>` with `_` as `-`.
    pub feature: String,
    /// Client accessor method.
    pub accessor: String,
    /// One-line summary.
    pub summary: String,
    /// Longer prose.
    pub docs: String,
    /// Endpoints, sorted by id.
    pub endpoints: Vec<Endpoint>,
    /// Types of the group's `types.toml`, sorted by name.
    pub types: Vec<TypeDef>,
}

/// One endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoint {
    /// Product directory name.
    pub product: String,
    /// Group directory name.
    pub group: String,
    /// Spec file, relative to the spec directory.
    pub source: String,
    /// Unique id, snake case.
    pub id: String,
    /// Request type name.
    pub type_name: String,
    /// Method name on the group API.
    pub call: String,
    /// HTTP method.
    pub method: Method,
    /// Host.
    pub host: Host,
    /// Path, starting with `/`.
    pub path: String,
    /// Authentication.
    pub auth: Auth,
    /// The client's own credentials written into the JSON body under these names
    /// (`component_appid` of Open Platform calls); not fields of the request type.
    pub body_credentials: Vec<(String, Credential)>,
    /// Resend policy.
    pub retry: Retry,
    /// One-line summary.
    pub summary: String,
    /// Longer prose.
    pub docs: String,
    /// Official documentation URL.
    pub doc_url: Option<String>,
    /// Documented errcodes (code, constant name), in spec order.
    pub errors: Vec<(i64, String)>,
    /// Documented WeChat Pay error codes (`ORDER_NOT_EXIST`), in spec order.
    pub error_codes: Vec<String>,
    /// Path parameters: the `{name}` placeholders of `path`, in declaration order.
    pub path_params: Vec<Field>,
    /// Query-string parameters.
    pub query: Vec<Field>,
    /// Kind of body.
    pub body: BodyKind,
    /// JSON body fields (body = json).
    pub fields: Vec<Field>,
    /// File parts (body = multipart).
    pub files: Vec<FileField>,
    /// Text parts (body = multipart).
    pub texts: Vec<Field>,
    /// The response.
    pub response: Response,
    /// Examples, in spec order.
    pub examples: Vec<Example>,
}

impl Endpoint {
    /// Every input field of the request, in `new(…)` order: path, query, body fields, files,
    /// texts. Fixed-value fields are included, although they are not parameters of `new`.
    pub fn inputs(&self) -> impl Iterator<Item = Input<'_>> {
        self.path_params
            .iter()
            .map(Input::Path)
            .chain(self.query.iter().map(Input::Query))
            .chain(self.fields.iter().map(Input::Body))
            .chain(self.files.iter().map(Input::File))
            .chain(self.texts.iter().map(Input::Text))
    }
}

/// One input of a request.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// A path parameter.
    Path(&'a Field),
    /// A query parameter.
    Query(&'a Field),
    /// A JSON body field.
    Body(&'a Field),
    /// A file part.
    File(&'a FileField),
    /// A text part.
    Text(&'a Field),
}

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT (WeChat Pay)
    Put,
    /// PATCH (WeChat Pay)
    Patch,
    /// DELETE (WeChat Pay)
    Delete,
}

impl Method {
    /// Every method, in a fixed order.
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the method may carry a body (all but GET and DELETE).
    pub fn has_body(self) -> bool {
        !matches!(self, Method::Get | Method::Delete)
    }
}

/// The WeChat host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Host {
    /// api.weixin.qq.com
    Api,
    /// file.api.weixin.qq.com
    File,
    /// mp.weixin.qq.com
    Mp,
    /// qyapi.weixin.qq.com
    Qyapi,
    /// api.mch.weixin.qq.com
    Mch,
}

/// How an endpoint authenticates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    /// `access_token` query parameter.
    AccessToken,
    /// The client's token under another query name, e.g. `component_access_token`.
    TokenParam(String),
    /// Nothing added.
    None,
    /// The account's credentials under the given query names.
    Credentials(Vec<(String, Credential)>),
}

/// One credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Credential {
    /// The AppID.
    AppId,
    /// The AppSecret.
    AppSecret,
    /// The WeChat Pay merchant id (`mchid`, `sp_mchid`).
    MchId,
}

/// Resend policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Retry {
    /// May be resent.
    Safe,
    /// Never resent after a transport failure.
    Never,
}

/// Kind of request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BodyKind {
    /// No body.
    None,
    /// JSON.
    Json,
    /// multipart/form-data.
    Multipart,
}

/// The response of an endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Response {
    /// Only errcode/errmsg.
    Ack,
    /// Bytes, or a JSON error.
    Binary,
    /// A JSON object.
    Json {
        /// Type name.
        name: String,
        /// Fields.
        fields: Vec<Field>,
        /// `[response] type = "Transaction"`: the response is this named struct of a
        /// `types.toml` (`name` and `fields` are its own), not a type of the endpoint's.
        shared: Option<TypeRef>,
    },
}

impl Response {
    /// `json`, `ack` or `binary`.
    pub fn kind(&self) -> &'static str {
        match self {
            Response::Ack => "ack",
            Response::Binary => "binary",
            Response::Json { .. } => "json",
        }
    }
}

/// A field of a request, response or struct type.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Field {
    /// Name on the wire.
    pub wire: String,
    /// Rust identifier.
    pub rust: String,
    /// Type.
    pub ty: Ty,
    /// Requests: goes in `new`; responses: always present.
    pub required: bool,
    /// Fields of the (struct or union) type sit beside the siblings.
    pub flatten: bool,
    /// Wire encoding.
    pub wire_fmt: WireFmt,
    /// Docs.
    pub docs: String,
    /// The server's default, for docs.
    pub default: Option<String>,
    /// Deprecation note.
    pub deprecated: Option<String>,
    /// Where WeChat contradicts its docs, and the evidence.
    pub deviation: Option<(String, String)>,
    /// A secret or token: redacted in `Debug`.
    pub sensitive: bool,
    /// A constant the request always sends (request fields only). Such a field is required,
    /// but it is not a parameter of `new`, has no setter and no struct field.
    pub value: Option<Const>,
}

impl Field {
    /// The fixed value as it appears in a JSON body, wire format applied (`wire = "int"` sends
    /// a bool as 0/1, `wire = "string"` a number as a string).
    pub fn fixed_json(&self) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match (self.value.as_ref()?, self.wire_fmt) {
            (Const::Bool(b), WireFmt::IntBool) => J::from(u8::from(*b)),
            (Const::Int(i), WireFmt::StringNumber) => J::String(i.to_string()),
            (Const::Str(s), _) => J::String(s.clone()),
            (Const::Int(i), _) => J::from(*i),
            (Const::Bool(b), _) => J::Bool(*b),
        })
    }

    /// The fixed value as query-string or multipart text.
    pub fn fixed_text(&self) -> Option<String> {
        Some(match self.fixed_json()? {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
    }
}

/// The constant of a fixed-value field (`value = "client_credential"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Const {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

/// Wire encoding of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireFmt {
    /// As the type says.
    Native,
    /// A bool as 0/1.
    IntBool,
    /// A number as a string.
    StringNumber,
    /// A string that may arrive as a number.
    StringOrInt,
}

/// A field type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ty {
    /// String
    String,
    /// bool
    Bool,
    /// i32
    I32,
    /// i64
    I64,
    /// u32
    U32,
    /// u64
    U64,
    /// f64
    F64,
    /// Unix seconds (i64).
    Timestamp,
    /// Any JSON.
    Json,
    /// A list.
    List(Box<Ty>),
    /// A string-keyed map.
    Map(Box<Ty>),
    /// A named type.
    Named(TypeRef),
}

/// A resolved reference to a named type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeRef {
    /// Type name.
    pub name: String,
    /// Product of the defining module.
    pub product: String,
    /// Group of the defining module; `None` for product-level types.
    pub group: Option<String>,
    /// What kind of type it is.
    pub kind: NamedKind,
}

/// Kind of a named type (for emission decisions at use sites).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NamedKind {
    /// A struct.
    Struct,
    /// A closed enum.
    ClosedEnum,
    /// An open enum.
    OpenEnum,
    /// A tagged union.
    Union,
}

/// A file part.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileField {
    /// Form field name.
    pub wire: String,
    /// Rust identifier.
    pub rust: String,
    /// Must be sent.
    pub required: bool,
    /// Docs.
    pub docs: String,
    /// Size/extension limit.
    pub limit: FileLimitSpec,
}

/// A file size and extension limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Largest size in bytes.
    pub max_bytes: u64,
    /// Allowed extensions (lower case, no dot); empty = any.
    pub extensions: Vec<String>,
}

/// How a file's limit is chosen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum FileLimitSpec {
    /// No limit.
    None,
    /// Always the same.
    Fixed(Limit),
    /// By the value of an enum input field.
    By {
        /// Rust name of the enum field.
        field: String,
        /// Whether that field is required.
        required: bool,
        /// The enum type.
        ty: TypeRef,
        /// Every enum variant (Rust name) and its limit, in enum order.
        limits: Vec<(String, Option<Limit>)>,
    },
}

/// A named type.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TypeDef {
    /// Type name.
    pub name: String,
    /// Docs.
    pub docs: String,
    /// Where it is used.
    pub usage: Usage,
    /// Decoded outside any endpoint response (a WeChat Pay notification payload): always
    /// received, whatever the endpoints use.
    #[serde(default)]
    pub received: bool,
    /// Shape.
    pub kind: TypeKind,
}

/// Where a type is used, computed from the endpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Sent in a request.
    pub request: bool,
    /// Received in a response.
    pub response: bool,
    /// The whole response of an endpoint (`[response] type = "…"`).
    #[serde(default)]
    pub whole_response: bool,
}

/// Shape of a named type.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum TypeKind {
    /// A struct.
    Struct {
        /// Fields.
        fields: Vec<Field>,
    },
    /// An enum of strings.
    Enum {
        /// Values.
        values: Vec<EnumValue>,
        /// Unknown values decode to `Unknown(String)`.
        open: bool,
    },
    /// A tagged union.
    Union {
        /// Tag key, e.g. `msgtype`.
        tag: String,
        /// Where the payload sits.
        payload: PayloadAt,
        /// Variants.
        variants: Vec<Variant>,
    },
}

/// One enum value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnumValue {
    /// Wire string.
    pub wire: String,
    /// Variant name.
    pub rust: String,
    /// Docs.
    pub docs: String,
}

/// Where a union's payload sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadAt {
    /// `{"tag":"x","x":{…}}`
    UnderTag,
    /// `{"tag":"x", …fields}`
    Inline,
}

/// One union variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Variant {
    /// Tag value.
    pub tag: String,
    /// Variant name.
    pub rust: String,
    /// Payload type (a struct).
    pub ty: TypeRef,
    /// Docs.
    pub docs: String,
}

/// An example: a request and the response WeChat gives.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Example {
    /// Name.
    pub name: String,
    /// Path parameters (an object).
    pub path: serde_json::Value,
    /// Query parameters (an object; credentials and token excluded).
    pub query: serde_json::Value,
    /// The JSON body (or, for multipart, the text parts as an object).
    pub request: Option<serde_json::Value>,
    /// Files: an object of `{file_name, content_type, size}` per part.
    pub files: serde_json::Value,
    /// The response JSON text.
    pub response: Option<String>,
    /// A binary endpoint's success.
    pub binary: Option<BinaryExample>,
    /// The errcode the response carries.
    pub error: Option<i64>,
    /// The WeChat Pay error code the response carries (`ORDER_NOT_EXIST`).
    pub error_code: Option<String>,
    /// The HTTP status of the response, when not 200 (WeChat Pay errors, a 204 without body).
    pub status: Option<u16>,
}

impl Example {
    /// Whether the example is a failure: an errcode or a WeChat Pay error code.
    pub fn is_error(&self) -> bool {
        self.error.is_some() || self.error_code.is_some()
    }

    /// The HTTP status its response has: `status`, else 200.
    pub fn http_status(&self) -> u16 {
        self.status.unwrap_or(200)
    }

    /// The input for `__examples::run`: path ∪ query ∪ body ∪ files in one object.
    pub fn input(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for part in [
            Some(&self.path),
            Some(&self.query),
            self.request.as_ref(),
            Some(&self.files),
        ]
        .into_iter()
        .flatten()
        {
            if let serde_json::Value::Object(m) = part {
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        serde_json::Value::Object(out)
    }
}

/// A binary response of an example.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BinaryExample {
    /// Content-Type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}
