//! What the GPU tests share: opening the adapter, or saying in one line that
//! there is none and going on without it — unless `WEFT_REQUIRE_GPU` is set (the
//! test script sets it), where no adapter is a failure.

use weft_shader::GpuError;

/// `opened` (a `Gpu` or a `GpuDevice`), or `None` after one line when there is no
/// adapter; any other error fails the test.
pub fn adapter_or_skip<T>(opened: Result<T, GpuError>, skipping: &str) -> Option<T> {
    match opened {
        Ok(d) => Some(d),
        Err(e @ GpuError::NoAdapter) => {
            println!("skipped {skipping}: {e}");
            assert!(
                std::env::var_os("WEFT_REQUIRE_GPU").is_none(),
                "WEFT_REQUIRE_GPU is set and {e}"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}
