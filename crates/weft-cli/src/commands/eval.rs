//! `weft eval FILE INST@OUT [--at x=…,y=…,time=…] [--param name=value]`.

use crate::failure::Failure;
use crate::session::{self, Inputs};
use std::path::PathBuf;
use weft_diagnostics::did_you_mean;
use weft_engine::backend::Point;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_lang::ir::coord;

/// Arguments of `weft eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// What to print: `instance@output` (or `instance.output`).
    #[arg(value_name = "INST@OUT")]
    target: String,
    /// The point: comma-separated `name=value` coordinates (others are 0;
    /// `abstime` defaults to `time`).
    #[arg(long, value_name = "x=0.25,y=0.5,time=1", default_value = "")]
    at: String,
    /// Set a parameter: `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    #[command(flatten)]
    inputs: Inputs,
}

/// Parses `a=1,b=2`.
pub fn parse_pairs(s: &str) -> Result<Vec<(String, f64)>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("`{p}` is not `name=value`"))?;
            let k = k.trim();
            if k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '#')
            {
                return Err(format!("`{k}` is not a name"));
            }
            Ok((k.to_string(), session::parse_finite(v)?))
        })
        .collect()
}

/// Prints the value with Rust's `{}` formatting.
pub fn run(args: Args) -> Result<(), Failure> {
    let (inst_name, out_name) = args.target.split_once(['@', '.']).ok_or_else(|| {
        Failure::Usage(format!(
            "`{}` is not INSTANCE@OUTPUT, such as img@r",
            args.target
        ))
    })?;
    let at = parse_pairs(&args.at).map_err(|e| Failure::Usage(format!("--at: {e}")))?;
    let mut params = Vec::new();
    for p in &args.params {
        params.extend(parse_pairs(p).map_err(|e| Failure::Usage(format!("--param: {e}")))?);
    }
    let s = session::open(&args.file, &args.inputs)?;
    let program = &s.program;
    let inst = program.find_instance(inst_name).ok_or_else(|| {
        let names: Vec<&str> = program
            .instances
            .iter()
            .filter(|i| !i.imported)
            .map(|i| i.name.as_str())
            .collect();
        Failure::Usage(format!(
            "no instance `{inst_name}` in {}; instances: {}{}",
            args.file.display(),
            names.join(", "),
            did_you_mean(inst_name, names.iter().copied())
        ))
    })?;
    let instance = program.instance(inst);
    let out = instance
        .outputs
        .iter()
        .position(|o| o == out_name)
        .ok_or_else(|| {
            Failure::Usage(format!(
                "`{inst_name}` has no output `{out_name}`; its outputs: {}{}",
                instance.outputs.join(", "),
                did_you_mean(out_name, instance.outputs.iter().map(String::as_str))
            ))
        })?;
    let mut uniforms = Uniforms::new(program);
    for (name, value) in &params {
        if !uniforms.set_param(program, name, *value) {
            let names: Vec<&str> = program.params.iter().map(|p| p.name.as_str()).collect();
            return Err(Failure::Usage(format!(
                "no parameter `{name}`; parameters: {}{}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                },
                did_you_mean(name, names.iter().copied())
            )));
        }
    }
    let mut point = vec![0.0; program.coords.len()];
    let mut abstime = None;
    for (name, v) in &at {
        if name == "abstime" {
            abstime = Some(*v);
        }
        if let Some(c) = program.find_coord(name) {
            point[c.0 as usize] = *v;
        }
    }
    let time = point[coord::TIME.0 as usize];
    if abstime.is_none() {
        point[coord::ABSTIME.0 as usize] = time;
    }
    let graph = session::graph(program, weft_graph::Scope::Main)?;
    let config = EngineConfig {
        width: 1,
        height: 1,
        audio_block: 64,
    };
    let c = Coordinator::new(program.clone(), s.sources.clone(), graph, config)
        .map_err(|e| session::engine_failure(e, &s.map))?;
    let v = c
        .value_at(inst, out as u32, &Point { coords: point }, &uniforms)
        .map_err(|e| session::engine_failure(e, &s.map))?;
    crate::failure::out(&format!("{v}\n"));
    Ok(())
}
