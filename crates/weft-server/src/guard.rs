//! `BuildGuard`: one build at a time, at most one pending. Changes that arrive
//! while a build runs collapse into one follow-up build of everything they touched.

use std::collections::BTreeSet;

/// Decides when builds start. Not thread-safe by itself: the hub owns it.
#[derive(Debug)]
pub struct BuildGuard<T: Ord + Clone> {
    running: bool,
    pending: BTreeSet<T>,
    /// Requests that were folded into a pending build, for reports and tests.
    pub collapsed: u64,
}

impl<T: Ord + Clone> Default for BuildGuard<T> {
    fn default() -> Self {
        BuildGuard {
            running: false,
            pending: BTreeSet::new(),
            collapsed: 0,
        }
    }
}

impl<T: Ord + Clone> BuildGuard<T> {
    /// A guard with nothing running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for a build of `items`. Returns what to build now, or `None` when a
    /// build is running (the items wait in the one pending build).
    pub fn request(&mut self, items: impl IntoIterator<Item = T>) -> Option<Vec<T>> {
        if self.running {
            let before = self.pending.len();
            let mut asked = 0;
            for i in items {
                asked += 1;
                self.pending.insert(i);
            }
            if before > 0 || asked > self.pending.len() - before {
                self.collapsed += 1;
            }
            return None;
        }
        let mut set: BTreeSet<T> = items.into_iter().collect();
        set.extend(std::mem::take(&mut self.pending));
        if set.is_empty() {
            return None;
        }
        self.running = true;
        Some(set.into_iter().collect())
    }

    /// The running build is over. Returns the pending build to start now, if any
    /// (the guard stays busy), else the guard is idle.
    pub fn finish(&mut self) -> Option<Vec<T>> {
        if self.pending.is_empty() {
            self.running = false;
            return None;
        }
        Some(std::mem::take(&mut self.pending).into_iter().collect())
    }

    /// True while a build runs.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// True when `item` waits for the next build.
    pub fn is_pending(&self, item: &T) -> bool {
        self.pending.contains(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_build_starts_at_once_and_ends_idle() {
        let mut g = BuildGuard::new();
        assert_eq!(g.request(["a.weft"]), Some(vec!["a.weft"]));
        assert!(g.is_running());
        assert_eq!(g.finish(), None);
        assert!(!g.is_running());
        assert_eq!(g.request(["a.weft"]), Some(vec!["a.weft"]));
    }

    #[test]
    fn a_change_during_a_build_waits_for_it() {
        let mut g = BuildGuard::new();
        g.request(["a.weft"]);
        assert_eq!(g.request(["b.weft"]), None);
        assert!(g.is_pending(&"b.weft"));
        assert_eq!(g.finish(), Some(vec!["b.weft"]));
        assert!(g.is_running());
        assert_eq!(g.finish(), None);
        assert!(!g.is_running());
    }

    #[test]
    fn many_changes_collapse_into_one_follow_up() {
        let mut g = BuildGuard::new();
        g.request(["a.weft"]);
        for i in 0..1000 {
            let f = if i % 2 == 0 { "a.weft" } else { "b.weft" };
            assert_eq!(g.request([f]), None);
        }
        assert_eq!(g.collapsed, 999);
        assert_eq!(g.finish(), Some(vec!["a.weft", "b.weft"]));
        assert_eq!(g.finish(), None);
    }

    #[test]
    fn nothing_to_build_starts_nothing() {
        let mut g: BuildGuard<&str> = BuildGuard::new();
        assert_eq!(g.request([]), None);
        assert!(!g.is_running());
    }
}
