//! The desk verifier page (`/verify/`) and the two signed lists
//! (`/.well-known/citycard/…`), served from assets compiled into the binary,
//! and `export`, which writes the same page with the lists as static files.
//!
//! The page itself is plain JavaScript in `src/web/desk/` (no build step); see
//! `docs/desk-verifier.md`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Route, guard, web};
use anyhow::{Context, Result, anyhow, bail};
use citycard_credential::{
    MAX_REVOCATION_LIST_BYTES, MAX_TRUST_LIST_BYTES, RevocationList, TrustList, keys as ckeys,
};
use std::fs;
use std::path::{Path, PathBuf};

/// One file of the page.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const SW_NAME: &str = "sw.js";
const VERSION_PLACEHOLDER: &str = "__CITYCARD_ASSETS_VERSION__";

const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("desk/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("desk/app.js"),
    },
    Asset {
        name: "verifier.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("desk/verifier.js"),
    },
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("desk/style.css"),
    },
    Asset {
        name: SW_NAME,
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("desk/sw.js"),
    },
    Asset {
        name: "manifest.webmanifest",
        content_type: "application/manifest+json",
        body: include_bytes!("desk/manifest.webmanifest"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("desk/icon.svg"),
    },
    Asset {
        name: "icon-maskable.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("desk/icon-maskable.svg"),
    },
];

/// The media type of a COSE_Sign1 (RFC 9052 §9.1).
pub const COSE_CONTENT_TYPE: &str = "application/cose; cose-type=\"cose-sign1\"";

/// Strict CSP for the page: only its own files, no inline code, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; \
     connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// FNV-1a, 64 bit: enough to tell releases of the page apart (not security).
const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

const fn assets_hash() -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < ASSETS.len() {
        hash = fnv1a(hash, ASSETS[i].name.as_bytes());
        hash = fnv1a(hash, ASSETS[i].body);
        i += 1;
    }
    hash
}

/// A version string of the embedded page, e.g. `3f2a…` (16 hex digits).
pub fn assets_version() -> String {
    format!("{:016x}", assets_hash())
}

fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The body of an asset as served: the service worker gets the version.
fn asset_body(a: &Asset, version: &str) -> Vec<u8> {
    if a.name == SW_NAME {
        String::from_utf8_lossy(a.body)
            .replace(VERSION_PLACEHOLDER, version)
            .into_bytes()
    } else {
        a.body.to_vec()
    }
}

/// Where the desk's files come from.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// The signed trust list (read at every request, so a new list is served at once).
    pub trust_list: PathBuf,
    /// The signed revocation list (read at every request).
    pub revocations: PathBuf,
    /// The root public key (SPKI PEM) whose fingerprint desks pin. Without
    /// it the fingerprint is taken from the trust list (which must verify
    /// against the root key it names).
    pub root_public_key: Option<PathBuf>,
}

impl DeskConfig {
    /// The lists and root key of an office's data directory (the root key
    /// only when it exists).
    pub fn from_layout(layout: &crate::config::Layout) -> Self {
        let root_public_key = layout.root_public_key();
        DeskConfig {
            trust_list: layout.trust_list(),
            revocations: layout.revocations(),
            root_public_key: root_public_key.exists().then_some(root_public_key),
        }
    }
}

/// What the handlers share: the configuration and values computed at start.
#[derive(Debug)]
pub struct DeskState {
    config: DeskConfig,
    /// 64 lower-case hex digits.
    root_fingerprint: String,
    version: String,
}

impl DeskState {
    /// Reads the root key (or the trust list) once to learn the fingerprint.
    pub fn new(config: DeskConfig) -> Result<Self> {
        let root_fingerprint =
            root_fingerprint(config.root_public_key.as_deref(), &config.trust_list)?;
        Ok(DeskState {
            config,
            root_fingerprint,
            version: assets_version(),
        })
    }

    /// The fingerprint desks pin, as 64 hex digits.
    pub fn root_fingerprint(&self) -> &str {
        &self.root_fingerprint
    }
}

