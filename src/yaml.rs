//! The one place that talks to the YAML parser (`serde_yaml`, the maintained `yaml_serde`).
//!
//! Every YAML input (front matter, catalogue, soa.yaml, roles.yaml) is parsed through
//! [`parse`], which turns parser errors into diagnostics with line and column, and reports
//! keys the target type does not know as `unknown-field` warnings instead of failing.

use crate::diagnostics::{Diagnostic, Pos};
use serde::de::{DeserializeOwned, Deserializer};
use std::path::Path;

/// A YAML value, for the rare place that needs to inspect untyped data.
pub type Value = serde_yaml::Value;

/// Parses `text` (which starts at line `first_line` of `file`) into `T`.
///
/// Unknown keys become warnings; a syntax or type error is an error diagnostic.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    first_line: usize,
) -> Result<(T, Vec<Diagnostic>), Diagnostic> {
    let mut unknown = Vec::new();
    let de = serde_yaml::Deserializer::from_str(text);
    let parsed: Result<T, _> = serde_ignored::deserialize(de, |path| unknown.push(path.to_string()));
    match parsed {
        Ok(value) => {
            let warnings = unknown
                .into_iter()
                .map(|path| {
                    let key = path.rsplit('.').next().unwrap_or(&path).to_string();
                    let pos = find_key(text, &key).unwrap_or(Pos::new(1, 1));
                    Diagnostic::warning("unknown-field", file, format!("unknown key `{path}` is ignored"))
                        .at(pos.line + first_line - 1, pos.column)
                })
                .collect();
            Ok((value, warnings))
        }
        Err(e) => Err(syntax_error(&e, file, first_line)),
    }
}

/// Parses `text` as an untyped YAML value.
pub fn parse_value(text: &str, file: &Path, first_line: usize) -> Result<Value, Diagnostic> {
    serde_yaml::from_str(text).map_err(|e| syntax_error(&e, file, first_line))
}

fn syntax_error(e: &serde_yaml::Error, file: &Path, first_line: usize) -> Diagnostic {
    let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    let message = clean_message(&e.to_string());
    let d = match wrong_type(&message) {
        Some(m) => Diagnostic::error("wrong-type", file, m),
        None => Diagnostic::error("yaml-syntax", file, format!("invalid YAML: {message}")),
    };
    d.at(line + first_line - 1, column)
}

/// `audience: invalid type: map, expected ...` as `` `audience` must be ..., not a mapping ``:
/// the field, the expected form and what was found, never a type name of ours.
fn wrong_type(message: &str) -> Option<String> {
    let (path, rest) = match message.split_once(": invalid type: ") {
        Some((p, r)) => (Some(p), r),
        None => (None, message.strip_prefix("invalid type: ")?),
    };
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let found = match found.split_whitespace().next().unwrap_or(found) {
        "map" => "a mapping".to_string(),
        "sequence" => "a list".to_string(),
        "string" => format!("the text {}", &found["string ".len().min(found.len())..]),
        "unit" => "an empty value".to_string(),
        _ => found.to_string(),
    };
    let expected = if expected.starts_with("struct ") || expected.starts_with("a map") {
        "a mapping of `key: value` lines"
    } else if expected.starts_with("a sequence") {
        "a list of `- ` items"
    } else {
        expected
    };
    Some(match path.map(|p| p.trim_start_matches('.')) {
        Some(p) => format!("`{p}` must be {expected}, not {found}"),
        None => format!("the file must be {expected}, not {found}"),
    })
}

/// Drops the parser's own " at line N column M" suffix: the position is already in front.
fn clean_message(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The position of the first `key:` in `text` (a best effort: YAML values carry no spans).
pub fn find_key(text: &str, key: &str) -> Option<Pos> {
    find_after(text, 0, &format!("{key}:"))
}

/// The position of the first occurrence of `needle` at or after byte `from`.
pub fn find_after(text: &str, from: usize, needle: &str) -> Option<Pos> {
    let start = from.min(text.len());
    text.get(start..)?.find(needle).map(|i| Pos::of_offset(text, start + i))
}

/// A scalar written as a string or a number (`version: 1.3`, `clauses: [5.2]`), kept as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scalar(pub String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a single value (text or a number)")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// One value or a list of values (`audience: all-staff` or `audience: [a, b]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<Scalar>);

impl<'de> serde::Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one value or a list of values such as `[A, B]`")
            }
            fn visit_str<E>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar(v.to_string())]))
            }
            fn visit_i64<E>(self, v: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar(v.to_string())]))
            }
            fn visit_u64<E>(self, v: u64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar(v.to_string())]))
            }
            fn visit_f64<E>(self, v: f64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Scalar(v.to_string())]))
            }
            fn visit_unit<E>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(s) = seq.next_element::<Scalar>()? {
                    items.push(s);
                }
                Ok(OneOrMany(items))
            }
        }
        d.deserialize_any(V)
    }
}

impl OneOrMany {
    pub fn into_strings(self) -> Vec<String> {
        self.0.into_iter().map(|s| s.0).collect()
    }
}
