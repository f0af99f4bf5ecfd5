//! Fonts: the bundled DejaVu faces, font files named by a template and
//! found in configured or system font folders, and the font chain that
//! picks, for every character, the first face that has a glyph for it.
//!
//! Font files are read once per process and kept for its lifetime (a cache
//! keyed by path and face index), so that shaping faces can borrow them.

use super::PrintError;
use super::template::FontSpec;
use printpdf::ParsedFont;
use rustybuzz::ttf_parser;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use unicode_script::{Script, UnicodeScript};

/// Largest font file we read (Noto CJK collections are about 20 MB).
const MAX_FONT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Environment variable with extra font folders, separated by `:`.
pub const FONT_DIRS_ENV: &str = "CITYCARD_FONT_DIRS";

/// Font weights a template can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weight {
    /// Regular.
    #[default]
    Regular,
    /// Bold.
    Bold,
}

/// One loaded font face, kept for the life of the process.
pub struct Face {
    /// Short name for messages: the file name or `DejaVu Sans`.
    pub name: String,
    /// Stable identity within the process (index in the cache).
    pub id: usize,
    bytes: &'static [u8],
    index: u32,
    ttf: ttf_parser::Face<'static>,
    shaper: rustybuzz::Face<'static>,
    pdf: OnceLock<Option<ParsedFont>>,
    /// Shaping plans by the text's direction, script and language: making
    /// one costs more than shaping a name with it, and a face meets few
    /// kinds of text.
    plans: Mutex<HashMap<PlanKey, Arc<rustybuzz::ShapePlan>>>,
}

type PlanKey = (
    rustybuzz::Direction,
    Option<rustybuzz::Script>,
    Option<rustybuzz::Language>,
);

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Face")
            .field("name", &self.name)
            .field("id", &self.id)
            .finish()
    }
}

