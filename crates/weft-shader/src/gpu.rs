//! A headless `wgpu` runner: one device, compute pipelines cached by the emitted
//! shader's content, frames drawn into a storage buffer and read back as RGBA.
//!
//! A frame larger than the device's largest storage binding is drawn in bands of
//! rows (each band its own dispatch into the same buffer, copied to its place in
//! the read-back buffer), so every size the CPU backend accepts draws here too.

use crate::wgsl::{self, Display, EmitError, Shader, HEADER_BYTES};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use weft_kernel::Kernel;

/// What to install when no adapter is found.
pub const INSTALL_HINT: &str = "install Mesa's Vulkan drivers (Debian/Ubuntu: `sudo apt-get install mesa-vulkan-drivers libvulkan1`, which include the lavapipe CPU driver), or run with `--backend cpu`";

/// Why the GPU cannot draw.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// `wgpu` found no adapter at all.
    #[error("no graphics adapter found: {INSTALL_HINT}")]
    NoAdapter,
    /// The adapter refused a device.
    #[error("the graphics adapter `{adapter}` gave no device: {message}")]
    Device {
        /// The adapter's name.
        adapter: String,
        /// What wgpu said.
        message: String,
    },
    /// The kernel has no shader (see [`EmitError`]).
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The device refused the shader or a command, or lost the device.
    #[error("internal error on the GPU: {0}")]
    Runtime(String),
    /// A frame size of zero or over the limits.
    #[error("invalid size: {0}")]
    BadSize(String),
}

/// Time and uniforms of one frame (as the CPU backend's request carries them).
#[derive(Clone, Copy, Debug)]
pub struct FrameInputs<'a> {
    /// `me@time`.
    pub time: f64,
    /// `me@abstime`.
    pub abstime: f64,
    /// `me@frame`.
    pub frame: f64,
    /// Mouse, tempo and parameters by slot (see `weft_kernel::uniform`).
    pub uniforms: &'a [f64],
}

struct Pipeline {
    pipeline: wgpu::ComputePipeline,
    slot_vec4s: usize,
}

/// One GPU device and the pipelines compiled on it.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    max_binding: u64,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    pipelines: HashMap<[u8; 32], Pipeline>,
    compiled: usize,
    /// Errors the device reports outside an error scope (it would panic otherwise).
    uncaptured: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu")
            .field("adapter", &self.adapter())
            .field("pipelines", &self.pipelines.len())
            .finish()
    }
}

/// Prefers real GPUs, then virtual ones, then CPU drivers (lavapipe).
fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

