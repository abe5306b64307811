//! A headless `wgpu` runner: one device, compute pipelines cached by the emitted
//! shader's content, sources uploaded once per content, and frames drawn by a list
//! of passes (one per batch) into a storage buffer read back as RGBA.
//!
//! A frame larger than the device's largest storage binding is drawn in bands of
//! rows (every pass of a band, then the next band; the strands one batch leaves for
//! the next are per point, so a band needs only its own), and each band is copied
//! to its place in the read-back buffer, so every size the CPU backend accepts
//! draws here too.
//!
//! Error scopes in wgpu 27 belong to the device, not to a thread, so a `Gpu` is used
//! by one thread at a time (the device in `visual.rs` holds it in a mutex). What it
//! keeps by content — pipelines, uploaded sources — is in `cache.rs`.

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

/// A compiled pipeline.
#[derive(Debug)]
pub struct Pipeline {
    pub(crate) pipeline: wgpu::ComputePipeline,
}

/// The buffers one frame size draws into, reused frame after frame.
#[derive(Debug)]
pub struct Surface {
    width: u32,
    height: u32,
    /// Rows per band.
    band: u32,
    /// Uniform slots (in vec4s) the header holds room for.
    slot_vec4s: usize,
    uniform: wgpu::Buffer,
    pixels: wgpu::Buffer,
    strands: wgpu::Buffer,
    /// Two, so one frame can be drawn while the last is read back.
    readback: [wgpu::Buffer; 2],
}

