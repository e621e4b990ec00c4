//! The risk register (`risks.yaml`, DESIGN section 6b): loading, scoring and the chain lints.
//!
//! A register has a [`Method`] (scales, score bands that name the levels, the acceptance
//! threshold and the treatment deadline of each level) and [`Risk`]s, each treated by catalogue
//! controls through dated actions. [`load`] reads the file; [`check_references`] checks what
//! the risks name (controls, roles) once the handbook is loaded; [`chain_gaps`] checks the chain
//! risk -> control -> SoA both ways, the action deadlines and the acceptance of residual risk,
//! and returns each finding as an audit [`Gap`]. [`citations`] finds the risk ids an SoA
//! justification cites (`[[R-002]]` or plain `R-002`).

use crate::audit::Gap;
use crate::dates::Date;
use crate::diagnostics::{Diagnostic, Diagnostics, Pos};
use crate::model::Handbook;
use crate::yaml::{self, OneOrMany, Scalar};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub const RISKS_FILE: &str = "risks.yaml";

/// The longest rating scale accepted (a heat map has likelihood x impact cells).
pub const MAX_SCALE: u32 = 10;

/// The level of a score below every band of the method.
pub const LOWEST_LEVEL: &str = "low";

/// How risks are rated: scales, level bands, acceptance threshold and treatment deadlines.
#[derive(Clone, Debug, Serialize)]
pub struct Method {
    /// The highest likelihood rating (ratings run 1..=likelihood).
    pub likelihood: u32,
    /// The highest impact rating.
    pub impact: u32,
    /// Level name -> minimum score, highest band first; a lower score is [`LOWEST_LEVEL`].
    #[serde(serialize_with = "serialize_levels")]
    pub levels: Vec<(String, u32)>,
    /// A residual score above this needs a named acceptance.
    pub accept_at_most: u32,
    /// Level -> days from the assessment within which open actions must be due.
    pub treat_within_days: BTreeMap<String, u32>,
}

/// Levels as `[{"level": "high", "min_score": 15}, ...]`, highest first.
fn serialize_levels<S: serde::Serializer>(levels: &[(String, u32)], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Band<'a> {
        level: &'a str,
        min_score: u32,
    }
    s.collect_seq(levels.iter().map(|(level, min_score)| Band { level, min_score: *min_score }))
}

impl Default for Method {
    fn default() -> Self {
        Method {
            likelihood: 5,
            impact: 5,
            levels: vec![("high".into(), 15), ("medium".into(), 8)],
            accept_at_most: 6,
            treat_within_days: [("high".to_string(), 90), ("medium".to_string(), 180)].into_iter().collect(),
        }
    }
}

impl Method {
    /// The level of a score: the highest band whose minimum it reaches.
    pub fn level(&self, score: u32) -> &str {
        self.levels.iter().find(|(_, min)| score >= *min).map_or(LOWEST_LEVEL, |(name, _)| name.as_str())
    }

    /// Every level name, highest first (the lowest last).
    pub fn level_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.levels.iter().map(|(n, _)| n.as_str()).collect();
        if !names.contains(&LOWEST_LEVEL) {
            names.push(LOWEST_LEVEL);
        }
        names
    }
}

/// A likelihood and impact pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rating {
    pub likelihood: u32,
    pub impact: u32,
}

impl Rating {
    pub fn score(self) -> u32 {
        self.likelihood * self.impact
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    Modify,
    Retain,
    Avoid,
    Share,
}

impl Treatment {
    pub const ALL: [Treatment; 4] = [Treatment::Modify, Treatment::Retain, Treatment::Avoid, Treatment::Share];

