//! How the index is cut into files and how its parts are written compactly.
//!
//! Terms are sorted and split by prefix: every first character starts a shard, and a shard
//! bigger than the limit is split again by one more character, until it fits or holds a
//! single term. Neighbouring shards are then written together, one file for as many as fit
//! in the limit ([`files`]; the manifest maps each key to its file), so that a vocabulary of
//! many small prefix groups does not make as many small files. The browser loads the file of
//! the key that is the longest prefix of a word (and, for the word being typed, the files of
//! the keys that extend it), so a query loads a few small files, never the whole index.
//!
//! A posting list is a string of base-64 digits (JSON-safe, no escaping) naming, page by page,
//! the sections that hold a term and the term's score there. Pages and sections are counted
//! from the page (a page's number, then a section's number within its page), so that a page
//! gaining a section changes no other page's postings. For each page that holds the term: a
//! page digit (the gap from the previous such page), then one digit per section in the common
//! case (a gap of 1-3 sections from the previous one and a body score), an escape otherwise:
//!
//! | digit   | meaning                                                              |
//! |---------|----------------------------------------------------------------------|
//! | 0-47    | section gap `d / 16 + 1` (1-3), score `d % 16`                        |
//! | 48-59   | next page, page gap `d - 47` (1-12); section numbers start again      |
//! | 60      | next page, page gap as a number                                       |
//! | 61      | section gap as a number, then the score digit                         |
//! | 62, 63  | section gap 1 or 2, then the score digit                              |
//!
//! Gaps count from one before the first page and the first section, so every gap is at least
//! 1. A number is variable-length: 5 bits per digit, 32 added on every digit but the last.
//!
//! Section chunks (titles, headings, text for showing results) are JSON, deflated (raw
//! DEFLATE, which browsers undo with `DecompressionStream("deflate-raw")`) and written as
//! base64 strings ([`pack`]).

use std::io::Write;
use std::ops::Range;

/// The 64 digits; URL- and JSON-safe.
pub const DIGITS: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/// First page digit (page gap 1); page gaps up to [`PAGE_NUMBER`] - 48 take one digit.
const PAGE: u8 = 48;
/// A page gap written as a number.
const PAGE_NUMBER: u8 = 60;
/// A section gap written as a number, then the score.
const SECTION_NUMBER: u8 = 61;
/// A section gap of 1 (this digit) or 2 (the next), then the score.
const SECTION_SCORE: u8 = 62;

/// Appends `v` as a variable-length number.
pub fn push_number(out: &mut Vec<u8>, mut v: u32) {
    while v >= 32 {
        out.push(DIGITS[(32 | (v & 31)) as usize]);
        v >>= 5;
    }
    out.push(DIGITS[v as usize]);
}

/// Appends one digit (0..=63).
pub fn push_digit(out: &mut Vec<u8>, v: u8) {
    out.push(DIGITS[usize::from(v.min(63))]);
}

/// Appends the postings of one term on one page: `(section, score)` in increasing section
/// order. What it appends depends on nothing but these postings.
pub fn push_sections(out: &mut Vec<u8>, postings: impl IntoIterator<Item = (u16, u8)>) {
    let mut next = 0u32;
    for (section, score) in postings {
        let gap = u32::from(section) + 1 - next;
        match gap {
            1..=3 if score < 16 => push_digit(out, (gap as u8 - 1) * 16 + score),
            1 | 2 => {
                push_digit(out, SECTION_SCORE + gap as u8 - 1);
                push_digit(out, score);
            }
            _ => {
                push_digit(out, SECTION_NUMBER);
                push_number(out, gap);
                push_digit(out, score);
            }
        }
        next = u32::from(section) + 1;
    }
}

/// Appends the digit(s) that move a posting list `gap` pages on (at least 1).
pub fn push_page_gap(out: &mut Vec<u8>, gap: u32) {
    if (1..=u32::from(PAGE_NUMBER - PAGE)).contains(&gap) {
        push_digit(out, PAGE + gap as u8 - 1);
    } else {
        push_digit(out, PAGE_NUMBER);
        push_number(out, gap);
    }
}

