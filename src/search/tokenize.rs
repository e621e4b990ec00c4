//! Text into index terms: the one definition of a "word" that the index (here) and the query
//! side (`themes/default/search/search.js`, which mirrors these rules) share.
//!
//! - Unicode-aware: a word is a run of letters and digits (any script), lowercased, with
//!   accents removed (NFD, combining marks dropped), so `Politique` and `politique`, `café`
//!   and `cafe` are one term.
//! - Ids stay whole: letters/digits joined by `.` or `-` with at least one digit in the run
//!   (`A.5.15`, `DOC-00042`, `R-002`, `6.1.2`) are one term; `e-mail` is two words.
//! - Chinese, Japanese and Korean have no spaces: a run of CJK characters becomes its
//!   character bigrams (a lone character stays a unigram).
//! - A light English stemmer folds plurals and -ing/-ed/-e endings (`policies` -> `policy`,
//!   `encrypted` -> `encrypt`, `logging` -> `log`); words with digits and CJK are not stemmed.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Whether `c` is written without spaces between words (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF | 0x20000..=0x2A6DF)
}

/// Lowercases and removes accents; Hangul syllables are kept composed.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if (0xAC00..=0xD7AF).contains(&(c as u32)) {
            out.push(c);
        } else {
            for d in std::iter::once(c).nfd().filter(|d| !is_combining_mark(*d)) {
                out.extend(d.to_lowercase());
            }
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// A piece of text as [`tokens`] cuts it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Token<'a> {
    /// An ASCII word or id as written (its term is [`term_of_word`] of it), and when it has
    /// at most 16 bytes, those bytes in one number (little-endian, zero-padded: no word holds
    /// a zero byte), a key that is cheap to look up.
    Word(&'a str, Option<u128>),
    /// A term (from text that is not ASCII, folded and stemmed already).
    Term(&'a str),
}

/// Calls `emit` with every token of `text` (not folded), in order: the [`terms`] of [`fold`]ed
/// text, ASCII words left as written so that a caller can look a word up before folding and
/// stemming it ([`term_of_word`]). No term spans whitespace (nor does folding make or remove
/// any), so text is cut at the spaces around each non-ASCII character: only the words that hold
/// one are folded, the ASCII text around them is read as it is.
pub fn tokens(text: &str, mut emit: impl FnMut(Token)) {
    let b = text.as_bytes();
    let word = |w| word_token(text, w);
    // Most text is ASCII throughout: one quick check, then one pass over its words.
    if text.is_ascii() {
        return ascii_words(text, |w| emit(word(w)));
    }
    let mut i = 0;
    while i < b.len() {
        let Some(k) = b[i..].iter().position(|c| !c.is_ascii()) else {
            ascii_words(&text[i..], |w| emit(word(w)));
            return;
        };
        let wide = i + k;
        let start = b[i..wide].iter().rposition(u8::is_ascii_whitespace).map_or(i, |s| i + s + 1);
        ascii_words(&text[i..start], |w| emit(word(w)));
        let end = b[wide..].iter().position(u8::is_ascii_whitespace).map_or(b.len(), |e| wide + e);
        terms(&fold(&text[start..end]), |t| emit(Token::Term(t)));
        i = end;
    }
}

/// [`Token::Word`] of `w`, a word of `text`.
fn word_token<'a>(text: &str, w: &'a str) -> Token<'a> {
    let n = w.len();
    if n > 16 {
        return Token::Word(w, None);
    }
    // The 16 bytes from the word's start in one load where the text has them.
    let at = w.as_ptr() as usize - text.as_ptr() as usize;
    let mut bytes = [0u8; 16];
    match text.as_bytes().get(at..at + 16) {
        Some(sixteen) => bytes.copy_from_slice(sixteen),
        None => bytes[..n].copy_from_slice(w.as_bytes()),
    }
    let key = u128::from_le_bytes(bytes);
    Token::Word(w, Some(if n == 16 { key } else { key & ((1u128 << (8 * n)) - 1) }))
}

/// The term of an ASCII word or id as [`tokens`] gives it, into `out`: lowercased, and a word
/// (an id holds `.` or `-`) stemmed.
pub fn term_of_word(word: &str, out: &mut String) {
    out.clear();
    out.push_str(word);
    out.make_ascii_lowercase();
    if !word.contains(['.', '-']) {
        stem(out);
    }
}

/// Calls `emit` with every term of `text` (not folded), in order: [`terms`] of [`fold`]ed
/// text, without a folded copy of ASCII text (each word is lowercased as it is emitted).
pub fn terms_of(text: &str, mut emit: impl FnMut(&str)) {
    let mut word = String::new();
    tokens(text, |t| match t {
        Token::Word(w, _) => {
            term_of_word(w, &mut word);
            emit(&word);
        }
        Token::Term(t) => emit(t),
    });
}

