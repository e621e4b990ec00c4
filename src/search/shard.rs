//! How the index is cut into files and how posting lists are written compactly.
//!
//! Terms are sorted and split by prefix: every first character starts a shard, and a shard
//! bigger than the limit is split again by one more character, until it fits or holds a
//! single term. The browser loads the shard whose key is the longest prefix of a word (and,
//! for the word being typed, the shards whose keys extend it), so a query loads a few small
//! files, never the whole index.
//!
//! A posting list is a string of base-64 digits (JSON-safe, no escaping): for each section,
//! in increasing order, its gap from the previous one and its score; the common case (a gap
//! of 1-3, a body score) is one digit, the rest an escape digit, the gap as a variable-length
//! number (5 bits per digit, 32 added on every digit but the last) and the score.

use std::ops::Range;

/// The 64 digits; URL- and JSON-safe.
pub const DIGITS: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

/// Appends `v` as a variable-length number.
pub fn push_number(out: &mut String, mut v: u32) {
    while v >= 32 {
        out.push(DIGITS[(32 | (v & 31)) as usize] as char);
        v >>= 5;
    }
    out.push(DIGITS[v as usize] as char);
}

/// Appends one digit (0..=63).
pub fn push_digit(out: &mut String, v: u8) {
    out.push(DIGITS[usize::from(v.min(63))] as char);
}

/// Postings with a gap of 1 to 3 sections and a body score (at most 15) take one digit
/// (`(gap - 1) * 16 + score`); any other posting is the digit [`ESCAPE`], the gap as a number
/// and the score as a digit.
pub const ESCAPE: u8 = 48;

/// A posting list: `(section, score)` pairs in increasing section order. Gaps are counted from
/// one before section 0, so every gap is at least 1.
pub fn encode_postings(postings: &[(u32, u8)]) -> String {
    let mut out = String::with_capacity(postings.len() + 8);
    let mut next = 0;
    for &(section, score) in postings {
        let gap = section + 1 - next;
        if (1..=3).contains(&gap) && score < 16 {
            push_digit(&mut out, (gap as u8 - 1) * 16 + score);
        } else {
            push_digit(&mut out, ESCAPE);
            push_number(&mut out, gap);
            push_digit(&mut out, score);
        }
        next = section + 1;
    }
    out
}

/// Reads a posting list back (what the browser does, in Rust, for tests).
pub fn decode_postings(s: &str) -> Vec<(u32, u8)> {
    let digits: Vec<u32> = s.bytes().map(|c| DIGITS.iter().position(|&d| d == c).unwrap_or(0) as u32).collect();
    let (mut out, mut i, mut next) = (Vec::new(), 0, 0u32);
    while i < digits.len() {
        let d = digits[i];
        i += 1;
        let (gap, score) = if d < u32::from(ESCAPE) {
            (d / 16 + 1, d % 16)
        } else {
            let (mut v, mut shift) = (0u32, 0);
            while i < digits.len() {
                let x = digits[i];
                i += 1;
                v |= (x & 31) << shift;
                shift += 5;
                if x < 32 {
                    break;
                }
            }
            let score = digits.get(i).copied().unwrap_or(0);
            i += 1;
            (v, score)
        };
        next += gap;
        out.push((next - 1, score as u8));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip() {
        let p = vec![(0, 5), (1, 63), (31, 0), (32, 7), (34, 15), (5000, 1), (1_000_000, 40)];
        let s = encode_postings(&p);
        assert!(s.bytes().all(|b| DIGITS.contains(&b)));
        assert_eq!(decode_postings(&s), p);
        // Neighbouring sections with body scores cost one digit each.
        assert_eq!(encode_postings(&[(0, 1), (1, 1), (3, 9), (6, 15)]).len(), 4);
        assert_eq!(encode_postings(&[(0, 16)]).len(), 3);
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
}