impl Surface {
    /// Frame size.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// A frame queued on the device, not yet read back.
#[derive(Debug)]
pub struct Submitted {
    slot: usize,
    index: Option<wgpu::SubmissionIndex>,
}

/// One batch as the GPU runs it: its pipeline bound to a surface and its sources.
#[derive(Debug)]
pub struct Pass {
    pipeline: Arc<Pipeline>,
    bind: wgpu::BindGroup,
    /// Keeps the sources uploaded while the pass exists.
    _sources: Option<Arc<wgpu::Buffer>>,
}

/// One GPU device and the pipelines compiled on it.
pub struct Gpu {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    pub(crate) max_binding: u64,
    max_buffer: u64,
    layout: wgpu::BindGroupLayout,
    pub(crate) pipeline_layout: wgpu::PipelineLayout,
    pub(crate) pipelines: HashMap<[u8; 32], Arc<Pipeline>>,
    pub(crate) uploads: HashMap<[u8; 32], Arc<wgpu::Buffer>>,
    /// A tiny storage buffer bound where a pass reads no sources.
    empty: wgpu::Buffer,
    pub(crate) compiled: usize,
    pub(crate) uploaded: usize,
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
                entry(2, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(3, wgpu::BufferBindingType::Storage { read_only: false }),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("weft frame"),
            bind_group_layouts: &[&layout],
            push_constant_ranges: &[],
        });
        let empty = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("weft no sources"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        Ok(Gpu {
            device,
            queue,
            info,
            max_binding: u64::from(limits.max_storage_buffer_binding_size)
                .min(limits.max_buffer_size),
            max_buffer: limits.max_buffer_size,
            layout,
            pipeline_layout,
            pipelines: HashMap::new(),
            uploads: HashMap::new(),
            empty,
            compiled: 0,
            uploaded: 0,
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

    /// How many sources buffers this device has uploaded (cache misses) so far.
    pub fn sources_uploaded(&self) -> usize {
        self.uploaded
    }

    /// Draws `display` of `kernel` (one batch, reading no strands) at
    /// `width × height`: RGBA rows from the top, as the CPU visual backend's frame.
    pub fn render(
        &mut self,
        kernel: &Kernel,
        display: Display,
        width: u32,
        height: u32,
        inputs: &FrameInputs<'_>,
    ) -> Result<Vec<u8>, GpuError> {
        let shader = wgsl::emit(kernel, display)?;
        self.render_shader(&shader, width, height, inputs)
    }

    /// Draws an already emitted display shader (see [`wgsl::emit`]).
    pub fn render_shader(
        &mut self,
        shader: &Shader,
        width: u32,
        height: u32,
        inputs: &FrameInputs<'_>,
    ) -> Result<Vec<u8>, GpuError> {
        let surface = self.surface(width, height, 0, shader.slot_vec4s)?;
        let pass = self.pass(shader, &surface)?;
        let mut out = vec![0; width as usize * height as usize * 4];
        self.draw(&[pass], &surface, inputs, &mut out)?;
        Ok(out)
    }

    /// The buffers for `width × height` frames whose passes exchange `strands`
    /// strands and read at most `slot_vec4s` vec4s of uniform slots.
    pub fn surface(
        &mut self,
        width: u32,
        height: u32,
        strands: u32,
        slot_vec4s: usize,
    ) -> Result<Surface, GpuError> {
        if width == 0 || height == 0 || width > 16384 || height > 16384 {
            return Err(GpuError::BadSize(format!(
                "{width}x{height} (each side 1 to 16384)"
            )));
        }
        let row_bytes = u64::from(width) * 4;
        let total = row_bytes * u64::from(height);
        if total > self.max_buffer {
            return Err(GpuError::BadSize(format!(
                "{width}x{height}: the frame is over the device's largest buffer"
            )));
        }
        // Rows per band: what one storage binding holds (pixels, and every strand
        // in one binding), and what one dispatch reaches.
        let strand_row = row_bytes * u64::from(strands.max(1));
        let band = (self.max_binding / strand_row)
            .min(self.max_binding / row_bytes)
            .min(u64::from(height))
            .min(65535 * u64::from(wgsl::WORKGROUP)) as u32;
        if band == 0 {
            return Err(GpuError::BadSize(format!("{width} pixels wide")));
        }
        let slot_vec4s = slot_vec4s.max(1);
        self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = |label, size, usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let surface = Surface {
            width,
            height,
            band,
            slot_vec4s,
            uniform: buffer(
                "weft frame uniforms",
                (HEADER_BYTES + 16 * slot_vec4s) as u64,
                wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            ),
            pixels: buffer(
                "weft frame pixels",
                row_bytes * u64::from(band),
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            ),
            strands: buffer(
                "weft strands",
                (strand_row * u64::from(band)).max(16),
                wgpu::BufferUsages::STORAGE,
            ),
            readback: [0, 1].map(|_| {
                buffer(
                    "weft frame read-back",
                    total,
                    wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                )
            }),
        };
        self.check_scopes()?;
        Ok(surface)
    }

    /// A pass running `shader` on `surface`: compiles its pipeline unless one with
    /// the same content exists, and uploads its sources unless the same content is
    /// on the device.
    pub fn pass(&mut self, shader: &Shader, surface: &Surface) -> Result<Pass, GpuError> {
        if shader.slot_vec4s > surface.slot_vec4s {
            return Err(GpuError::Runtime(
                "internal error: a shader reads more uniform slots than its surface holds".into(),
            ));
        }
        let pipeline = self.pipeline(shader)?;
        let sources = self.upload(&shader.sources)?;
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("weft pass"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: surface.uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: surface.pixels.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: sources
                        .as_deref()
                        .unwrap_or(&self.empty)
                        .as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: surface.strands.as_entire_binding(),
                },
            ],
        });
        Ok(Pass {
            pipeline,
            bind,
            _sources: sources,
        })
    }

    /// Runs `passes` in order over every band of `surface` and reads the pixels
    /// back into `out` (RGBA rows from the top; `width * height * 4` bytes).
    pub fn draw(
        &mut self,
        passes: &[Pass],
        surface: &Surface,
        inputs: &FrameInputs<'_>,
        out: &mut [u8],
    ) -> Result<(), GpuError> {
        let drawn = self.submit(passes, surface, inputs, 0)?;
        self.collect(surface, drawn, out)
    }