/// The root fingerprint from the root public key file, or else from a trust
/// list that verifies against the root key it names.
fn root_fingerprint(root_public_key: Option<&Path>, trust_list: &Path) -> Result<String> {
    if let Some(path) = root_public_key {
        let key = crate::keys::read_public_key(path)?;
        return Ok(ckeys::to_hex(&ckeys::fingerprint(&key)));
    }
    let bytes = read_capped(trust_list, MAX_TRUST_LIST_BYTES)?;
    let (list, _) =
        TrustList::inspect(&bytes).map_err(|e| anyhow!("{}: {e}", trust_list.display()))?;
    let fingerprint = ckeys::fingerprint(&list.root);
    TrustList::verify_with_fingerprint(&bytes, &fingerprint)
        .map_err(|e| anyhow!("{}: {e}", trust_list.display()))?;
    Ok(ckeys::to_hex(&fingerprint))
}

fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>> {
    let bytes = crate::keys::read_limited(path, max as u64)
        .with_context(|| format!("could not read {}", path.display()))?;
    Ok(bytes)
}

/// The page's `config.json`: what it pins and where it finds the lists.
fn config_json(fingerprint: &str, trust_list: &str, revocations: &str) -> Vec<u8> {
    let value = serde_json::json!({
        "format": 1,
        "root_fingerprint": fingerprint,
        "trust_list": trust_list,
        "revocations": revocations,
    });
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// GET, and HEAD (answered like GET without the body).
pub(crate) fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Registers the desk routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/verify", get_or_head().to(redirect_to_page))
        .route("/verify/", get_or_head().to(page))
        .route("/verify/config.json", get_or_head().to(config))
        .route("/verify/{file}", get_or_head().to(file))
        .route(
            "/.well-known/citycard/trust-list",
            get_or_head().to(trust_list),
        )
        .route(
            "/.well-known/citycard/revocations",
            get_or_head().to(revocations),
        );
}

async fn redirect_to_page() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/verify/"))
        .finish()
}

fn etag_matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag || t.trim() == "*")
}

fn serve_asset(req: &HttpRequest, state: &DeskState, a: &Asset) -> HttpResponse {
    let etag = format!("\"{}-{}\"", state.version, a.name);
    let mut res = if etag_matches(req, &etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag.clone()));
    if etag_matches(req, &etag) {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, a.content_type))
        .body(asset_body(a, &state.version))
}

async fn page(req: HttpRequest, state: web::Data<DeskState>) -> HttpResponse {
    match asset("index.html") {
        Some(a) => serve_asset(&req, &state, a),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn file(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<DeskState>,
) -> HttpResponse {
    match asset(&path.into_inner()) {
        Some(a) => serve_asset(&req, &state, a),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found\n"),
    }
}

async fn config(state: web::Data<DeskState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("application/json")
        .body(config_json(
            &state.root_fingerprint,
            "/.well-known/citycard/trust-list",
            "/.well-known/citycard/revocations",
        ))
}

async fn trust_list(req: HttpRequest, state: web::Data<DeskState>) -> HttpResponse {
    serve_list(&req, &state.config.trust_list, MAX_TRUST_LIST_BYTES).await
}

pub(crate) async fn revocations(req: HttpRequest, state: web::Data<DeskState>) -> HttpResponse {
    serve_list(&req, &state.config.revocations, MAX_REVOCATION_LIST_BYTES).await
}

/// Serves a signed list from disk. Its signature makes it safe to serve to
/// anyone (so CORS is open), and desks refuse a bad one themselves.
async fn serve_list(req: &HttpRequest, path: &Path, max: usize) -> HttpResponse {
    let path = path.to_owned();
    let read = web::block(move || read_capped(&path, max)).await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("this list is not published here\n");
        }
        Err(_) => return HttpResponse::InternalServerError().finish(),
    };
    list_response(req, bytes)
}