impl Face {
    fn load(name: String, id: usize, bytes: &'static [u8], index: u32) -> Option<Self> {
        let ttf = ttf_parser::Face::parse(bytes, index).ok()?;
        let shaper = rustybuzz::Face::from_slice(bytes, index)?;
        Some(Face {
            name,
            id,
            bytes,
            index,
            ttf,
            shaper,
            pdf: OnceLock::new(),
            plans: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the face has a glyph for `c` (format characters such as ZWJ
    /// count as covered: the shaper handles them without a glyph).
    pub fn covers(&self, c: char) -> bool {
        is_default_ignorable(c) || self.ttf.glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// The glyph the face's cmap gives for `c`, if any.
    pub fn glyph_for(&self, c: char) -> Option<u16> {
        self.ttf.glyph_index(c).map(|g| g.0).filter(|g| *g != 0)
    }

    /// The glyph's advance as the PDF's `/W` array gives it (thousandths of
    /// an em, truncated as the PDF writer does).
    pub fn pdf_width(&self, gid: u16) -> f32 {
        let advance = self
            .ttf
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        (f32::from(advance) * 1000.0 / self.units_per_em()).trunc()
    }

    /// Design units per em.
    pub fn units_per_em(&self) -> f32 {
        f32::from(self.ttf.units_per_em().max(1))
    }

    /// Shapes `buffer` (its direction, script and language guessed from
    /// its text where not set) with this face and no extra features, as
    /// `rustybuzz::shape` does, with the plan made once per kind of text.
    pub fn shape(&self, mut buffer: rustybuzz::UnicodeBuffer) -> rustybuzz::GlyphBuffer {
        buffer.guess_segment_properties();
        // No script guessed (digits, punctuation) stays `None`, as in
        // `rustybuzz::shape`.
        let script = Some(buffer.script()).filter(|s| *s != rustybuzz::script::UNKNOWN);
        let key = (buffer.direction(), script, buffer.language());
        let plan = {
            let mut plans = self
                .plans
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            plans
                .entry(key)
                .or_insert_with_key(|(direction, script, language)| {
                    Arc::new(rustybuzz::ShapePlan::new(
                        &self.shaper,
                        *direction,
                        *script,
                        language.as_ref(),
                        &[],
                    ))
                })
                .clone()
        };
        rustybuzz::shape_with_plan(&self.shaper, &plan, buffer)
    }

    /// The face parsed for PDF embedding (parsed once, then cloned per document).
    pub fn pdf_font(&self) -> Result<&ParsedFont, PrintError> {
        self.pdf
            .get_or_init(|| {
                let mut warnings = Vec::new();
                if self.bytes.get(..4) == Some(b"ttcf") {
                    let single =
                        printpdf::font::extract_collection_face(self.bytes, self.index as usize)?;
                    ParsedFont::from_bytes(&single, 0, &mut warnings)
                } else {
                    ParsedFont::from_bytes(self.bytes, 0, &mut warnings)
                }
            })
            .as_ref()
            .ok_or_else(|| PrintError::Font {
                font: self.name.clone(),
                problem: "the PDF writer cannot read this font".into(),
            })
    }
}

fn is_default_ignorable(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FE00}'..='\u{FE0F}' | '\u{034F}')
}

/// Process-wide cache of loaded faces, keyed by source and face index.
/// Loaded faces by (source, face index); `None` for sources that failed to load.
type FaceCache = Mutex<HashMap<(String, u32), Option<Arc<Face>>>>;

fn cache() -> &'static FaceCache {
    static CACHE: OnceLock<FaceCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn cached(
    key: (String, u32),
    load: impl FnOnce(usize) -> Option<Face>,
) -> Result<Option<Arc<Face>>, PrintError> {
    let mut map = cache().lock().map_err(|_| PrintError::Font {
        font: key.0.clone(),
        problem: "font cache unavailable".into(),
    })?;
    if let Some(face) = map.get(&key) {
        return Ok(face.clone());
    }
    let id = map.len();
    let face = load(id).map(Arc::new);
    map.insert(key, face.clone());
    Ok(face)
}

/// A bundled face: `dejavu-sans` in the given weight.
fn bundled(name: &str, weight: Weight) -> Result<Option<Arc<Face>>, PrintError> {
    let (label, bytes): (&str, &'static [u8]) = match (name, weight) {
        ("dejavu-sans", Weight::Regular) => ("DejaVu Sans", dejavu::sans::regular()),
        ("dejavu-sans", Weight::Bold) => ("DejaVu Sans Bold", dejavu::sans::bold()),
        ("dejavu-sans-condensed", Weight::Regular) => {
            ("DejaVu Sans Condensed", dejavu::sans_condensed::regular())
        }
        ("dejavu-sans-condensed", Weight::Bold) => {
            ("DejaVu Sans Condensed Bold", dejavu::sans_condensed::bold())
        }
        _ => return Ok(None),
    };
    cached((format!("bundled:{label}"), 0), |id| {
        Face::load(label.to_string(), id, bytes, 0)
    })
}

/// Names of the bundled fonts a template may use.
pub const BUNDLED: &[&str] = &["dejavu-sans", "dejavu-sans-condensed"];

/// Where font files are looked up: configured folders first, then the
/// system's font folders.
#[derive(Debug, Clone)]
pub struct FontLibrary {
    dirs: Vec<PathBuf>,
    index: Arc<OnceLock<HashMap<String, PathBuf>>>,
}

impl FontLibrary {
    /// Folders from `extra`, then `CITYCARD_FONT_DIRS`, then the system's.
    pub fn new(extra: &[PathBuf]) -> Self {
        let mut dirs: Vec<PathBuf> = extra.to_vec();
        if let Some(env) = std::env::var_os(FONT_DIRS_ENV) {
            dirs.extend(std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()));
        }
        dirs.push(PathBuf::from("/usr/share/fonts"));
        dirs.push(PathBuf::from("/usr/local/share/fonts"));
        if let Some(home) = std::env::var_os("HOME") {
            let home = PathBuf::from(home);
            dirs.push(home.join(".local/share/fonts"));
            dirs.push(home.join(".fonts"));
        }
        Self::with_dirs(dirs)
    }

    /// Exactly these folders (for tests).
    pub fn with_dirs(dirs: Vec<PathBuf>) -> Self {
        FontLibrary {
            dirs,
            index: Arc::new(OnceLock::new()),
        }
    }

    /// Finds a font file by path (absolute or relative to `base`) or by file name
    /// in the font folders (case-insensitive; the first folder wins).
    pub fn find(&self, file: &str, base: &Path) -> Option<PathBuf> {
        let direct = base.join(file);
        if file.contains('/') || direct.is_file() {
            return direct.is_file().then_some(direct);
        }
        let index = self.index.get_or_init(|| {
            let mut map = HashMap::new();
            for dir in &self.dirs {
                walk(dir, 0, &mut map);
            }
            map
        });
        index.get(&file.to_lowercase()).cloned()
    }
}

fn walk(dir: &Path, depth: usize, map: &mut HashMap<String, PathBuf>) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, depth + 1, map);
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            let lower = name.to_lowercase();
            if [".ttf", ".otf", ".ttc", ".otc"]
                .iter()
                .any(|ext| lower.ends_with(ext))
            {
                map.entry(lower).or_insert(path);
            }
        }
    }
}