    /// Queues `passes` over every band of `surface`, copying the pixels into
    /// read-back buffer `slot` (0 or 1), and returns without waiting: the caller
    /// can encode the last frame meanwhile, then [`Gpu::collect`] this one.
    pub fn submit(
        &mut self,
        passes: &[Pass],
        surface: &Surface,
        inputs: &FrameInputs<'_>,
        slot: usize,
    ) -> Result<Submitted, GpuError> {
        let (width, height) = (surface.width, surface.height);
        let row_bytes = u64::from(width) * 4;
        let readback = &surface.readback[slot & 1];
        self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let mut row0 = 0u32;
        let mut index = None;
        while row0 < height {
            let rows = surface.band.min(height - row0);
            let bytes = header(surface, row0, rows, inputs);
            // Ordered on the queue: each band, and each frame in flight, sees its
            // own header.
            self.queue.write_buffer(&surface.uniform, 0, &bytes);
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            for pass in passes {
                // One compute pass per batch: a pass boundary orders its strand
                // writes before the next batch's reads.
                let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                cp.set_pipeline(&pass.pipeline.pipeline);
                cp.set_bind_group(0, &pass.bind, &[]);
                cp.dispatch_workgroups(
                    width.div_ceil(wgsl::WORKGROUP),
                    rows.div_ceil(wgsl::WORKGROUP),
                    1,
                );
            }
            enc.copy_buffer_to_buffer(
                &surface.pixels,
                0,
                readback,
                row_bytes * u64::from(row0),
                row_bytes * u64::from(rows),
            );
            index = Some(self.queue.submit([enc.finish()]));
            row0 += rows;
        }
        self.check_scopes()?;
        Ok(Submitted {
            slot: slot & 1,
            index,
        })
    }

    /// Waits for a submitted frame (only for it: a frame queued after it goes on)
    /// and copies its pixels into `out`.
    pub fn collect(
        &mut self,
        surface: &Surface,
        drawn: Submitted,
        out: &mut [u8],
    ) -> Result<(), GpuError> {
        let (width, height) = (surface.width, surface.height);
        if out.len() as u64 != u64::from(width) * 4 * u64::from(height) {
            return Err(GpuError::BadSize(format!(
                "a {width}x{height} frame into {} bytes",
                out.len()
            )));
        }
        let readback = &surface.readback[drawn.slot];
        let slice = readback.slice(..);
        let mapped: Arc<Mutex<Option<Result<(), wgpu::BufferAsyncError>>>> = Arc::default();
        let done = mapped.clone();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            if let Ok(mut d) = done.lock() {
                *d = Some(r);
            }
        });
        let polled = self.device.poll(wgpu::PollType::Wait {
            submission_index: drawn.index,
            timeout: None,
        });
        if let Some(e) = self.uncaptured.lock().ok().and_then(|mut u| u.take()) {
            return Err(GpuError::Runtime(e));
        }
        polled.map_err(|e| GpuError::Runtime(e.to_string()))?;
        match mapped.lock().ok().and_then(|mut m| m.take()) {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(GpuError::Runtime(e.to_string())),
            None => return Err(GpuError::Runtime("the frame was never read back".into())),
        }
        out.copy_from_slice(&slice.get_mapped_range());
        readback.unmap();
        Ok(())
    }

    /// Pops the two scopes pushed before a step; any error (or one reported
    /// outside a scope meanwhile) fails the step.
    pub(crate) fn check_scopes(&self) -> Result<(), GpuError> {
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
fn header(surface: &Surface, row0: u32, rows: u32, inputs: &FrameInputs<'_>) -> Vec<u8> {
    let mut words: Vec<u32> = vec![
        surface.width,
        surface.height,
        row0,
        rows,
        (inputs.time as f32).to_bits(),
        (inputs.abstime as f32).to_bits(),
        (inputs.frame as f32).to_bits(),
        0,
        surface.band * surface.width,
        0,
        0,
        0,
    ];
    words.extend(
        (0..surface.slot_vec4s * 4)
            .map(|i| (inputs.uniforms.get(i).copied().unwrap_or(0.0) as f32).to_bits()),
    );
    bytemuck::cast_slice(&words).to_vec()
}