/// Answers with a signed list (ETag, `no-cache`, open CORS).
pub(crate) fn list_response(req: &HttpRequest, bytes: Vec<u8>) -> HttpResponse {
    let etag = format!("\"{:016x}\"", fnv1a(0xcbf2_9ce4_8422_2325, &bytes));
    let mut res = if etag_matches(req, &etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ));
    if etag_matches(req, &etag) {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, COSE_CONTENT_TYPE))
        .body(bytes)
}

/// What [`export`] wrote.
#[derive(Debug)]
pub struct Export {
    /// The files written, in order.
    pub files: Vec<PathBuf>,
    /// The root fingerprint the exported page pins (64 hex digits).
    pub root_fingerprint: String,
    /// The trust list's next-update day.
    pub trust_list_next_update: citycard_credential::Date,
    /// The revocation list's next-update day.
    pub revocations_next_update: citycard_credential::Date,
}

/// File names of the lists in an exported directory.
pub const EXPORT_TRUST_LIST: &str = "trust-list.cose";
/// See [`EXPORT_TRUST_LIST`].
pub const EXPORT_REVOCATIONS: &str = "revocations.cose";

/// Writes the desk page with the current lists as static files into `dir`
/// (created if needed; files of the same names are replaced), for any web
/// server. Both lists are verified first: a broken list is never exported.
pub fn export(
    dir: &Path,
    trust_list_path: &Path,
    revocations_path: &Path,
    root_public_key: Option<&Path>,
) -> Result<Export> {
    let root_fingerprint = root_fingerprint(root_public_key, trust_list_path)?;
    let trust_bytes = read_capped(trust_list_path, MAX_TRUST_LIST_BYTES)?;
    let revocation_bytes = read_capped(revocations_path, MAX_REVOCATION_LIST_BYTES)?;
    let fingerprint = ckeys::parse_fingerprint(&root_fingerprint)?;
    let trust = TrustList::verify_with_fingerprint(&trust_bytes, &fingerprint)
        .map_err(|e| anyhow!("{}: {e}", trust_list_path.display()))?;
    let revocations = RevocationList::verify(&revocation_bytes, &trust)
        .map_err(|e| anyhow!("{}: {e}", revocations_path.display()))?;
    if dir.exists() && !dir.is_dir() {
        bail!("{} exists and is not a directory", dir.display());
    }
    fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let version = assets_version();
    let mut files = Vec::new();
    let mut write = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(name);
        write_replacing(&path, bytes)?;
        files.push(path);
        Ok(())
    };
    for a in ASSETS {
        write(a.name, &asset_body(a, &version))?;
    }
    write(EXPORT_TRUST_LIST, &trust_bytes)?;
    write(EXPORT_REVOCATIONS, &revocation_bytes)?;
    write(
        "config.json",
        &config_json(&root_fingerprint, EXPORT_TRUST_LIST, EXPORT_REVOCATIONS),
    )?;
    Ok(Export {
        files,
        root_fingerprint,
        trust_list_next_update: trust.next_update,
        revocations_next_update: revocations.next_update,
    })
}