    pub fn as_str(self) -> &'static str {
        match self {
            Treatment::Modify => "modify",
            Treatment::Retain => "retain",
            Treatment::Avoid => "avoid",
            Treatment::Share => "share",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Cancelled,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 4] =
        [ActionStatus::Open, ActionStatus::InProgress, ActionStatus::Done, ActionStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Done => "done",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    /// Still to be done: open or in progress.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// One step of a risk's treatment plan.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    pub what: String,
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub status: ActionStatus,
    #[serde(skip)]
    pub line: usize,
}

/// Who accepted the residual risk, and when.
#[derive(Clone, Debug, Serialize)]
pub struct Acceptance {
    pub by: String,
    pub date: Option<Date>,
}

/// One risk of the register.
#[derive(Clone, Debug, Serialize)]
pub struct Risk {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub likelihood: u32,
    pub impact: u32,
    pub score: u32,
    pub level: String,
    pub treatment: Option<Treatment>,
    pub controls: Vec<String>,
    pub actions: Vec<Action>,
    /// After treatment; `None` means the rating before treatment still holds.
    pub residual: Option<Rating>,
    pub residual_score: u32,
    pub residual_level: String,
    pub accepted: Option<Acceptance>,
    /// When the risk was assessed (its own `assessed`, else the register's): deadlines count from it.
    pub assessed: Option<Date>,
    pub review: Option<Date>,
    /// 1-based line of the risk's `- id:` item in risks.yaml.
    #[serde(skip)]
    pub line: usize,
}

impl Risk {
    pub fn rating(&self) -> Rating {
        Rating { likelihood: self.likelihood, impact: self.impact }
    }