/// Calls `emit` with every term of `text` (already folded by [`fold`]), in order. Words are
/// stemmed; ids and CJK bigrams are emitted as they are.
pub fn terms(folded: &str, mut emit: impl FnMut(&str)) {
    if folded.is_ascii() {
        return ascii_terms(folded, emit);
    }
    let chars: Vec<(usize, char)> = folded.char_indices().collect();
    let mut i = 0;
    let mut stemmed = String::new();
    while i < chars.len() {
        let c = chars[i].1;
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i].1) {
                i += 1;
            }
            let byte = |k: usize| chars.get(k).map_or(folded.len(), |x| x.0);
            if i - start == 1 {
                emit(&folded[byte(start)..byte(i)]);
            }
            for k in start..i.saturating_sub(1) {
                emit(&folded[byte(k)..byte(k + 2)]);
            }
            continue;
        }
        if !is_word(c) {
            i += 1;
            continue;
        }
        // A run of word characters, possibly joined by `.`/`-` into an id.
        let start = i;
        let mut end = i;
        let mut has_digit = false;
        let mut joined = false;
        loop {
            while end < chars.len() && is_word(chars[end].1) {
                has_digit |= chars[end].1.is_numeric();
                end += 1;
            }
            if end + 1 < chars.len() && matches!(chars[end].1, '.' | '-') && is_word(chars[end + 1].1) {
                joined = true;
                end += 1;
                continue;
            }
            break;
        }
        let byte = |k: usize| chars.get(k).map_or(folded.len(), |x| x.0);
        emit_run(&folded[byte(start)..byte(end)], joined && has_digit, &mut stemmed, &mut emit);
        i = end;
    }
}

/// [`terms`] for ASCII text (the common case, folded or not), byte by byte.
fn ascii_terms(text: &str, mut emit: impl FnMut(&str)) {
    let mut word = String::new();
    ascii_words(text, |w| {
        term_of_word(w, &mut word);
        emit(&word);
    });
}

/// The words and ids of ASCII text as written, in order (their terms are [`term_of_word`]).
fn ascii_words<'a>(text: &'a str, mut emit: impl FnMut(&'a str)) {
    let b = text.as_bytes();
    let class = |c: u8| CLASS[usize::from(c)];
    let mut i = 0;
    while i < b.len() {
        if class(b[i]) == 0 {
            i += 1;
            continue;
        }
        let (start, mut end, mut has_digit, mut joined) = (i, i, false, false);
        loop {
            while let Some(&c) = b.get(end).filter(|&&c| class(c) != 0) {
                has_digit |= class(c) == DIGIT;
                end += 1;
            }
            if end + 1 < b.len() && matches!(b[end], b'.' | b'-') && class(b[end + 1]) != 0 {
                joined = true;
                end += 1;
                continue;
            }
            break;
        }
        let run = &text[start..end];
        if !joined || has_digit {
            emit(run);
        } else {
            for w in run.split(['.', '-']).filter(|w| !w.is_empty()) {
                emit(w);
            }
        }
        i = end;
    }
}

/// What each byte is in ASCII text: 0 (not part of a word), [`LETTER`] or [`DIGIT`].
const CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        class[c] = if b.is_ascii_digit() {
            DIGIT
        } else if b.is_ascii_alphabetic() {
            LETTER
        } else {
            0
        };
        c += 1;
    }
    class
};
const LETTER: u8 = 1;
const DIGIT: u8 = 2;

/// A run of words joined by `.`/`-`: one id term, or each word stemmed.
fn emit_run(run: &str, id: bool, stemmed: &mut String, emit: &mut impl FnMut(&str)) {
    if id {
        return emit(run);
    }
    for w in run.split(['.', '-']).filter(|w| !w.is_empty()) {
        if w.len() < 4 {
            emit(w);
            continue;
        }
        stemmed.clear();
        stemmed.push_str(w);
        stem(stemmed);
        emit(stemmed);
    }
}

/// All terms of `text`, folded and stemmed (allocating; for tests and small texts).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    terms_of(text, |t| out.push(t.to_string()));
    out
}

