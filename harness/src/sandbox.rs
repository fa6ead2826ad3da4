//! The temporary folders a server is graded in: an empty `DATA_DIR`, a
//! `STATIC_DIR` filled with files whose contents the harness knows, and a
//! secret file just outside it that no answer may ever contain.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use tempfile::TempDir;

/// A file the harness put under `STATIC_DIR`.
pub struct StaticFile {
    /// The path under `/static/` as it goes in a URL (percent-encoded).
    pub url_path: &'static str,
    pub on_disk: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub struct Sandbox {
    dir: TempDir,
    pub static_dir: PathBuf,
    pub secret_path: PathBuf,
    /// The secret file's contents: a random token no answer may hold.
    pub secret: String,
    pub files: Vec<StaticFile>,
    data_dirs: usize,
}

/// The smallest valid PNG: one transparent pixel.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

impl Sandbox {
    pub fn new() -> io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("authlings-").tempdir()?;
        let static_dir = dir.path().join("static");
        let token = random_token();
        let files = vec![
            StaticFile {
                url_path: "hello.txt",
                on_disk: "hello.txt",
                content_type: "text/plain",
                bytes: format!("hello from the harness {token}\n").into_bytes(),
            },
            StaticFile {
                url_path: "site.css",
                on_disk: "site.css",
                content_type: "text/css",
                bytes: format!("/* {token} */ body {{ color: black; }}\n").into_bytes(),
            },
            StaticFile {
                url_path: "pixel.png",
                on_disk: "pixel.png",
                content_type: "image/png",
                bytes: PIXEL_PNG.to_vec(),
            },
            StaticFile {
                url_path: "docs/read%20me.html",
                on_disk: "docs/read me.html",
                content_type: "text/html",
                bytes: format!("<!doctype html><p>{token}</p>\n").into_bytes(),
            },
        ];
        for file in &files {
            let path = static_dir.join(file.on_disk);
            fs::create_dir_all(path.parent().expect("under static"))?;
            fs::write(path, &file.bytes)?;
        }
        let secret = format!("secret-{}", random_token());
        let secret_path = dir.path().join("secret.txt");
        fs::write(&secret_path, &secret)?;
        Ok(Self { dir, static_dir, secret_path, secret, files, data_dirs: 0 })
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A new, empty data folder for a server that must start from nothing.
    pub fn fresh_data_dir(&mut self) -> io::Result<PathBuf> {
        self.data_dirs += 1;
        let path = self.dir.path().join(format!("data-{}", self.data_dirs));
        fs::create_dir(&path)?;
        Ok(path)
    }
}

/// 128 random bits as 32 hex digits.
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
