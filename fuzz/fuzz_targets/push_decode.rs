//! Arbitrary bytes as a push body: parsing (XML or JSON) and decoding into the generated
//! `Message` must return a value or an error, never panic; a decoded message must serialize.

#![no_main]

use libfuzzer_sys::fuzz_target;
use weixin::push::{Message, Node, PushMessage};

fuzz_target!(|data: &[u8]| {
    for parsed in [Node::parse_xml(data), Node::parse_json(data)] {
        if let Ok(node) = parsed {
            if let Ok(message) = Message::decode(&node) {
                let _ = serde_json::to_string(&message).expect("a decoded message serializes");
            }
        }
    }
});