    /// The rating after treatment (the rating before, when no residual is given).
    pub fn residual_rating(&self) -> Rating {
        self.residual.unwrap_or_else(|| self.rating())
    }
}

/// The whole of risks.yaml.
#[derive(Clone, Debug, Serialize)]
pub struct Register {
    pub method: Method,
    pub classification: String,
    pub assessed: Option<Date>,
    pub risks: Vec<Risk>,
    /// Whether this build publishes the register (its classification is at or below the build's).
    pub published: bool,
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub text: String,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl Register {
    pub fn get(&self, id: &str) -> Option<&Risk> {
        self.index.get(id).map(|&i| &self.risks[i])
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The risks that list `control`.
    pub fn treating(&self, control: &str) -> impl Iterator<Item = &Risk> {
        self.risks.iter().filter(move |r| r.controls.iter().any(|c| c == control))
    }

    /// Whether `word` has the shape of this register's ids: a prefix the register uses
    /// (`R-` for `R-002`) followed by digits only.
    pub fn looks_like_id(&self, word: &str) -> bool {
        self.risks.iter().any(|r| {
            let prefix = id_prefix(&r.id);
            !prefix.is_empty()
                && prefix.len() < r.id.len()
                && word.len() > prefix.len()
                && word.starts_with(prefix)
                && word[prefix.len()..].bytes().all(|b| b.is_ascii_digit())
        })
    }

    pub fn ids(&self) -> Vec<&str> {
        self.risks.iter().map(|r| r.id.as_str()).collect()
    }

    fn pos_in_risk(&self, risk: &Risk, needle: &str) -> Pos {
        let from = crate::load::offset_of_line(&self.text, risk.line);
        yaml::find_after(&self.text, from, needle).unwrap_or(Pos::new(risk.line, 1))
    }
}

/// `R-` for `R-002`: the id without its trailing digits.
fn id_prefix(id: &str) -> &str {
    id.trim_end_matches(|c: char| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// Loading

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawRegister {
    method: Option<RawMethod>,
    classification: Option<String>,
    assessed: Option<Scalar>,
    #[serde(default)]
    risks: Vec<RawRisk>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawMethod {
    likelihood: Option<u32>,
    impact: Option<u32>,
    levels: Option<BTreeMap<String, u32>>,
    accept_at_most: Option<u32>,
    treat_within_days: Option<BTreeMap<String, u32>>,
}

#[derive(Debug, Deserialize)]
struct RawRisk {
    id: Option<Scalar>,
    title: Option<String>,
    description: Option<String>,
    owner: Option<String>,
    likelihood: Option<u32>,
    impact: Option<u32>,
    treatment: Option<String>,
    controls: Option<OneOrMany>,
    #[serde(default)]
    actions: Vec<RawAction>,
    residual: Option<RawRating>,
    accepted: Option<RawAcceptance>,
    assessed: Option<Scalar>,
    review: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
struct RawAction {
    what: Option<String>,
    owner: Option<String>,
    due: Option<Scalar>,
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawRating {
    likelihood: Option<u32>,
    impact: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct RawAcceptance {
    by: Option<String>,
    date: Option<Scalar>,
}

/// Reads the text of `src/risks.yaml`. Problems become diagnostics; a risk that cannot be
/// read is left out, the rest of the register stays.
pub fn load(config: &crate::config::Config, file: &Path, text: String, diags: &mut Diagnostics) -> Option<Register> {
    let file = file.to_path_buf();
    let raw: RawRegister = if text.trim().is_empty() {
        RawRegister::default()
    } else {
        crate::load::parse_reporting(&text, &file, diags)?
    };
    let mut loader = Loader { file: &file, text: &text, diags };
    let method = loader.method(raw.method.unwrap_or_default());
    let classification = match raw.classification {
        Some(c) if config.level_rank(c.trim()).is_some() => c.trim().to_string(),
        Some(c) => {
            let pos = loader.pos(0, "classification:");
            loader.diags.push(
                Diagnostic::error("unknown-classification", &file, format!("unknown classification `{c}`"))
                    .at_pos(pos)
                    .hint(format!("levels are, lowest first: {}", config.levels.join(", "))),
            );
            crate::config::default_level(&config.levels)
        }
        None => crate::config::default_level(&config.levels),
    };
    let assessed = loader.date(raw.assessed, "assessed", 0);
    let lines = crate::load::list_item_lines(&text, "risks");
    let mut risks: Vec<Risk> = Vec::new();
    let mut index = HashMap::new();
    for (n, r) in raw.risks.into_iter().enumerate() {
        let line = lines.get(n).copied().unwrap_or(1);
        let Some(risk) = loader.risk(r, n, line, &method, assessed) else { continue };
        if let Some(&first) = index.get(&risk.id) {
            let first: &Risk = &risks[first];
            loader.diags.push(
                Diagnostic::error(
                    "duplicate-id",
                    &file,
                    format!("risk `{}` is already defined on line {}", risk.id, first.line),
                )
                .at(line, 1)
                .hint("every risk needs its own id"),
            );
            continue;
        }
        index.insert(risk.id.clone(), risks.len());
        risks.push(risk);
    }
    let published = config.includes(&classification);
    Some(Register { method, classification, assessed, risks, published, file, text, index })
}

struct Loader<'a> {
    file: &'a Path,
    text: &'a str,
    diags: &'a mut Diagnostics,
}

impl Loader<'_> {
    /// The position of `needle` at or after line `line` (0: the start of the file).
    fn pos(&self, line: usize, needle: &str) -> Pos {
        let from = crate::load::offset_of_line(self.text, line);
        yaml::find_after(self.text, from, needle).unwrap_or(Pos::new(line.max(1), 1))
    }

    fn invalid(&mut self, pos: Pos, message: String, hint: &str) {
        self.diags.push(Diagnostic::error("risk-invalid", self.file, message).at_pos(pos).hint(hint));
    }

    fn method(&mut self, raw: RawMethod) -> Method {
        let default = Method::default();
        let mut scale = |v: Option<u32>, key: &str, default: u32| match v {
            Some(n) if (1..=MAX_SCALE).contains(&n) => n,
            Some(n) => {
                let pos = self.pos(0, &format!("{key}:"));
                self.invalid(
                    pos,
                    format!("method `{key}: {n}` must be a scale from 1 to {MAX_SCALE}"),
                    "a 5-point scale is usual",
                );
                default
            }
            None => default,
        };
        let likelihood = scale(raw.likelihood, "likelihood", default.likelihood);
        let impact = scale(raw.impact, "impact", default.impact);
        let mut levels: Vec<(String, u32)> = match raw.levels {
            Some(l) => l.into_iter().collect(),
            None => default.levels.clone(),
        };
        levels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let treat_within_days = raw.treat_within_days.unwrap_or(default.treat_within_days);
        let method = Method {
            likelihood,
            impact,
            levels,
            accept_at_most: raw.accept_at_most.unwrap_or(default.accept_at_most),
            treat_within_days,
        };
        let names = method.level_names();
        let unknown: Vec<String> =
            method.treat_within_days.keys().filter(|k| !names.contains(&k.as_str())).cloned().collect();
        for level in unknown {
            let pos = self.pos(0, &format!("{level}:"));
            self.invalid(
                pos,
                format!("`treat-within-days` names `{level}`, which is not a level of the method"),
                &format!("levels are: {}", names.join(", ")),
            );
        }
        method
    }

    fn date(&mut self, v: Option<Scalar>, key: &str, line: usize) -> Option<Date> {
        let v = v?;
        let parsed = Date::parse(&v.0);
        if parsed.is_none() {
            let pos = self.pos(line, &format!("{key}:"));
            self.diags.push(
                Diagnostic::error("invalid-date", self.file, format!("`{key}: {}` is not a date", v.0))
                    .at_pos(pos)
                    .hint("write dates as YYYY-MM-DD, e.g. 2026-03-01"),
            );
        }
        parsed
    }

    /// A rating within the method's scale; out-of-range values are reported and clamped.
    fn rating(&mut self, l: Option<u32>, i: Option<u32>, line: usize, what: &str, method: &Method) -> Option<Rating> {
        let mut check = |v: Option<u32>, key: &str, max: u32| -> Option<u32> {
            match v {
                Some(n) if (1..=max).contains(&n) => Some(n),
                Some(n) => {
                    let pos = self.pos(line, &format!("{key}:"));
                    self.invalid(
                        pos,
                        format!("{what} {key} {n} is outside the method's scale 1..{max}"),
                        "rate on the scale set in `method:`",
                    );
                    Some(n.clamp(1, max))
                }
                None => {
                    let pos = Pos::new(line, 1);
                    self.invalid(pos, format!("{what} has no `{key}`"), "rate likelihood and impact");
                    None
                }
            }
        };
        let likelihood = check(l, "likelihood", method.likelihood);
        let impact = check(i, "impact", method.impact);
        Some(Rating { likelihood: likelihood?, impact: impact? })
    }

    fn risk(&mut self, r: RawRisk, n: usize, line: usize, method: &Method, assessed: Option<Date>) -> Option<Risk> {
        let (Some(id), Some(title)) = (r.id.clone().map(|s| s.0.trim().to_string()), r.title) else {
            let field = if r.id.is_none() { "id" } else { "title" };
            let what = format!("risk number {} has no `{field}`", n + 1);
            self.invalid(Pos::new(line, 1), what, "every risk needs an id (e.g. R-001) and a title");
            return None;
        };
        if let Some(d) = crate::urls::check_id("risk", &id, self.file, self.pos(line, &id)) {
            self.diags.push(d);
            return None;
        }
        let what = format!("risk {id}");
        let rating = self.rating(r.likelihood, r.impact, line, &what, method)?;
        let residual = match r.residual {
            Some(res) => {
                let rline = self.pos(line, "residual:").line;
                self.rating(res.likelihood, res.impact, rline, &format!("the residual of {id}"), method)
            }
            None => None,
        };
        let treatment = r.treatment.and_then(|t| {
            let found = Treatment::ALL.into_iter().find(|x| x.as_str() == t.trim());
            if found.is_none() {
                let pos = self.pos(line, "treatment:");
                self.invalid(
                    pos,
                    format!("unknown treatment `{t}` for {id}"),
                    "use one of: modify, retain, avoid, share",
                );
            }
            found
        });
        let action_lines: Vec<usize> = {
            let from = crate::load::offset_of_line(self.text, line);
            let start = self.text[from..].find("actions:").map(|i| from + i);
            match start {
                Some(s) => {
                    let base = crate::diagnostics::Pos::of_offset(self.text, s).line;
                    let sub = &self.text[s..];
                    sub.lines()
                        .enumerate()
                        .skip(1)
                        .filter(|(_, l)| l.trim_start().starts_with("- "))
                        .map(|(i, _)| base + i)
                        .collect()
                }
                None => Vec::new(),
            }
        };
        let mut actions = Vec::new();
        for (k, a) in r.actions.into_iter().enumerate() {
            let aline = action_lines.get(k).copied().unwrap_or(line);
            let status = match a.status.as_deref().map(str::trim) {
                None => ActionStatus::Open,
                Some(s) => ActionStatus::ALL.into_iter().find(|x| x.as_str() == s).unwrap_or_else(|| {
                    let pos = self.pos(aline, "status:");
                    self.invalid(
                        pos,
                        format!("unknown action status `{s}` for {id}"),
                        "use one of: open, in-progress, done, cancelled",
                    );
                    ActionStatus::Open
                }),
            };
            actions.push(Action {
                what: a.what.unwrap_or_default(),
                owner: a.owner.filter(|o| !o.trim().is_empty()),
                due: self.date(a.due, "due", aline),
                status,
                line: aline,
            });
        }
        let accepted = match r.accepted {
            Some(a) => {
                let aline = self.pos(line, "accepted:").line;
                let date = self.date(a.date, "date", aline);
                match a.by.filter(|b| !b.trim().is_empty()) {
                    Some(by) => Some(Acceptance { by, date }),
                    None => {
                        self.invalid(
                            Pos::new(aline, 1),
                            format!("the acceptance of {id} names no one"),
                            "write `accepted: { by: <role>, date: YYYY-MM-DD }`",
                        );
                        None
                    }
                }
            }
            None => None,
        };
        let own_assessed = self.date(r.assessed, "assessed", line);
        let review = self.date(r.review, "review", line);
        let score = rating.score();
        let residual_score = residual.unwrap_or(rating).score();
        Some(Risk {
            id,
            title,
            description: r.description,
            owner: r.owner.filter(|o| !o.trim().is_empty()),
            likelihood: rating.likelihood,
            impact: rating.impact,
            score,
            level: method.level(score).to_string(),
            treatment,
            controls: r.controls.map(OneOrMany::into_strings).unwrap_or_default(),
            actions,
            residual,
            residual_score,
            residual_level: method.level(residual_score).to_string(),
            accepted,
            assessed: own_assessed.or(assessed),
            review,
            line,
        })
    }
}

/// What the risks name, once the handbook is loaded: controls (errors with suggestions) and
/// roles (`risk-owner-not-role` warnings, when roles.yaml defines roles).
pub fn check_references(hb: &Handbook, diags: &mut Diagnostics) {
    let Some(reg) = &hb.risks else { return };
    let controls: Vec<&str> = hb.controls.iter().map(|c| c.id.as_str()).collect();
    let roles: Vec<&str> = hb.roles.iter().map(|r| r.id.as_str()).collect();
    for risk in &reg.risks {
        for c in &risk.controls {
            if hb.control(c).is_none() {
                let pos = reg.pos_in_risk(risk, c);
                let msg = format!("risk {} names no known control {c}", risk.id);
                diags.push(crate::links::unknown("unknown-control", &reg.file, pos, &msg, c, &controls));
            }
        }
        if roles.is_empty() {
            continue;
        }
        let mut owner = |who: &str, what: String, pos: Pos| {
            if hb.role(who).is_none() {
                let message =
                    crate::links::did_you_mean(&format!("{what} `{who}` is not a role in roles.yaml"), who, &roles);
                diags.push(
                    Diagnostic::warning("risk-owner-not-role", &reg.file, message)
                        .at_pos(pos)
                        .hint("name a role id from roles.yaml, so that the role's page lists what it owns"),
                );
            }
        };
        if let Some(o) = &risk.owner {
            owner(o, format!("the owner of {}", risk.id), reg.pos_in_risk(risk, "owner:"));
        }
        for a in &risk.actions {
            if let Some(o) = &a.owner {
                let from = crate::load::offset_of_line(&reg.text, a.line);
                let pos = yaml::find_after(&reg.text, from, "owner:").unwrap_or(Pos::new(a.line, 1));
                owner(o, format!("the owner of an action of {}", risk.id), pos);
            }
        }
        if let Some(acc) = &risk.accepted {
            owner(&acc.by, format!("who accepted {}", risk.id), reg.pos_in_risk(risk, "by:"));
        }
    }
}

/// A risk id cited in a text, with its character offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citation {
    pub id: String,
    /// Offset in characters (for columns in diagnostics).
    pub offset: usize,
    /// Offset in bytes.
    pub byte: usize,
}

/// The risk ids `text` cites: every `[[ID]]` that is a risk or has a risk id's shape, and every
/// plain word with a risk id's shape (`R-012` when the register uses `R-` ids).
pub fn citations(text: &str, reg: &Register) -> Vec<Citation> {
    let mut out = Vec::new();
    let mut word_start: Option<(usize, usize)> = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
    let flush = |start: Option<(usize, usize)>, end: usize, out: &mut Vec<Citation>| {
        if let Some((byte, ch)) = start {
            let word = text[byte..end].trim_end_matches('.');
            if reg.get(word).is_some() || reg.looks_like_id(word) {
                out.push(Citation { id: word.to_string(), offset: ch, byte });
            }
        }
    };
    for (chars, (byte, c)) in text.char_indices().enumerate() {
        if is_word(c) {
            if word_start.is_none() {
                word_start = Some((byte, chars));
            }
        } else {
            flush(word_start.take(), byte, &mut out);
        }
    }
    flush(word_start, text.len(), &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Chain lints

/// The kinds of risk finding, in the order coverage.html shows them.
pub const GAP_KINDS: [(&str, &str); 6] = [
    ("control-unexplained", "Applicable controls that no risk and no justification explains"),
    ("soa-risk-control-mismatch", "SoA justifications citing a risk that does not list the control"),
    ("risk-action-overdue", "Risk treatment actions past their due date"),
    ("risk-action-late", "Risk treatment actions due later than the method allows"),
    ("risk-not-accepted", "Residual risks above the acceptance threshold without acceptance"),
    ("risk-owner-not-role", "Risk owners that are not roles"),
];

/// The chain risk -> control -> SoA, checked both ways, and the register's own rules. Errors
/// (an unknown risk cited by soa.yaml, a treating control that is not applicable) go to
/// `diags`; every other finding is returned as a gap (and carries its diagnostic), unless the
/// register is not published by this build: then its findings go to `diags` only.
pub fn chain_gaps(hb: &Handbook, diags: &mut Diagnostics) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let soa = &hb.soa_file;
    // Applicable controls that neither a risk nor a justification explains (info).
    for c in &hb.controls {
        let Some(d) = hb.decision(&c.id) else { continue };
        let treated = hb.risks.as_ref().is_some_and(|r| r.treating(&c.id).next().is_some());
        if d.applicable && d.justification.is_none() && !treated {
            gaps.push(Gap::new(
                "control-unexplained",
                &c.id,
                Some(crate::urls::control_url(&c.id)),
                Diagnostic::info(
                    "control-unexplained",
                    soa,
                    format!("{} is applicable, but no risk lists it and soa.yaml gives no justification", c.id),
                )
                .at(d.line, 1)
                .hint("list the control under the risk it treats in risks.yaml, or add a `justification:`"),
            ));
        }
    }
    let Some(reg) = &hb.risks else { return gaps };
    // Only a published register may be named on coverage.html.
    let risk_page = |id: &str| reg.published.then(|| crate::urls::risk_url(id));
    let ids = reg.ids();
    // soa.yaml justifications: every cited risk exists and lists the control.
    for d in &hb.soa {
        let Some(j) = &d.justification else { continue };
        for cite in citations(j, reg) {
            let pos = d.justification_pos.map_or(Pos::new(d.line, 1), |p| Pos::new(p.line, p.column + cite.offset));
            match reg.get(&cite.id) {
                None => diags.push(crate::links::unknown(
                    "unknown-risk",
                    soa,
                    pos,
                    &format!(
                        "the justification of {} cites risk {}, which risks.yaml does not define",
                        d.control, cite.id
                    ),
                    &cite.id,
                    &ids,
                )),
                Some(risk) if !risk.controls.contains(&d.control) => gaps.push(Gap::new(
                    "soa-risk-control-mismatch",
                    &d.control,
                    risk_page(&risk.id),
                    Diagnostic::warning(
                        "soa-risk-control-mismatch",
                        soa,
                        format!(
                            "the justification of {} cites {}, but {} does not list {} among its controls",
                            d.control, risk.id, risk.id, d.control
                        ),
                    )
                    .at_pos(pos)
                    .hint(format!(
                        "add {} to the `controls:` of {} in risks.yaml, or cite the risk it does treat",
                        d.control, risk.id
                    )),
                )),
                Some(_) => {}
            }
        }
    }
    let file = &reg.file;
    for risk in &reg.risks {
        // A treating control must be applicable.
        for c in &risk.controls {
            if let Some(d) = hb.decision(c)
                && !d.applicable
            {
                diags.push(
                    Diagnostic::error(
                        "risk-control-not-applicable",
                        file,
                        format!("{} is treated by {}, but soa.yaml excludes it (line {})", c, risk.id, d.line),
                    )
                    .at_pos(reg.pos_in_risk(risk, c))
                    .hint(format!("make {c} applicable in soa.yaml, or treat {} with another control", risk.id)),
                );
            }
        }
        // Actions: not overdue, and due within the method's deadline for the risk's level.
        let deadline = match (risk.assessed, reg.method.treat_within_days.get(&risk.level)) {
            (Some(a), Some(&days)) => Some((Date::from_unix((a.days() + i64::from(days)) * 86_400), days)),
            _ => None,
        };
        for a in risk.actions.iter().filter(|a| a.status.is_open()) {
            let Some(due) = a.due else { continue };
            let from = crate::load::offset_of_line(&reg.text, a.line);
            let pos = yaml::find_after(&reg.text, from, "due:").unwrap_or(Pos::new(a.line, 1));
            if due < hb.build_date {
                gaps.push(Gap::new(
                    "risk-action-overdue",
                    &risk.id,
                    risk_page(&risk.id),
                    Diagnostic::warning(
                        "risk-action-overdue",
                        file,
                        format!(
                            "an open action of {} was due on {due} ({} days ago)",
                            risk.id,
                            hb.build_date.days() - due.days()
                        ),
                    )
                    .at_pos(pos)
                    .hint("finish the action and set `status: done`, or agree a new due date"),
                ));
            }
            if let Some((limit, days)) = deadline
                && due > limit
            {
                gaps.push(Gap::new(
                    "risk-action-late",
                    &risk.id,
                    risk_page(&risk.id),
                    Diagnostic::warning(
                        "risk-action-late",
                        file,
                        format!(
                            "an action of {} is due on {due}, but a {} risk must be treated within {days} days (by {limit})",
                            risk.id, risk.level
                        ),
                    )
                    .at_pos(pos)
                    .hint("bring the due date forward, or record why the method's deadline cannot be met"),
                ));
            }
        }
        // A residual risk above the threshold needs a named acceptance.
        if risk.residual_score > reg.method.accept_at_most && risk.accepted.is_none() {
            let pos = if risk.residual.is_some() { reg.pos_in_risk(risk, "residual:") } else { Pos::new(risk.line, 1) };
            gaps.push(Gap::new(
                "risk-not-accepted",
                &risk.id,
                risk_page(&risk.id),
                Diagnostic::warning(
                    "risk-not-accepted",
                    file,
                    format!(
                        "the residual score of {} is {}, above the acceptance threshold {}, and no one has accepted it",
                        risk.id, risk.residual_score, reg.method.accept_at_most
                    ),
                )
                .at_pos(pos)
                .hint("the risk owner accepts it: `accepted: { by: <role>, date: YYYY-MM-DD }`, or treat it further"),
            ));
        }
    }
    // A register this build does not publish leaves no trace on coverage.html or in
    // handbook.json: its findings are diagnostics only.
    if !reg.published {
        let (keep, hidden): (Vec<Gap>, Vec<Gap>) = gaps.into_iter().partition(|g| g.code == "control-unexplained");
        diags.extend(hidden.into_iter().map(|g| g.diagnostic));
        return keep;
    }
    gaps
}

// ---------------------------------------------------------------------------------------------
// Views: what the register pages show (render.rs fills the templates with them)

/// One cell of a likelihood x impact heat map.
#[derive(Clone, Debug, Serialize)]
pub struct HeatCell {
    pub likelihood: u32,
    pub impact: u32,
    pub score: u32,
    pub level: String,
    /// How many risks sit in this cell.
    pub count: usize,
    /// The register filtered to this cell: `likelihood=3&impact=5` (before treatment) or
    /// `residual-likelihood=1&residual-impact=5` (after).
    pub query: String,
}

/// A heat map, highest likelihood first (the top row), impact rising left to right.
#[derive(Clone, Debug, Serialize)]
pub struct HeatMap {
    /// `inherent` (before treatment) or `residual` (after).
    pub stage: &'static str,
    pub impacts: Vec<u32>,
    pub rows: Vec<HeatRow>,
}

/// One likelihood's row of a heat map.
#[derive(Clone, Debug, Serialize)]
pub struct HeatRow {
    pub likelihood: u32,
    pub cells: Vec<HeatCell>,
}

/// The heat map of the register before (`residual == false`) or after treatment.
pub fn heat_map(reg: &Register, residual: bool) -> HeatMap {
    let m = &reg.method;
    let (stage, prefix) = if residual { ("residual", "residual-") } else { ("inherent", "") };
    let mut counts: HashMap<(u32, u32), usize> = HashMap::new();
    for r in &reg.risks {
        let rating = if residual { r.residual_rating() } else { r.rating() };
        *counts.entry((rating.likelihood, rating.impact)).or_default() += 1;
    }
    let rows = (1..=m.likelihood)
        .rev()
        .map(|l| HeatRow {
            likelihood: l,
            cells: (1..=m.impact)
                .map(|i| HeatCell {
                    likelihood: l,
                    impact: i,
                    score: l * i,
                    level: m.level(l * i).to_string(),
                    count: counts.get(&(l, i)).copied().unwrap_or(0),
                    query: format!("{prefix}likelihood={l}&{prefix}impact={i}"),
                })
                .collect(),
        })
        .collect();
    HeatMap { stage, impacts: (1..=m.impact).collect(), rows }
}

/// The SoA rows whose justification cites `risk` (control ids, in catalogue order).
pub fn cited_by_soa<'a>(hb: &'a Handbook, reg: &Register, risk: &str) -> Vec<&'a str> {
    hb.soa
        .iter()
        .filter(|d| d.justification.as_deref().is_some_and(|j| citations(j, reg).iter().any(|c| c.id == risk)))
        .map(|d| d.control.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(ids: &[&str]) -> Register {
        let risks: Vec<Risk> = ids
            .iter()
            .map(|id| Risk {
                id: id.to_string(),
                title: String::new(),
                description: None,
                owner: None,
                likelihood: 1,
                impact: 1,
                score: 1,
                level: "low".into(),
                treatment: None,
                controls: Vec::new(),
                actions: Vec::new(),
                residual: None,
                residual_score: 1,
                residual_level: "low".into(),
                accepted: None,
                assessed: None,
                review: None,
                line: 1,
            })
            .collect();
        let index = risks.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        Register {
            method: Method::default(),
            classification: "internal".into(),
            assessed: None,
            risks,
            published: true,
            file: PathBuf::new(),
            text: String::new(),
            index,
        }
    }

    #[test]
    fn levels_from_bands() {
        let m = Method::default();
        assert_eq!(m.level(25), "high");
        assert_eq!(m.level(15), "high");
        assert_eq!(m.level(14), "medium");
        assert_eq!(m.level(8), "medium");
        assert_eq!(m.level(7), "low");
        assert_eq!(m.level_names(), ["high", "medium", "low"]);
    }

    #[test]
    fn citations_in_text() {
        let reg = register(&["R-002", "R-012"]);
        let found = citations("Required by risk R-012 and [[R-002]]; see R-99. Not AR-1 or R-x.", &reg);
        let ids: Vec<(&str, usize)> = found.iter().map(|c| (c.id.as_str(), c.offset)).collect();
        assert_eq!(ids, [("R-012", 17), ("R-002", 29), ("R-99", 42)]);
        assert!(citations("Customer contracts", &reg).is_empty());
    }
}
