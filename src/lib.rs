//! ismsbook turns information-security policies (Markdown with YAML front matter) and a control
//! catalogue (YAML) into a cross-linked static ISMS handbook.
//!
//! The pipeline, one module per stage: [`config`] (book.toml) -> [`load`] (sources into the
//! [`model`]) -> [`links`] (the map of every target) -> [`markdown`] (HTML, references) ->
//! [`audit`] (backlinks, SoA, register, gaps) -> [`render`] + [`export`] (pages; CSV, XLSX, JSON, OSCAL)
//! -> [`output`] (staging folder, atomic swap). [`build`] runs the stages in order. Every output
//! path and URL is decided in [`urls`], from ids validated at load. [`serve`] is the live preview:
//! a server, a watcher and a reload socket around [`build::Session`].

pub mod audit;
pub mod build;
pub mod config;
pub mod dates;
pub mod diagnostics;
pub mod export;
pub mod fuzzing;
pub mod html;
pub mod init;
pub mod links;
pub mod load;
pub mod markdown;
pub mod model;
pub mod output;

pub mod render;
pub mod risk;
pub mod search;
pub mod serve;
pub mod sources;
pub mod theme;
pub mod urls;
pub mod yaml;