impl Gpu {
    /// Opens the best adapter `wgpu` finds (`WGPU_BACKEND` narrows the search).
    pub fn new() -> Result<Gpu, GpuError> {
        let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY);
        let instance = wgpu::Instance::new(&wgpu::InstanceDescriptor {
            backends,
            flags: wgpu::InstanceFlags::from_env_or_default(),
            ..Default::default()
        });
        let adapter = instance
            .enumerate_adapters(backends)
            .into_iter()
            .min_by_key(|a| rank(a.get_info().device_type))
            .ok_or(GpuError::NoAdapter)?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("weft"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device {
            adapter: info.name.clone(),
            message: e.to_string(),
        })?;
        let uncaptured: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = sink.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
        }));
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("weft frame"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, wgpu::BufferBindingType::Storage { read_only: false }),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("weft frame"),
            bind_group_layouts: &[&layout],
            push_constant_ranges: &[],
        });
        Ok(Gpu {
            device,
            queue,
            info,
            max_binding: u64::from(limits.max_storage_buffer_binding_size)
                .min(limits.max_buffer_size),
            layout,
            pipeline_layout,
            pipelines: HashMap::new(),
            compiled: 0,
            uncaptured,
        })
    }

    /// The adapter, for messages: name, kind and graphics API.
    pub fn adapter(&self) -> String {
        format!(
            "{} ({:?}, {:?})",
            self.info.name, self.info.device_type, self.info.backend
        )
    }

    /// How many pipelines this device has compiled (cache misses) so far.
    pub fn pipelines_compiled(&self) -> usize {
        self.compiled
    }

    /// Draws `display` of `kernel` at `width × height`: RGBA rows from the top, as
    /// the CPU visual backend's frame.
    pub fn render(
        &mut self,
        kernel: &Kernel,
        display: Display,
        width: u32,
        height: u32,
        inputs: &FrameInputs<'_>,
    ) -> Result<Vec<u8>, GpuError> {
        // `render_shader` checks the size.
        let shader = wgsl::emit(kernel, display)?;
        self.render_shader(&shader, width, height, inputs)
    }

    /// Draws an already emitted shader (see [`wgsl::emit`]): what [`Gpu::render`]
    /// does after emitting, for callers that check support before opening a device.
    pub fn render_shader(
        &mut self,
        shader: &Shader,
        width: u32,
        height: u32,
        inputs: &FrameInputs<'_>,
    ) -> Result<Vec<u8>, GpuError> {
        if width == 0 || height == 0 || width > 16384 || height > 16384 {
            return Err(GpuError::BadSize(format!(
                "{width}x{height} (each side 1 to 16384)"
            )));
        }
        self.ensure_pipeline(shader)?;
        let pipeline = &self.pipelines[&shader.key];
        let row_bytes = u64::from(width) * 4;
        // Rows per band: what one storage binding holds, and what one dispatch reaches.
        let band = (self.max_binding / row_bytes)
            .min(u64::from(height))
            .min(65535 * 8) as u32;
        if band == 0 {
            return Err(GpuError::BadSize(format!("{width} pixels wide")));
        }
        let total = row_bytes * u64::from(height);
        self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let uniform = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("weft frame uniforms"),
            size: (HEADER_BYTES + 16 * pipeline.slot_vec4s) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let pixels = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("weft frame pixels"),
            size: row_bytes * u64::from(band),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("weft frame read-back"),
            size: total,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("weft frame"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: pixels.as_entire_binding(),
                },
            ],
        });
        let mut row0 = 0u32;
        while row0 < height {
            let rows = band.min(height - row0);
            let bytes = header(width, height, row0, rows, inputs, pipeline.slot_vec4s);
            // Ordered before the next submit, so each band sees its own header.
            self.queue.write_buffer(&uniform, 0, &bytes);
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                pass.set_pipeline(&pipeline.pipeline);
                pass.set_bind_group(0, &bind, &[]);
                pass.dispatch_workgroups(width.div_ceil(8), rows.div_ceil(8), 1);
            }
            enc.copy_buffer_to_buffer(
                &pixels,
                0,
                &readback,
                row_bytes * u64::from(row0),
                row_bytes * u64::from(rows),
            );
            self.queue.submit([enc.finish()]);
            row0 += rows;
        }
        let slice = readback.slice(..);
        let mapped: Arc<Mutex<Option<Result<(), wgpu::BufferAsyncError>>>> = Arc::default();
        let done = mapped.clone();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            if let Ok(mut d) = done.lock() {
                *d = Some(r);
            }
        });
        let polled = self.device.poll(wgpu::PollType::wait_indefinitely());
        self.check_scopes()?;
        polled.map_err(|e| GpuError::Runtime(e.to_string()))?;
        match mapped.lock().ok().and_then(|mut m| m.take()) {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(GpuError::Runtime(e.to_string())),
            None => return Err(GpuError::Runtime("the frame was never read back".into())),
        }
        let out = slice.get_mapped_range().to_vec();
        readback.unmap();
        Ok(out)
    }

    /// Compiles `shader`'s pipeline unless one with the same content exists.
    fn ensure_pipeline(&mut self, shader: &Shader) -> Result<(), GpuError> {
        if self.pipelines.contains_key(&shader.key) {
            return Ok(());
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
        self.pipelines.insert(
            shader.key,
            Pipeline {
                pipeline,
                slot_vec4s: shader.slot_vec4s,
            },
        );
        Ok(())
    }

    /// Pops the two scopes pushed before a step; any error (or one reported
    /// outside a scope meanwhile) fails the step.
    fn check_scopes(&self) -> Result<(), GpuError> {
        let oom = pollster::block_on(self.device.pop_error_scope());
        let invalid = pollster::block_on(self.device.pop_error_scope());
        if let Some(e) = oom.or(invalid) {
            return Err(GpuError::Runtime(e.to_string()));
        }
        if let Some(e) = self.uncaptured.lock().ok().and_then(|mut u| u.take()) {
            return Err(GpuError::Runtime(e));
        }
        Ok(())
    }
}

/// The uniform buffer's bytes: the header the shader's `Frame` struct declares,
/// then the uniform slots in f32, zero past the ones given.
fn header(
    width: u32,
    height: u32,
    row0: u32,
    rows: u32,
    inputs: &FrameInputs<'_>,
    slot_vec4s: usize,
) -> Vec<u8> {
    let mut words: Vec<u32> = vec![
        width,
        height,
        row0,
        rows,
        (inputs.time as f32).to_bits(),
        (inputs.abstime as f32).to_bits(),
        (inputs.frame as f32).to_bits(),
        0,
    ];
    words.extend(
        (0..slot_vec4s * 4)
            .map(|i| (inputs.uniforms.get(i).copied().unwrap_or(0.0) as f32).to_bits()),
    );
    bytemuck::cast_slice(&words).to_vec()
}