/// Writes next to the target and renames, so a web server never serves a
/// half-written list.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).with_context(|| format!("could not write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;
    use actix_web::test as atest;

    #[test]
    fn every_asset_is_listed_by_the_service_worker() {
        let sw = String::from_utf8_lossy(asset(SW_NAME).map(|a| a.body).unwrap_or_default());
        for a in ASSETS {
            if a.name == SW_NAME || a.name == "index.html" {
                continue;
            }
            assert!(
                sw.contains(&format!("'{}'", a.name)),
                "{} not cached",
                a.name
            );
        }
        assert!(sw.contains(VERSION_PLACEHOLDER));
        let html = String::from_utf8_lossy(asset("index.html").map(|a| a.body).unwrap_or_default());
        assert!(!html.contains("<script>"), "no inline scripts (CSP)");
        assert!(!html.contains("style="), "no inline styles (CSP)");
        assert_eq!(assets_version().len(), 16);
    }

    #[actix_web::test]
    async fn serves_page_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let data = crate::config::Layout::in_data_dir(dir.path());
        crate::office::dev_keys::create(&data).unwrap();
        let state = web::Data::new(DeskState::new(DeskConfig::from_layout(&data)).unwrap());
        let app = atest::init_service(
            App::new()
                .app_data(state.clone())
                .wrap(crate::web::default_headers())
                .configure(configure),
        )
        .await;

        let res =
            atest::call_service(&app, atest::TestRequest::get().uri("/verify").to_request()).await;
        assert_eq!(res.status(), 308);
        assert_eq!(res.headers().get("location").unwrap(), "/verify/");

        let res =
            atest::call_service(&app, atest::TestRequest::get().uri("/verify/").to_request()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "text/html; charset=utf-8"
        );
        let csp = res
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.starts_with("default-src 'self'"));
        let etag = res.headers().get("etag").unwrap().clone();
        let res = atest::call_service(
            &app,
            atest::TestRequest::get()
                .uri("/verify/")
                .insert_header(("if-none-match", etag))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 304);

        let res = atest::call_service(
            &app,
            atest::TestRequest::get().uri("/verify/sw.js").to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        let body = atest::read_body(res).await;
        let sw = String::from_utf8_lossy(&body);
        assert!(sw.contains(&assets_version()) && !sw.contains(VERSION_PLACEHOLDER));

        let res = atest::call_service(
            &app,
            atest::TestRequest::get()
                .uri("/verify/nope.js")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 404);
        let res = atest::call_service(
            &app,
            atest::TestRequest::get()
                .uri("/verify/..%2fCargo.toml")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 404);

        let res = atest::call_service(
            &app,
            atest::TestRequest::get()
                .uri("/verify/config.json")
                .to_request(),
        )
        .await;
        let config: serde_json::Value = atest::read_body_json(res).await;
        assert_eq!(config["root_fingerprint"], state.root_fingerprint());

        for (uri, path) in [
            ("/.well-known/citycard/trust-list", data.trust_list()),
            ("/.well-known/citycard/revocations", data.revocations()),
        ] {
            let res =
                atest::call_service(&app, atest::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(res.status(), 200, "{uri}");
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                COSE_CONTENT_TYPE
            );
            assert_eq!(res.headers().get("cache-control").unwrap(), "no-cache");
            let body = atest::read_body(res).await;
            assert_eq!(body.as_ref(), fs::read(&path).unwrap().as_slice());
        }
        fs::remove_file(data.revocations()).unwrap();
        let res = atest::call_service(
            &app,
            atest::TestRequest::get()
                .uri("/.well-known/citycard/revocations")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 404);
    }

    #[test]
    fn export_writes_page_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let data = crate::config::Layout::in_data_dir(&dir.path().join("data"));
        crate::office::dev_keys::create(&data).unwrap();
        let out = dir.path().join("public");
        let export = export(
            &out,
            &data.trust_list(),
            &data.revocations(),
            Some(&data.root_public_key()),
        )
        .unwrap();
        assert_eq!(export.files.len(), ASSETS.len() + 3);
        let config: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("config.json")).unwrap()).unwrap();
        assert_eq!(config["trust_list"], EXPORT_TRUST_LIST);
        assert_eq!(config["root_fingerprint"], export.root_fingerprint);
        assert_eq!(
            fs::read(out.join(EXPORT_TRUST_LIST)).unwrap(),
            fs::read(data.trust_list()).unwrap()
        );
        // Without the root key file the fingerprint comes from the trust list.
        let again = super::export(&out, &data.trust_list(), &data.revocations(), None).unwrap();
        assert_eq!(again.root_fingerprint, export.root_fingerprint);
        // A broken list is refused.
        fs::write(data.revocations(), b"not a list").unwrap();
        assert!(super::export(&out, &data.trust_list(), &data.revocations(), None).is_err());
    }
}
