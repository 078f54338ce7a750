//! Any bytes as an FtM JSON line: when it is an object with an id, a schema and properties,
//! validating the record (and its `corridor` envelope, if any) must not panic.

#![no_main]

use corridor_model::{Envelope, Model, RawRecord, ValueContext};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let (Some(Value::String(id)), Some(Value::String(schema)), Some(Value::Object(props))) =
        (obj.get("id"), obj.get("schema"), obj.get("properties"))
    else {
        return;
    };
    let mut raw = RawRecord::new(id.as_str(), schema.as_str());
    for (name, values) in props {
        // FtM writes lists of strings; a lone string is accepted too so that the fuzzer
        // reaches the value checks sooner.
        match values {
            Value::String(s) => raw.properties.push((name.clone(), s.clone())),
            Value::Array(list) => raw.properties.extend(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(|s| (name.clone(), s.to_owned())),
            ),
            _ => {}
        }
    }
    // The source's settings vary too: phone regions and number formats change what is valid.
    let mut ctx = ValueContext::default();
    if let Some(Value::String(region)) = obj.get("phone_region") {
        ctx.phone_region = Some(region.clone());
    }
    if let Some(Value::String(sep)) = obj.get("decimal_separator")
        && let Some(c) = sep.chars().next()
    {
        ctx.decimal_separator = c;
    }
    if let Some(Value::String(sep)) = obj.get("thousands_separator") {
        ctx.thousands_separator = sep.chars().next();
    }
    let _ = Model::builtin().validate(&raw, &ctx);
    if let Some(envelope) = obj.get("corridor")
        && let Ok(envelope) = serde_json::from_value::<Envelope>(envelope.clone())
    {
        let _ = envelope.validate();
    }
});