/// The light English stemmer, in place. Only lowercase alphabetic ASCII words of four letters
/// or more are touched.
pub fn stem(w: &mut String) {
    if w.len() < 4 || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return;
    }
    // Plurals.
    if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with("ies") && w.len() > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.pop();
    }
    // -ing, -ed, with a doubled final consonant undone (logging -> log).
    for suffix in ["ing", "ed"] {
        if w.ends_with(suffix) && !w.ends_with("eed") {
            let rest = &w[..w.len() - suffix.len()];
            if rest.len() >= 3 && rest.bytes().any(|b| b"aeiouy".contains(&b)) {
                w.truncate(rest.len());
                let b = w.as_bytes();
                let n = b.len();
                if n >= 2 && b[n - 1] == b[n - 2] && !b"aeioulsz".contains(&b[n - 1]) {
                    w.pop();
                }
                return;
            }
        }
    }
    if w.ends_with('e') && w.len() > 4 {
        w.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(w: &str) -> String {
        let mut x = w.to_string();
        stem(&mut x);
        x
    }

    #[test]
    fn words_are_folded_and_stemmed() {
        assert_eq!(tokenize("Passwords MUST be changed!"), ["password", "must", "be", "chang"]);
        assert_eq!(tokenize("Café Politique RÉSUMÉ"), ["cafe", "politiqu", "resum"]);
        assert_eq!(tokenize("e-mail and front-end"), ["e", "mail", "and", "front", "end"]);
    }

    #[test]
    fn unfolded_ascii_text_gives_the_terms_of_folded_text() {
        let text = "Logging of A.5.15, DOC-00042 and R-002: E-Mail PASSWORDS are Changed; x-1 3.2 .b- ok.";
        let (mut a, mut b) = (Vec::new(), Vec::new());
        terms_of(text, |t| a.push(t.to_string()));
        terms(&fold(text), |t| b.push(t.to_string()));
        assert_eq!(a, b);
        assert!(a.contains(&"a.5.15".to_string()) && a.contains(&"log".to_string()), "{a:?}");
    }

    #[test]
    fn mixed_text_gives_the_terms_of_folded_text() {
        for text in [
            "Café—policy A.5.15’s owner, e-mail ÉTÉ 情報セキュリティ Policy規程 x\u{301}y Straße DOC-1é",
            "é",
            " é a",
            "a\u{a0}b c\u{2003}d",
            "résumé.pdf v1.2-β",
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            terms_of(text, |t| a.push(t.to_string()));
            terms(&fold(text), |t| b.push(t.to_string()));
            assert_eq!(a, b, "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, failure_persistence: None, ..Default::default() })]
        #[test]
        fn any_text_gives_the_terms_of_folded_text(text in "[a-cA-C0-9.\\- \t\u{e9}\u{2014}\u{301}\u{a0}\u{60c5}\u{5831}\u{ac00}]{0,24}") {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            terms_of(&text, |t| a.push(t.to_string()));
            terms(&fold(&text), |t| b.push(t.to_string()));
            proptest::prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn short_words_carry_their_bytes_as_a_key() {
        let mut keys = Vec::new();
        tokens("Pass A.5.15 abcdefghijklmnop abcdefghijklmnopq é x", |t| keys.push(format!("{t:?}")));
        let key = |s: &str| {
            let mut b = [0u8; 16];
            b[..s.len()].copy_from_slice(s.as_bytes());
            Some(u128::from_le_bytes(b))
        };
        let want = [
            Token::Word("Pass", key("Pass")),
            Token::Word("A.5.15", key("A.5.15")),
            Token::Word("abcdefghijklmnop", key("abcdefghijklmnop")),
            Token::Word("abcdefghijklmnopq", None),
            Token::Term("e"),
            Token::Word("x", key("x")),
        ];
        assert_eq!(keys, want.map(|t| format!("{t:?}")));
    }

    #[test]
    fn ids_stay_whole() {
        assert_eq!(tokenize("See A.5.15."), ["see", "a.5.15"]);
        assert_eq!(tokenize("DOC-00042, R-002 and clause 6.1.2"), ["doc-00042", "r-002", "and", "claus", "6.1.2"]);
        assert_eq!(tokenize("ISO/IEC 27001:2022"), ["iso", "iec", "27001", "2022"]);
    }

    #[test]
    fn cjk_text_becomes_bigrams() {
        assert_eq!(tokenize("情報セキュリティ"), ["情報", "報セ", "セキ", "キュ", "ュリ", "リテ", "ティ"]);
        assert_eq!(tokenize("日 本"), ["日", "本"]);
        assert_eq!(tokenize("보안 정책"), ["보안", "정책"]);
        assert_eq!(tokenize("Policy規程"), ["policy", "規程"]);
    }

    #[test]
    fn stemmer_folds_common_endings() {
        for (w, want) in [
            ("policies", "policy"),
            ("policy", "policy"),
            ("controls", "control"),
            ("access", "access"),
            ("status", "status"),
            ("analysis", "analysis"),
            ("addresses", "address"),
            ("encrypted", "encrypt"),
            ("encrypting", "encrypt"),
            ("logging", "log"),
            ("installed", "install"),
            ("training", "train"),
            ("change", "chang"),
            ("changes", "chang"),
            ("changing", "chang"),
            ("need", "need"),
            ("using", "using"),
            ("laptops", "laptop"),
            ("user", "user"),
        ] {
            assert_eq!(s(w), want, "stem({w})");
        }
    }
}
