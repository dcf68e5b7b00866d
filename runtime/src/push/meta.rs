use serde::Serialize;

use super::Node;

/// The envelope fields every push carries (some only on some products).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Meta {
    /// `ToUserName`: the account's original id (`gh_…`), or the corp id on WeCom.
    pub to_user_name: String,
    /// `FromUserName`: the sender's OpenID (the WeCom UserID); empty on Open Platform pushes.
    pub from_user_name: String,
    /// `CreateTime`, unix seconds (0 when absent or malformed).
    pub create_time: i64,
    /// `MsgType` (`text`, `event`, …); empty on Open Platform pushes.
    pub msg_type: String,
    /// `Event`, for events.
    pub event: Option<String>,
    /// `MsgId` (`MsgID` on some events), when the push has one.
    pub msg_id: Option<String>,
    /// `AgentID`, on WeCom application pushes.
    pub agent_id: Option<String>,
    /// `AppId`, on Open Platform pushes (the third-party platform's appid).
    pub app_id: Option<String>,
    /// `InfoType`, on Open Platform pushes.
    pub info_type: Option<String>,
}

impl Meta {
    /// Reads the envelope fields of a parsed push.
    pub fn from_node(node: &Node) -> Meta {
        let text = |name: &str| node.get(name).map(|s| s.trim().to_owned());
        Meta {
            to_user_name: text("ToUserName").unwrap_or_default(),
            from_user_name: text("FromUserName").unwrap_or_default(),
            create_time: node
                .get("CreateTime")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
            msg_type: text("MsgType").unwrap_or_default(),
            event: text("Event"),
            msg_id: text("MsgId")
                .or_else(|| text("MsgID"))
                .filter(|s| !s.is_empty()),
            agent_id: text("AgentID"),
            app_id: text("AppId"),
            info_type: text("InfoType"),
        }
    }

    /// Whether the push is an event (or an Open Platform notice) rather than a user message.
    pub fn is_event(&self) -> bool {
        self.msg_type.eq_ignore_ascii_case("event") || self.info_type.is_some()
    }
}

/// A push of a type the spec does not describe, kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    node: Node,
}

impl Unknown {
    /// Wraps a parsed push.
    pub fn new(node: Node) -> Self {
        Unknown { node }
    }

    /// `MsgType`, if any.
    pub fn msg_type(&self) -> Option<&str> {
        self.node.get("MsgType")
    }

    /// `Event`, if any.
    pub fn event(&self) -> Option<&str> {
        self.node.get("Event")
    }

    /// The text of a top-level field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.node.get(name)
    }

    /// The whole push.
    pub fn node(&self) -> &Node {
        &self.node
    }
}
