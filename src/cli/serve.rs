//! `citycard serve`: the HTTP server (for now the desk page and the lists).

use crate::web::{self, ServerConfig, data_dir::DataDir};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "\
On the first start with an empty data directory the server makes DEVELOPMENT
keys and lists there (an unencrypted root key on this machine!) and says so
loudly at every start. Real keys come from a key ceremony (`citycard keys`).

The desk page is at /verify/; the lists at /.well-known/citycard/trust-list and
/.well-known/citycard/revocations (read from the data directory at every
request, so a re-signed list is served at once). SIGTERM or Ctrl-C stop the
server gracefully.")]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    bind: String,
    /// The data directory (keys, trust list, revocation list).
    #[arg(long, value_name = "DIR", default_value = "./citycard-data")]
    data_dir: PathBuf,
}

impl ServeArgs {
    pub fn run(self) -> Result<()> {
        let data = DataDir::new(&self.data_dir);
        if data.prepare()? {
            eprintln!(
                "Made development keys and lists in {}.",
                self.data_dir.display()
            );
        }
        if data.has_development_keys() {
            eprintln!("{}", web::data_dir::development_warning(&self.data_dir));
        }
        let config = ServerConfig {
            bind: self.bind,
            desk: data.desk_config(),
        };
        actix_web::rt::System::new()
            .block_on(web::serve(config))
            .context("citycard serve")
    }
}