/// Reads a posting list back as `(page, section, score)` (what the browser does, in Rust,
/// for tests).
pub fn decode_postings(s: &str) -> Vec<(u32, u16, u8)> {
    let digits: Vec<u32> = s.bytes().map(|c| DIGITS.iter().position(|&d| d == c).unwrap_or(0) as u32).collect();
    let mut i = 0;
    let number = |i: &mut usize| {
        let (mut v, mut shift) = (0u32, 0);
        while *i < digits.len() {
            let x = digits[*i];
            *i += 1;
            v |= (x & 31) << shift;
            shift += 5;
            if x < 32 {
                break;
            }
        }
        v
    };
    let (mut out, mut page, mut next) = (Vec::new(), 0u32, 0u32);
    while i < digits.len() {
        let d = digits[i];
        i += 1;
        let (gap, score) = match d {
            0..48 => (d / 16 + 1, d % 16),
            48..=60 => {
                page += if d == 60 { number(&mut i) } else { d - 47 };
                next = 0;
                continue;
            }
            61 => {
                let gap = number(&mut i);
                (gap, digits.get(i).copied().unwrap_or(0))
            }
            _ => (d - 61, digits.get(i).copied().unwrap_or(0)),
        };
        if d >= 61 {
            i += 1;
        }
        next += gap;
        out.push((page - 1, (next - 1) as u16, score as u8));
    }
    out
}

/// Splits sorted `terms` (each with its encoded size in bytes) into shards of at most `limit`
/// bytes where possible. Returns each shard's key (a prefix of all its terms) and its range.
pub fn split(terms: &[(&str, usize)], limit: usize) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    group(terms, 0..terms.len(), 0, limit, &mut out);
    out
}

/// Groups the `shards` of [`split`] (in order) into files: each file takes the next shard and
/// then the ones after it while their terms' sizes (`terms`, as given to [`split`]) stay
/// within `limit`. Returns, for each file, the range of shards it holds.
pub fn files(shards: &[(String, Range<usize>)], terms: &[(&str, usize)], limit: usize) -> Vec<Range<usize>> {
    let size = |r: &Range<usize>| terms[r.clone()].iter().map(|t| t.1).sum::<usize>();
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut filled = 0;
    for (i, (_, r)) in shards.iter().enumerate() {
        let s = size(r);
        match out.last_mut() {
            Some(file) if filled + s <= limit => {
                file.end = i + 1;
                filled += s;
            }
            _ => {
                out.push(i..i + 1);
                filled = s;
            }
        }
    }
    out
}

fn prefix(term: &str, chars: usize) -> &str {
    term.char_indices().nth(chars).map_or(term, |(i, _)| &term[..i])
}

/// Cuts `range` (terms sharing a prefix of `depth` characters) by the next character.
fn group(
    terms: &[(&str, usize)],
    range: Range<usize>,
    depth: usize,
    limit: usize,
    out: &mut Vec<(String, Range<usize>)>,
) {
    let mut i = range.start;
    // Terms exactly as long as the prefix stay in the prefix's own shard.
    while i < range.end && terms[i].0.chars().count() <= depth {
        i += 1;
    }
    if i > range.start {
        out.push((prefix(terms[range.start].0, depth).to_string(), range.start..i));
    }
    while i < range.end {
        let key = prefix(terms[i].0, depth + 1);
        let mut j = i;
        let mut size = 0;
        while j < range.end && terms[j].0.starts_with(key) {
            size += terms[j].1;
            j += 1;
        }
        if size <= limit || j - i == 1 {
            out.push((key.to_string(), i..j));
        } else {
            group(terms, i..j, depth + 1, limit, out);
        }
        i = j;
    }
}

/// `bytes` deflated (raw DEFLATE) and written in base64, the form `atob` reads.
pub fn pack(bytes: &[u8]) -> String {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(2));
    // Writing into a Vec cannot fail.
    let deflated = z.write_all(bytes).and_then(|()| z.finish()).unwrap_or_default();
    base64(&deflated)
}