fn load_file(path: &Path, family: Option<&str>) -> Result<Option<Arc<Face>>, PrintError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("font")
        .to_string();
    let key = path.to_string_lossy().into_owned();
    // The face index depends on the family; resolve it from the file first.
    let meta = std::fs::metadata(path).map_err(|e| PrintError::Font {
        font: name.clone(),
        problem: e.to_string(),
    })?;
    if meta.len() > MAX_FONT_FILE_BYTES {
        return Err(PrintError::Font {
            font: name,
            problem: "font file larger than 64 MB".into(),
        });
    }
    let family_key = family.unwrap_or("").to_string();
    let mut map = cache().lock().map_err(|_| PrintError::Font {
        font: name.clone(),
        problem: "font cache unavailable".into(),
    })?;
    let lookup = (format!("{key}#{family_key}"), 0);
    if let Some(face) = map.get(&lookup) {
        return Ok(face.clone());
    }
    let bytes = std::fs::read(path).map_err(|e| PrintError::Font {
        font: name.clone(),
        problem: e.to_string(),
    })?;
    // Kept for the life of the process: shaping faces borrow it.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let count = ttf_parser::fonts_in_collection(bytes).unwrap_or(1);
    let index = match family {
        None => Some(0),
        Some(family) => (0..count).find(|i| {
            ttf_parser::Face::parse(bytes, *i).is_ok_and(|f| face_has_family(&f, family))
        }),
    };
    let id = map.len();
    let face = match index {
        Some(i) => Face::load(name.clone(), id, bytes, i).map(Arc::new),
        None => None,
    };
    if face.is_none() {
        return Err(PrintError::Font {
            font: name,
            problem: match family {
                Some(f) => format!("no face of family \"{f}\" in this file"),
                None => "not a font file this program can read".into(),
            },
        });
    }
    map.insert(lookup, face.clone());
    Ok(face)
}

fn face_has_family(face: &ttf_parser::Face<'_>, family: &str) -> bool {
    face.names().into_iter().any(|n| {
        (n.name_id == ttf_parser::name_id::FAMILY
            || n.name_id == ttf_parser::name_id::TYPOGRAPHIC_FAMILY
            || n.name_id == ttf_parser::name_id::FULL_NAME)
            && n.is_unicode()
            && n.to_string()
                .is_some_and(|s| s.eq_ignore_ascii_case(family))
    })
}

/// One entry of the chain: where its faces come from, loaded on first use.
#[derive(Debug)]
struct Entry {
    bundled: Option<String>,
    regular: Option<PathBuf>,
    bold: Option<PathBuf>,
    family: Option<String>,
    loaded: [OnceLock<Option<Arc<Face>>>; 2],
}

