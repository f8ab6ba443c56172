//! `ecsdeploy build`: one line per image, or the JSON document.

use crate::images::BuiltImage;
use serde::Serialize;

/// Version of the JSON shape of `build --output json`.
pub const BUILD_SCHEMA_VERSION: u32 = 1;

/// `build --output json`.
#[derive(Debug, Serialize)]
pub struct BuildDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub images: &'a [BuiltImage],
}

/// One line per image: built and pushed, or already in ECR.
pub fn text(images: &[BuiltImage]) -> String {
    let lines: Vec<String> = images
        .iter()
        .map(|image| {
            let what = if image.built { "built and pushed" } else { "already in ECR, not rebuilt" };
            format!("{}: {}:{} {what} ({})", image.service, image.repository, image.tag, image.digest)
        })
        .collect();
    lines.join("\n")
}
