//! The display as the browser draws it: the fragment shader `wgsl.rs` emits,
//! translated by naga into GLSL ES 3.00 for WebGL2, with the names the page binds
//! (the uniform block and the sources texture) and a full-screen vertex shader.

use crate::wgsl::{self, Display, EmitError, Shader};
use std::sync::Arc;
use weft_kernel::data::Materialized;
use weft_kernel::Kernel;
use weft_sources::SourceData;

/// The vertex shader every display shares: one triangle covering the canvas.
pub const VERTEX: &str = "#version 300 es\nvoid main() {\n  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));\n  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);\n}\n";

/// A display shader for WebGL2.
#[derive(Clone, Debug)]
pub struct WebShader {
    /// The fragment shader, GLSL ES 3.00.
    pub fragment: String,
    /// The name of its uniform block (the `Frame` header, then the slots).
    pub uniform_block: String,
    /// The name of the `usampler2D` holding the sources' words, when it reads one.
    pub sources_texture: Option<String>,
    /// The name of the `sampler2D` of the browser's camera, when it reads one.
    pub camera_texture: Option<String>,
    /// The name of the `usampler2D` of the live microphone, when it reads it.
    pub live_texture: Option<String>,
    /// The WGSL it was translated from (its key, uniform size and sources).
    pub shader: Shader,
}

/// The display of `kernel` as a WebGL2 fragment shader; `cameras` are the
/// program's `camera()` sources, which the page reads from the browser's camera;
/// `strands` the code of the strands earlier visual batches write, computed again
/// where the display reads them.
pub fn emit(
    kernel: &Kernel,
    display: Display,
    cameras: &[Arc<SourceData>],
    strands: &[Materialized],
) -> Result<WebShader, EmitError> {
    let shader = wgsl::emit_fragment(kernel, display, cameras, strands)?;
    let module = naga::front::wgsl::parse_str(&shader.wgsl)
        .map_err(|e| EmitError::Invalid(e.emit_to_string(&shader.wgsl)))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| EmitError::Invalid(e.emit_to_string(&shader.wgsl)))?;
    let options = naga::back::glsl::Options {
        version: naga::back::glsl::Version::Embedded {
            version: 300,
            is_webgl: true,
        },
        writer_flags: naga::back::glsl::WriterFlags::empty(),
        binding_map: Default::default(),
        zero_initialize_workgroup_memory: false,
    };
    let pipeline = naga::back::glsl::PipelineOptions {
        shader_stage: naga::ShaderStage::Fragment,
        entry_point: "main".into(),
        multiview: None,
    };
    let mut fragment = String::new();
    let mut writer = naga::back::glsl::Writer::new(
        &mut fragment,
        &module,
        &info,
        &options,
        &pipeline,
        naga::proc::BoundsCheckPolicies::default(),
    )
    .map_err(|e| EmitError::Invalid(format!("GLSL ES: {e}")))?;
    let reflection = writer
        .write()
        .map_err(|e| EmitError::Invalid(format!("GLSL ES: {e}")))?;
    let uniform_block = reflection
        .uniforms
        .values()
        .next()
        .cloned()
        .ok_or_else(|| EmitError::Invalid("GLSL ES: no uniform block".into()))?;
    // The texture names naga chose, told apart by the WGSL variable behind each.
    let named = |wgsl: &str| {
        reflection
            .texture_mapping
            .iter()
            .find(|(_, m)| module.global_variables[m.texture].name.as_deref() == Some(wgsl))
            .map(|(name, _)| name.clone())
    };
    let sources_texture = named("sources");
    let camera_texture = named("camera");
    let live_texture = named("live");
    Ok(WebShader {
        fragment,
        uniform_block,
        sources_texture,
        camera_texture,
        live_texture,
        shader,
    })
}
