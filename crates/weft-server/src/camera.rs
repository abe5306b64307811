//! The `--camera` frames a page asks for (`camera-frame`): made off the hub, one
//! at a time per connection, the newest request next and the ones it overtook
//! dropped — so a page that asks faster than frames are made (or a flood of
//! requests) costs one frame in the making, and the frame it wants last is
//! always made.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// No frame asked for.
const NONE: u64 = u64::MAX;

/// One connection's camera requests.
#[derive(Debug)]
pub struct CameraRequests {
    /// The newest frame asked for and not yet taken ([`NONE`]: none).
    next: AtomicU64,
    /// A worker is making frames.
    busy: AtomicBool,
}

impl Default for CameraRequests {
    fn default() -> CameraRequests {
        CameraRequests {
            next: AtomicU64::new(NONE),
            busy: AtomicBool::new(false),
        }
    }
}

impl CameraRequests {
    /// Asks for `frame`; `make` runs for it on a blocking thread (or for a newer
    /// frame asked for before it was taken). While a worker runs, a request only
    /// names the frame: the `make` of the request that started the worker makes
    /// every frame it takes (the same connection and camera, milliseconds
    /// apart). Needs a tokio runtime.
    pub fn ask(self: &Arc<Self>, frame: u64, make: impl Fn(u64) + Send + 'static) {
        self.next.store(frame.min(NONE - 1), Ordering::Release);
        if self.busy.swap(true, Ordering::AcqRel) {
            // The running worker takes it.
            return;
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || loop {
            let f = me.next.swap(NONE, Ordering::AcqRel);
            if f != NONE {
                make(f);
                continue;
            }
            me.busy.store(false, Ordering::Release);
            // A request that came between the swap and the store is ours to make,
            // unless a new worker took it.
            if me.next.load(Ordering::Acquire) == NONE || me.busy.swap(true, Ordering::AcqRel) {
                return;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::CameraRequests;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_newest_request_is_always_made_and_one_at_a_time() {
        let requests = Arc::new(CameraRequests::default());
        let made = Arc::new(Mutex::new(Vec::new()));
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for k in 0..200u64 {
            let (made, running) = (made.clone(), running.clone());
            requests.ask(k, move |f| {
                let now = running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                assert_eq!(now, 0, "two frames in the making at once");
                std::thread::sleep(Duration::from_millis(2));
                made.lock().unwrap().push(f);
                running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        // Until 199 is made (a loaded machine may take a while), then a little
        // longer: nothing may come after it.
        for _ in 0..1000 {
            if made.lock().unwrap().last() == Some(&199) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let made = made.lock().unwrap().clone();
        assert_eq!(
            made.last(),
            Some(&199),
            "the last asked for is made: {made:?}"
        );
        assert!(
            made.len() < 200,
            "overtaken requests are dropped: {}",
            made.len()
        );
        assert!(made.windows(2).all(|w| w[0] < w[1]), "{made:?}");
    }
}
