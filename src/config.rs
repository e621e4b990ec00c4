//! `book.toml`: the handbook's configuration, parsed strictly.
//!
//! Keys are kebab-case. A key we do not know is a warning naming the key and the file (a typo
//! must not silently change a build); a value of the wrong type is an error with its line.
//! Every key has a default, so an empty `book.toml` builds the folder it sits in.

use crate::diagnostics::{Diagnostic, Fatal, Pos};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "book.toml";
pub const DEFAULT_LEVELS: [&str; 4] = ["public", "internal", "confidential", "restricted"];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    book: BookSection,
    #[serde(default)]
    build: BuildSection,
    #[serde(default)]
    catalogue: CatalogueSection,
    #[serde(default)]
    output: OutputSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BookSection {
    title: Option<String>,
    organisation: Option<String>,
    description: Option<String>,
    src: Option<PathBuf>,
    language: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BuildSection {
    build_dir: Option<PathBuf>,
    classification: Option<String>,
    classification_levels: Option<Vec<String>>,
    /// Bytes, or a string such as "16 MB".
    max_source_size: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct CatalogueSection {
    files: Option<Vec<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct OutputSection {
    #[serde(default)]
    html: HtmlSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct HtmlSection {
    theme: Option<PathBuf>,
    base_url: Option<String>,
    raw_html: Option<String>,
    logo: Option<String>,
    extra_css: Option<Vec<String>>,
    footer: Option<String>,
}

/// The resolved configuration: every path absolute-or-relative to the current directory.
#[derive(Clone, Debug)]
pub struct Config {
    /// The folder that holds book.toml.
    pub root: PathBuf,
    pub config_file: PathBuf,
    pub title: String,
    pub organisation: String,
    pub description: Option<String>,
    pub language: String,
    pub src: PathBuf,
    pub build_dir: PathBuf,
    /// Classification levels, lowest first.
    pub levels: Vec<String>,
    /// The highest level included in this build.
    pub classification: String,
    /// Catalogue files relative to src; `None` means every `catalogue/*.yaml`.
    pub catalogue_files: Option<Vec<PathBuf>>,
    pub theme_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    /// `[build] classification` as book.toml sets it (before any --classification override):
    /// attachments no document links to are published only at or above it.
    pub configured_classification: String,
    /// The largest source file read, in bytes (`[build] max-source-size`).
    pub max_source_size: u64,
    /// `[output.html] raw-html`: what scripts and handlers in raw HTML are.
    pub raw_html: crate::html::RawHtmlPolicy,
    /// A logo shown before the title: a file of src or of the theme, build-dir-relative.
    pub logo: Option<String>,
    /// Stylesheets linked after the theme's, build-dir-relative (files of src or the theme).
    pub extra_css: Vec<String>,
    /// A line of text in every page footer.
    pub footer_text: Option<String>,
}

impl Config {
    /// Reads `DIR/book.toml`. Unknown keys are returned as warnings; anything else that is
    /// wrong is fatal (exit status 2).
    pub fn load(root: &Path) -> Result<(Config, Vec<Diagnostic>), Fatal> {
        let file = root.join(CONFIG_FILE);
        if !file.exists() {
            return Err(Diagnostic::error(
                "config-missing",
                &file,
                format!("no {CONFIG_FILE} in {}", crate::diagnostics::display_path(root)),
            )
            .hint("run `ismsbook init` to create a handbook, or pass the folder that holds book.toml")
            .into());
        }
        let text = crate::sources::read_text(&file, crate::sources::DEFAULT_MAX_SIZE)?;
        Self::parse(root, &file, &text)
    }

    fn parse(root: &Path, file: &Path, text: &str) -> Result<(Config, Vec<Diagnostic>), Fatal> {
        let mut unknown = Vec::new();
        let de = toml::Deserializer::parse(text).map_err(|e| toml_error(file, text, &e))?;
        let raw: RawConfig = serde_ignored::deserialize(de, |path| unknown.push(path.to_string()))
            .map_err(|e| toml_error(file, text, &e))?;
        let warnings = unknown
            .iter()
            .map(|key| {
                let last = key.rsplit('.').next().unwrap_or(key);
                let pos = crate::yaml::find_after(text, 0, last).unwrap_or(Pos::new(1, 1));
                Diagnostic::warning("unknown-key", file, format!("unknown key `{key}` in book.toml is ignored"))
                    .at_pos(pos)
                    .hint("see the README for the keys book.toml accepts")
            })
            .collect();

        let levels =
            raw.build.classification_levels.unwrap_or_else(|| DEFAULT_LEVELS.iter().map(|s| s.to_string()).collect());
        if levels.is_empty() {
            let pos = crate::yaml::find_after(text, 0, "classification-levels").unwrap_or_default();
            return Err(Diagnostic::error(
                "config-invalid",
                file,
                "classification-levels must name at least one level",
            )
            .at_pos(pos)
            .into());
        }
        let classification = raw.build.classification.unwrap_or_else(|| default_level(&levels));
        let src = root.join(raw.book.src.unwrap_or_else(|| PathBuf::from(".")));
        let max_source_size = match raw.build.max_source_size {
            None => crate::sources::DEFAULT_MAX_SIZE,
            Some(v) => {
                let size = match &v {
                    toml::Value::Integer(n) => u64::try_from(*n).ok().filter(|n| *n > 0),
                    toml::Value::String(s) => crate::sources::parse_size(s).filter(|n| *n > 0),
                    _ => None,
                };
                size.ok_or_else(|| {
                    let pos = crate::yaml::find_after(text, 0, "max-source-size").unwrap_or_default();
                    Diagnostic::error("config-invalid", file, "[build] max-source-size must be a size")
                        .at_pos(pos)
                        .hint("write a number of bytes or e.g. \"16 MB\", \"512 KB\"")
                })?
            }
        };
        let raw_html = match raw.output.html.raw_html.as_deref() {
            None => crate::html::RawHtmlPolicy::default(),
            Some(v) => crate::html::RawHtmlPolicy::parse(v).ok_or_else(|| {
                let pos = crate::yaml::find_after(text, 0, "raw-html").unwrap_or_default();
                Diagnostic::error("config-invalid", file, format!("[output.html] raw-html cannot be `{v}`"))
                    .at_pos(pos)
                    .hint("write \"allow\", \"warn\" (the default) or \"deny\"")
            })?,
        };
        if let Some(url) = &raw.output.html.base_url {
            let lower = url.trim().to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                let pos = crate::yaml::find_after(text, 0, "base-url").unwrap_or_default();
                return Err(Diagnostic::error(
                    "config-invalid",
                    file,
                    "[output.html] base-url must be an http:// or https:// URL",
                )
                .at_pos(pos)
                .hint("write the address the handbook is published at, e.g. \"https://isms.example.com/\"")
                .into());
            }
        }
        let config = Config {
            root: root.to_path_buf(),
            config_file: file.to_path_buf(),
            title: raw.book.title.unwrap_or_else(|| "ISMS Handbook".to_string()),
            organisation: raw.book.organisation.unwrap_or_default(),
            description: raw.book.description,
            language: raw.book.language.unwrap_or_else(|| "en".to_string()),
            build_dir: root.join(raw.build.build_dir.unwrap_or_else(|| PathBuf::from("book"))),
            src,
            levels,
            classification: classification.clone(),
            catalogue_files: raw.catalogue.files,
            theme_dir: raw.output.html.theme.map(|t| root.join(t)),
            base_url: raw.output.html.base_url.map(|u| if u.ends_with('/') { u } else { format!("{u}/") }),
            configured_classification: classification,
            max_source_size,
            raw_html,
            logo: raw.output.html.logo.map(|p| site_path(&p)),
            extra_css: raw.output.html.extra_css.unwrap_or_default().iter().map(|p| site_path(p)).collect(),
            footer_text: raw.output.html.footer,
        };
        config.check_level(&config.classification.clone(), Some(text))?;
        Ok((config, warnings))
    }

    /// Fails unless `level` is one of the configured classification levels.
    pub fn check_level(&self, level: &str, text: Option<&str>) -> Result<(), Fatal> {
        if self.levels.iter().any(|l| l == level) {
            return Ok(());
        }
        let pos = text.and_then(|t| crate::yaml::find_after(t, 0, &format!("\"{level}\""))).unwrap_or_default();
        Err(Diagnostic::error(
            "unknown-classification",
            &self.config_file,
            format!("unknown classification level `{level}`"),
        )
        .at_pos(pos)
        .hint(format!("levels are, lowest first: {}", self.levels.join(", ")))
        .into())
    }

    /// The rank of a level (0 = lowest), if it is a level.
    pub fn level_rank(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }

    /// Whether a document at `level` is published by this build.
    pub fn includes(&self, level: &str) -> bool {
        match (self.level_rank(level), self.level_rank(&self.classification)) {
            (Some(doc), Some(max)) => doc <= max,
            _ => false,
        }
    }
}

/// A path written in book.toml as a site path: `/` separators, no leading `./` or `/`.
fn site_path(p: &str) -> String {
    p.replace('\\', "/").trim_start_matches("./").trim_start_matches('/').to_string()
}

/// `internal` when it is a level, else the lowest level: the default of a build, and of a
/// document without `classification`.
pub fn default_level(levels: &[String]) -> String {
    levels.iter().find(|l| *l == "internal").unwrap_or(&levels[0]).clone()
}

fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> Fatal {
    let pos = e.span().map_or(Pos::new(1, 1), |s| Pos::of_offset(text, s.start));
    let msg = e.message().trim().to_string();
    Diagnostic::error("config-invalid", file, format!("book.toml: {msg}")).at_pos(pos).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Config, Vec<Diagnostic>), Fatal> {
        Config::parse(Path::new("h"), Path::new("h/book.toml"), text)
    }

    #[test]
    fn defaults() {
        let (c, w) = parse("").map_err(|f| f.0.message).unwrap_or_else(|m| panic!("{m}"));
        assert!(w.is_empty());
        assert_eq!(c.classification, "internal");
        assert_eq!(c.build_dir, Path::new("h/book"));
        assert!(c.includes("public") && c.includes("internal") && !c.includes("confidential"));
    }

    #[test]
    fn wrong_type_has_line() {
        let err = parse("[book]\ntitle = \"x\"\n\n[build]\nbuild-dir = 3\n").err().map(|f| f.0);
        let d = err.unwrap_or_else(|| panic!("expected an error"));
        assert_eq!((d.code, d.line), ("config-invalid", 5));
    }
}
