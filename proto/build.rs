//! Compiles the schema (every `.proto` under `bls/` and `cosmos/`) with protox, writes its
//! `FileDescriptorSet` (with imports and source info) to `OUT_DIR/bls_descriptor.bin` for the
//! crate to embed, and generates the Rust types with prost-build from those descriptors.

use std::path::{Path, PathBuf};

fn proto_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            proto_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let mut files = Vec::new();
    for top in ["amino", "bls", "cosmos"] {
        let dir = root.join(top);
        println!("cargo:rerun-if-changed={}", dir.display());
        proto_files(&dir, &mut files)?;
    }
    // Sorted so the descriptor set's file order does not depend on the directory listing.
    files.sort();
    let mut compiler = protox::Compiler::new([&root])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files(&files)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    // `encode_file_descriptor_set` keeps the custom options (`event_type`), which the
    // prost_types form drops.
    std::fs::write(
        out.join("bls_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    let fds = compiler.file_descriptor_set();

    // google/protobuf/descriptor.proto is in the set only for the custom option's extension:
    // prost_types has those types, so no Rust is generated for it.
    let mut ours = fds;
    // The copies of the SDK's tx envelope (cosmos.tx.*) and of the gov contents are for other
    // languages' clients: the app decodes them with cosmos-sdk-proto's types, so no Rust is
    // generated for them either. Gov's queries hold a proposal's content as `Any`, which this
    // crate does not link: they are read through the descriptor pool.
    const NO_RUST: [&str; 6] = [
        "google.protobuf",
        "cosmos.tx",
        "cosmos.gov",
        "cosmos.params",
        "cosmos.upgrade",
        "bls.gov",
    ];
    ours.file
        .retain(|f| !NO_RUST.iter().any(|p| f.package().starts_with(p)));
    // `enable_type_names`: every type implements `prost::Name` (full name, type URL).
    prost_build::Config::new()
        .out_dir(&out)
        .enable_type_names()
        .compile_fds(ours)?;
    Ok(())
}