/// A template's fonts in order of preference. Faces are read only when a
/// text needs them (a Latin name never loads the CJK font).
#[derive(Debug, Clone)]
pub struct FontChain {
    entries: Arc<Vec<Entry>>,
    /// Font files the template names that are not installed.
    pub missing: Vec<String>,
}

impl FontChain {
    /// Resolves the chain's files; files that are not installed are
    /// remembered in `missing` (a name that needs them is refused when it is
    /// printed, naming the script and what to install).
    pub fn load(
        specs: &[FontSpec],
        library: &FontLibrary,
        base: &Path,
    ) -> Result<Self, PrintError> {
        let mut entries = Vec::new();
        let mut missing = Vec::new();
        for spec in specs {
            if let Some(name) = spec
                .bundled
                .as_ref()
                .filter(|n| !BUNDLED.contains(&n.as_str()))
            {
                return Err(PrintError::Font {
                    font: name.clone(),
                    problem: format!("unknown bundled font (known: {})", BUNDLED.join(", ")),
                });
            }
            let mut find = |file: &Option<String>| -> Option<PathBuf> {
                let file = file.as_ref()?;
                let found = library.find(file, base);
                if found.is_none() {
                    missing.push(file.clone());
                }
                found
            };
            let regular = find(&spec.regular);
            let bold = find(&spec.bold);
            if spec.bundled.is_some() || regular.is_some() || bold.is_some() {
                entries.push(Entry {
                    bundled: spec.bundled.clone(),
                    regular,
                    bold,
                    family: spec.family.clone(),
                    loaded: [OnceLock::new(), OnceLock::new()],
                });
            }
        }
        Ok(FontChain {
            entries: Arc::new(entries),
            missing,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the chain has no usable entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The face of entry `i` in `weight` (bold falls back to regular and the
    /// other way round), loading it on first use.
    pub fn face(&self, i: usize, weight: Weight) -> Result<Option<Arc<Face>>, PrintError> {
        let Some(entry) = self.entries.get(i) else {
            return Ok(None);
        };
        let slot = match weight {
            Weight::Regular => 0,
            Weight::Bold => 1,
        };
        if let Some(face) = entry.loaded.get(slot).and_then(OnceLock::get) {
            return Ok(face.clone());
        }
        let face = if let Some(name) = &entry.bundled {
            bundled(name, weight)?
        } else {
            let (first, second) = match weight {
                Weight::Regular => (&entry.regular, &entry.bold),
                Weight::Bold => (&entry.bold, &entry.regular),
            };
            match first.as_ref().or(second.as_ref()) {
                Some(path) => load_file(path, entry.family.as_deref())?,
                None => None,
            }
        };
        if let Some(cell) = entry.loaded.get(slot) {
            let _ = cell.set(face.clone());
        }
        Ok(face)
    }
}

/// The error for a character that no face of the chain covers. Names the
/// script, the code point and what to install; never the text itself.
pub fn unsupported(field: &'static str, c: char, chain: &FontChain) -> PrintError {
    let script = c.script();
    let name = match script {
        Script::Han | Script::Hiragana | Script::Katakana | Script::Bopomofo => "Han (CJK)".into(),
        Script::Hangul => "Hangul (CJK)".into(),
        Script::Common | Script::Inherited | Script::Unknown => "symbol".to_string(),
        s => s.full_name().replace('_', " "),
    };
    let hint = match script {
        Script::Han | Script::Hiragana | Script::Katakana | Script::Bopomofo | Script::Hangul => {
            "install fonts-noto-cjk or configure a Noto Sans CJK font".to_string()
        }
        Script::Common | Script::Inherited | Script::Unknown => {
            "install fonts-noto-core or configure a font that has it".to_string()
        }
        s => format!(
            "install fonts-noto-core or configure a Noto Sans {} font",
            s.full_name().replace('_', " ")
        ),
    };
    PrintError::UnsupportedGlyph {
        field,
        codepoint: u32::from(c),
        script: name,
        hint,
        not_installed: chain.missing.clone(),
    }
}
