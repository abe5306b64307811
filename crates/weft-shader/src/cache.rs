//! What a device keeps by content: compute pipelines by the blake3 of their WGSL
//! (so a hot swap compiles only the shaders it changes) and uploaded sources by
//! the digests of their data (so a picture or a sound file crosses to the device
//! once). Entries in use are never dropped; beyond a bound, unused ones are.

use crate::gpu::{Gpu, GpuError, Pipeline};
use crate::wgsl::{EmitError, Shader};
use std::sync::Arc;
use weft_sources::SourceData;

/// Pipelines kept beyond those in use; older unused ones are dropped.
const KEEP_PIPELINES: usize = 256;

/// Bytes of sources kept uploaded beyond those in use.
const KEEP_UPLOAD_BYTES: u64 = 1 << 30;

impl Gpu {
    /// `shader`'s pipeline, compiled unless one with the same content exists.
    pub(crate) fn pipeline(&mut self, shader: &Shader) -> Result<Arc<Pipeline>, GpuError> {
        if let Some(p) = self.pipelines.get(&shader.key) {
            return Ok(p.clone());
        }
        self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("weft kernel"),
                source: wgpu::ShaderSource::Wgsl(shader.wgsl.as_str().into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("weft kernel"),
                layout: Some(&self.pipeline_layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        self.check_scopes()?;
        self.compiled += 1;
        if self.pipelines.len() >= KEEP_PIPELINES {
            self.pipelines.retain(|_, p| Arc::strong_count(p) > 1);
        }
        let p = Arc::new(Pipeline { pipeline });
        self.pipelines.insert(shader.key, p.clone());
        Ok(p)
    }

    /// The buffer holding `list` packed, uploaded unless the same content is on
    /// the device; `None` when there is nothing to read.
    pub(crate) fn upload(
        &mut self,
        list: &[Arc<SourceData>],
    ) -> Result<Option<Arc<wgpu::Buffer>>, GpuError> {
        let words: u64 = list.iter().map(|s| crate::sources::words(s)).sum();
        if words == 0 {
            return Ok(None);
        }
        if words * 4 > self.max_binding {
            return Err(GpuError::Emit(EmitError::SourcesTooLarge(words)));
        }
        let key = crate::sources::key(list);
        if let Some(b) = self.uploads.get(&key) {
            return Ok(Some(b.clone()));
        }
        let kept: u64 = self.uploads.values().map(|b| b.size()).sum();
        if kept + words * 4 > KEEP_UPLOAD_BYTES {
            self.uploads.retain(|_, b| Arc::strong_count(b) > 1);
        }
        self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("weft sources"),
            size: words * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let packed = crate::sources::pack_all(list);
        self.queue
            .write_buffer(&buffer, 0, bytemuck::cast_slice(&packed));
        self.check_scopes()?;
        self.uploaded += 1;
        let buffer = Arc::new(buffer);
        self.uploads.insert(key, buffer.clone());
        Ok(Some(buffer))
    }
}