/// What [`pack`] packed (what the browser does, in Rust, for tests); `None` if it is not.
pub fn unpack(packed: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bits = 0u32;
    let mut deflated = Vec::with_capacity(packed.len() * 3 / 4);
    for (i, c) in packed.bytes().filter(|&c| c != b'=').enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = bits << 6 | u32::from(v);
        if i % 4 == 3 {
            deflated.extend_from_slice(&bits.to_be_bytes()[1..]);
            bits = 0;
        }
    }
    match packed.bytes().filter(|&c| c != b'=').count() % 4 {
        2 => deflated.push((bits >> 4) as u8),
        3 => deflated.extend_from_slice(&((bits >> 2) as u16).to_be_bytes()),
        _ => {}
    }
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice()).read_to_end(&mut out).ok()?;
    Some(out)
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= group.len() {
                out.push(ALPHABET[(v >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(list: &[(u32, u16, u8)]) -> String {
        let mut out = Vec::new();
        let mut last = 0;
        let mut i = 0;
        while i < list.len() {
            let page = list[i].0;
            let j = i + list[i..].iter().take_while(|p| p.0 == page).count();
            push_page_gap(&mut out, page + 1 - last);
            push_sections(&mut out, list[i..j].iter().map(|p| (p.1, p.2)));
            last = page + 1;
            i = j;
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn postings_round_trip() {
        let p = vec![
            (0, 0, 5),
            (0, 1, 63),
            (0, 31, 0),
            (0, 32, 7),
            (3, 2, 15),
            (3, 3, 40),
            (3, 5, 32),
            (15, 5000, 1),
            (1_000_000, 65535, 40),
        ];
        let s = encode(&p);
        assert!(s.bytes().all(|b| DIGITS.contains(&b)));
        assert_eq!(decode_postings(&s), p);
    }

    #[test]
    fn common_postings_take_one_digit() {
        // A page digit, then one digit per neighbouring section with a body score.
        assert_eq!(encode(&[(0, 0, 1), (0, 1, 1), (0, 3, 9), (0, 6, 15)]).len(), 5);
        // The next page with a heading score: page digit, escape, score.
        assert_eq!(encode(&[(1, 0, 20)]).len(), 3);
        // A page's postings are written the same wherever the page is in the list.
        let alone = encode(&[(7, 2, 3), (7, 4, 30)]);
        let after = encode(&[(2, 0, 1), (7, 2, 3), (7, 4, 30)]);
        assert!(after.ends_with(&alone[1..]), "{alone} {after}");
    }

    #[test]
    fn shards_split_by_prefix_until_they_fit() {
        let terms = [("access", 40), ("accident", 40), ("audit", 10), ("b", 5), ("backup", 5), ("cab", 90)];
        let shards = split(&terms, 50);
        let keys: Vec<(&str, Range<usize>)> = shards.iter().map(|(k, r)| (k.as_str(), r.clone())).collect();
        // `a` is too big: split into `ac` (still too big: `acc` then one term each) and `au`.
        assert_eq!(keys, [("acce", 0..1), ("acci", 1..2), ("au", 2..3), ("b", 3..5), ("c", 5..6)], "{keys:?}");
        // Every term is in exactly one shard, whose key is a prefix of the term.
        for (k, r) in &shards {
            for t in &terms[r.clone()] {
                assert!(t.0.starts_with(k.as_str()));
            }
        }
        assert_eq!(shards.iter().map(|(_, r)| r.len()).sum::<usize>(), terms.len());
    }

    #[test]
    fn neighbouring_small_shards_share_a_file() {
        let terms = [("access", 40), ("accident", 40), ("audit", 10), ("b", 5), ("backup", 5), ("cab", 90)];
        let shards = split(&terms, 50);
        // acce (40) | acci (40) + au (10) | b (10) | c (90, alone over the limit).
        assert_eq!(files(&shards, &terms, 50), [0..1, 1..3, 3..4, 4..5]);
        let all = files(&shards, &terms, 1000);
        assert!(all.len() == 1 && all[0] == (0..5), "{all:?}");
        assert_eq!(files(&[], &terms, 50), []);
    }

    #[test]
    fn a_short_term_keeps_its_own_shard_when_longer_ones_split() {
        let terms = [("ab", 10), ("abc", 30), ("abd", 30)];
        let keys: Vec<String> = split(&terms, 50).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["ab", "abc", "abd"]);
    }

    #[test]
    fn multibyte_prefixes() {
        let terms = [("報セ", 1), ("情報", 30), ("情熱", 30)];
        let keys: Vec<String> = split(&terms, 40).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["報", "情報", "情熱"]);
    }

    #[test]
    fn base64_and_deflate() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        let text = "access control ".repeat(100);
        let packed = pack(text.as_bytes());
        assert!(packed.len() < text.len() / 4, "{}", packed.len());
        assert!(packed.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        assert_eq!(unpack(&packed).as_deref(), Some(text.as_bytes()));
        for n in 0..8 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            assert_eq!(unpack(&pack(&bytes)), Some(bytes));
        }
        assert_eq!(unpack("not base64!"), None);
    }
}
